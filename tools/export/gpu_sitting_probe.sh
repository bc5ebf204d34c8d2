# Probe sitting (issue #11, docs/benchmarks.md "f5tts.ops"), sourced by `PLAN=tools/export/gpu_sitting_probe.sh
# run_gpu_bench.sh run`: the f5ops fp16 export timed with CUDA graphs as configured by default and with the CUDA
# provider's cudnn_conv1d_pad_to_nc1d; the Preprocess graph alone both ways; the kernel profile of the step at batch 1
# and 16 with it. (Earlier probes of this file: prefer_nhwc, EXHAUSTIVE cuDNN search; docs/benchmarks.md.)
set +e +o pipefail
t0=$SECONDS
export_model f5ops-fp16 fp16 f5ops
echo "export in $((SECONDS - t0)) s"
bench csharp-f5ops-fp16-graphs "$models/f5ops-fp16" --cuda-graphs
bench csharp-f5ops-fp16-graphs-nc1d "$models/f5ops-fp16" --cuda-graphs --conv1d-nc1d
app=$root/app/F5Tts.GpuBench
for v in default:"" nc1d:--conv1d-nc1d; do
  timeout 120 $app --model "$models/f5ops-fp16" --profile-preprocess "$out/pre-${v%%:*}" ${v#*:} >> "$out/pre.log" 2>&1
done
grep "preprocess alone" "$out/pre.log"
profile_kernels "$models/f5ops-fp16" --conv1d-nc1d
mv "$out/kernels.md" "$out/kernels-nc1d.md" 2>/dev/null && head -24 "$out/kernels-nc1d.md"
finish_sitting
echo "sitting $((SECONDS - t0)) s"
