# Probe sitting (issue #11, docs/benchmarks.md "f5tts.ops"), sourced by `PLAN=tools/export/gpu_sitting_probe.sh
# run_gpu_bench.sh run`: the f5ops fp16 export timed with and without the CUDA provider's prefer_nhwc, ONNX
# Runtime's profile and node placement of the Preprocess graph alone, and the kernel profile of the step with
# prefer_nhwc. About 4 minutes on an H100.
set +e +o pipefail
ex="$(cd "$dest/c3/export" && pwd)"
t0=$SECONDS
export_model f5ops-fp16 fp16 f5ops
echo "export in $((SECONDS - t0)) s"
bench csharp-f5ops-fp16-graphs "$models/f5ops-fp16" --cuda-graphs
bench csharp-f5ops-fp16-graphs-nhwc "$models/f5ops-fp16" --cuda-graphs --prefer-nhwc
app=$root/app/F5Tts.GpuBench
timeout 120 $app --model "$models/f5ops-fp16" --profile-preprocess "$out/pre" > "$out/pre.log" 2>&1
timeout 120 $app --model "$models/f5ops-fp16" --profile-preprocess "$out/pre-nhwc" --prefer-nhwc >> "$out/pre.log" 2>&1
cat "$out/pre.log"
timeout 120 $app --model "$models/f5ops-fp16" --placement-only --placement-graph F5_Preprocess.onnx > /dev/null 2> "$out/placement-pre.err"
grep -i -A60 "node placements" "$out/placement-pre.err" | head -120 > "$out/placement-pre.log"; rm -f "$out/placement-pre.err"
grep -i "CPUExecutionProvider" -A12 "$out/placement-pre.log" | head -30
if [ -x /usr/local/cuda/bin/ncu ]; then
  for b in 1 16; do
    timeout 100 /usr/local/cuda/bin/ncu --profile-from-start off --metrics gpu__time_duration.sum --csv --page raw \
      $app --model "$models/f5ops-fp16" --providers CUDA,CPU --frames 680 --profile-batch $b --prefer-nhwc \
      > "$out/ncu-b$b.csv" 2>/dev/null
  done
  python3 "$ex/summarize_ncu.py" "$out" > "$out/kernels-nhwc.md" 2>&1
fi
cd "$out" || exit 1
sed -n 's/^GPUBENCH_JSON //p' csharp-*.log > results-final.jsonl
python3 "$ex/compare_runs.py" results-final.jsonl | tee summary.md
tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.err ./*.csv ./*.json 2>/dev/null)
echo "sitting $((SECONDS - t0)) s"
