# The PyTorch baseline beside the C# engine: the exporter's own modules on the same weights, inputs and card
# Sourced by benchmarks/run.sh; needs the app `gpubench`. Exports f5ops fp16 with the random checkpoint, runs GpuBench
# with CUDA graphs and benchmarks/tools/bench_pytorch.py (eager: the fp16 module as exported, and its variant with
# torch's scaled_dot_product_attention;
# PYTORCH_VARIANTS=export-fp16,sdpa-fp16,sdpa-fp16-compiled adds it under torch.compile with CUDA graphs), then the comparison table (summary.md) and results-final.jsonl.
set +e
gpu_setup
t=$SECONDS; export_model f5ops-fp16 fp16 f5ops --save-checkpoint "$models/checkpoints"; echo "export rc $? in $((SECONDS - t)) s"
bench csharp-f5ops-fp16-graphs "$models/f5ops-fp16" --cuda-graphs
pytorch_baseline
finish
