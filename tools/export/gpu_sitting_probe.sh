# Probe sitting (issue #11, docs/benchmarks.md "f5tts.ops"), sourced by `PLAN=tools/export/gpu_sitting_probe.sh
# run_gpu_bench.sh run`: the f5ops fp16 export timed with CUDA graphs, with and without prefer_nhwc on the Preprocess
# and Decode stages; the Preprocess graph alone under ONNX Runtime's profiler (default, prefer_nhwc, EXHAUSTIVE cuDNN
# search) and its kernels under Nsight Compute. About 3 minutes on an H100.
set +e +o pipefail
ex="$(cd "$dest/c3/export" && pwd)"
t0=$SECONDS
export_model f5ops-fp16 fp16 f5ops
echo "export in $((SECONDS - t0)) s"
bench csharp-f5ops-fp16-graphs "$models/f5ops-fp16" --cuda-graphs
bench csharp-f5ops-fp16-graphs-nhwc "$models/f5ops-fp16" --cuda-graphs --prefer-nhwc
app=$root/app/F5Tts.GpuBench
for v in default:"" nhwc:--prefer-nhwc exhaustive:"--cudnn-search EXHAUSTIVE"; do
  timeout 120 $app --model "$models/f5ops-fp16" --profile-preprocess "$out/pre-${v%%:*}" ${v#*:} >> "$out/pre.log" 2>&1
done
grep "preprocess alone" "$out/pre.log"
if [ -x /usr/local/cuda/bin/ncu ]; then
  for v in default:"" nhwc:--prefer-nhwc; do
    timeout 120 /usr/local/cuda/bin/ncu --profile-from-start off --metrics gpu__time_duration.sum --csv --page raw \
      $app --model "$models/f5ops-fp16" --profile-preprocess "$out/ncu-run-${v%%:*}" ${v#*:} > "$out/ncu-pre-${v%%:*}.csv" 2>/dev/null
    python3 "$ex/summarize_ncu.py" "$out" "ncu-pre-${v%%:*}.csv" >> "$out/kernels-pre.md" 2>&1
  done
  rm -f "$out"/ncu-run-*.json
  head -40 "$out/kernels-pre.md"
fi
cd "$out" || exit 1
sed -n 's/^GPUBENCH_JSON //p' csharp-*.log > results-final.jsonl
python3 "$ex/compare_runs.py" results-final.jsonl | tee summary.md
tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.err ./*.csv ./*.json 2>/dev/null)
echo "sitting $((SECONDS - t0)) s"
