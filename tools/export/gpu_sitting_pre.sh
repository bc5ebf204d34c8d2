# Sitting for the batched text blocks of Preprocess (docs/benchmarks.md "Preprocess"), sourced by
# `PLAN=tools/export/gpu_sitting_pre.sh run_gpu_bench.sh run`: regenerates the fixtures with this exporter (their
# Preprocess graphs change; everything else must come out byte-identical: fixture-sha.txt), runs the exporter's
# Preprocess parity tests, and times the f5ops fp16 export (Preprocess per stage, end to end, B = 1 and 16).
set +e +o pipefail
ex="$(cd "$dest/c3/export" && pwd)"
t0=$SECONDS
fx=$(mktemp -d)
(cd "$ex" && python3 -m f5tts_export fixtures --out "$fx") > "$out/fixtures.log" 2>&1 & e1=$!
export_model f5ops-fp16 fp16 f5ops & e2=$!
(cd "$ex/tests" && timeout 400 python3 -m unittest -v test_onnx_batched test_onnx_dakeqq) > "$out/pytests.log" 2>&1 & e3=$!
wait $e1; r1=$?; wait $e2; r2=$?
echo "fixtures rc $r1, export rc $r2 in $((SECONDS - t0)) s"
(cd "$fx" && find models golden -type f | sort | xargs sha256sum) > "$out/fixture-sha.txt"
(cd "$fx" && tar -cf "$out/pre-fixtures.tar" models/*/F5_Preprocess.onnx)
bench csharp-f5ops-fp16-graphs "$models/f5ops-fp16" --cuda-graphs
wait $e3
echo "pytests: $(tail -n 3 "$out/pytests.log" | tr '\n' ' ')"
cd "$out" || exit 1
sed -n 's/^GPUBENCH_JSON //p' csharp-*.log > results-final.jsonl
grep -A5 "^## per stage" csharp-f5ops-fp16-graphs.log
python3 "$ex/compare_runs.py" results-final.jsonl | tee summary.md
tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.err 2>/dev/null)
echo "sitting $((SECONDS - t0)) s"
