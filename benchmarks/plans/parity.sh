# Correctness on the GPU: fixtures regenerated there, the exporter's suite on the CUDA ops library, golden parity
# Sourced by benchmarks/run.sh; needs the app `smoke` (tools/engine-smoke). Steps:
#   1. every fixture regenerated with this exporter (tests/fixtures/regenerate.sh into a scratch folder): fixture-sha.txt
#      lists their hashes against the committed tests/fixtures/SHA256SUMS, and fixtures.tar holds the batched models
#      (copy them into tests/fixtures when an exporter change is meant to change them);
#   2. the exporter's test suite with F5TTS_OPS_LIB pointing at the CUDA build of libf5tts_ops.so;
#   3. tools/engine-smoke on CUDA: golden parity of the batched fixtures (CUDA graphs included), and the full-size
#      fused against f5ops exports in fp32 (FULL_SIZE=0 skips the two exports, ~2 minutes).
set +e
gpu_setup
lib=$root/apps/smoke/libf5tts_ops.so
t0=$SECONDS
fx=$(mktemp -d)
bash "$repo/tests/fixtures/regenerate.sh" "$fx" > "$out/fixtures.log" 2>&1 & e1=$!
(cd "$repo/tools/export/tests" && F5TTS_OPS_LIB=$lib timeout 420 python3 -m unittest discover -s . > "$out/pytests.log" 2>&1) & e2=$!
if [ "${FULL_SIZE:-1}" = 1 ]; then
  export_model fused-fp32 fp32 fused & e3=$!
  export_model f5ops-fp32 fp32 f5ops & e4=$!
  wait $e3; wait $e4
fi
wait $e1; echo "fixtures rc $? in $((SECONDS - t0)) s"
diff <(sort "$repo/tests/fixtures/SHA256SUMS") <(sort "$fx/SHA256SUMS") > "$out/fixture-sha.txt" \
  && echo "fixtures byte-identical to tests/fixtures/SHA256SUMS" || echo "fixtures differ: fixture-sha.txt"
(cd "$fx" && tar -cf "$out/fixtures.tar" models/tiny-v1-batched*)
full=-; [ "${FULL_SIZE:-1}" = 1 ] && full="$models/fused-fp32,$models/f5ops-fp32"
run_smoke smoke tiny-v1-batched,tiny-v1-batched-fused,tiny-v1-batched-f5ops "$full"
wait $e2
echo "exporter tests: $(tail -n 3 "$out/pytests.log" | tr '\n' ' ')"
grep -E "^(FAIL|ERROR)" "$out/pytests.log" | head -10
(cd "$out" && tar -cJf logs.tar.xz --remove-files $(ls ./*.log 2>/dev/null) 2>/dev/null)
