# Two exporters on the same C# engine: the exporter of another commit against this one, interleaved, same sitting
# Sourced by benchmarks/run.sh; needs the app `gpubench` and the tree `export-before` (bundle.sh tree STAGE
# export-before REV tools/export). Both export f5ops fp16 (MODEL_ATTENTION) of the same random weights; GpuBench with
# CUDA graphs runs before, now, before, now (ROUNDS pairs, default 2); PYTORCH=1 adds the PyTorch baseline.
set +e
gpu_setup
att=${MODEL_ATTENTION:-f5ops}
[ -d "$root/trees/export-before/tools/export" ] || { echo "tree export-before is not unpacked"; exit 4; }
t=$SECONDS
export_model $att-fp16 fp16 $att $([ "${PYTORCH:-0}" = 1 ] && echo --save-checkpoint "$models/checkpoints") & e1=$!
export_with "$root/trees/export-before/tools/export" $att-before-fp16 fp16 $att & e2=$!
wait $e1; r1=$?; wait $e2; r2=$?
echo "exports (now rc $r1, before rc $r2) in $((SECONDS - t)) s"
for r in $(seq 1 "${ROUNDS:-2}"); do
  sfx=$([ $r = 1 ] || echo "-$r")
  bench csharp-$att-before-fp16-graphs$sfx "$models/$att-before-fp16" --cuda-graphs
  bench csharp-$att-fp16-graphs$sfx "$models/$att-fp16" --cuda-graphs
done
for f in csharp-$att-before-fp16-graphs csharp-$att-fp16-graphs; do grep -A5 "^## per stage" "$out/$f.log" | tail -3; done
[ "${PYTORCH:-0}" = 1 ] && pytorch_baseline
finish
