#!/usr/bin/env bash
# GPU benchmark of issue #11 in one sitting (docs/benchmarks.md): full-size random-weight models, the PyTorch
# baseline (bench_pytorch.py) and the C# engine (benchmarks/F5Tts.GpuBench) on fp16 and fp32 exports, then a
# comparison table. Modes:
#
#   run_gpu_bench.sh pack BUNDLE_DIR DEST      (here) re-split a gpu bundle (BUNDLE_DIR/part1 = xz'd pruned CUDA
#                                              provider, BUNDLE_DIR/part2 = libonnxruntime.so.xz, providers_shared,
#                                              app.tar.xz of the GpuBench self-contained linux-x64 publish) into
#                                              DEST/c1 (~34 MB), DEST/c2 (~26 MB) and DEST/c3 (app + a copy of
#                                              tools/export, ~12 MB). Each device call carries one of them: the
#                                              repository travels too (~30 MB with the fixtures), and one call
#                                              carries at most 64 MiB in all.
#   run_gpu_bench.sh stage1 DEST               (device, call 1, carrying DEST/c1) stage the first part.
#   run_gpu_bench.sh stage2 DEST               (device, call 2 within ~30 s, carrying DEST/c2) stage the second.
#   run_gpu_bench.sh run DEST [OUT]            (device, call 3 within ~30 s, carrying DEST/c3) assemble the app in
#                                              /opt/f5/app (F5_ROOT), make the models, run everything; logs to OUT ($OUT).
# Environment for `run`: PLAN=FILE replaces the default sitting by a sourced bash file (see the PLAN hook below);
# SKIP_MODELS=1 reuses MODELS_DIR (default /tmp/f5bench); ITERS, E2E_ITERS, BATCH_ITERS,
# BATCHES override the harness defaults; BUDGET_S (default 420) skips optional runs that would not fit.
set -euo pipefail
mode=${1:?usage: run_gpu_bench.sh pack|stage1|stage2|run ...}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root=${F5_ROOT:-/opt/f5}  # where the GPU machine gets the app (override for a dry run elsewhere)

case "$mode" in
pack)
  bundle=${2:?bundle dir}; dest=${3:?dest dir}
  xzf="$bundle/part1/libonnxruntime_providers_cuda.so.xz"
  [ -f "$xzf" ] && [ -f "$bundle/part2/app.tar.xz" ] || { echo "not a gpu bundle: $bundle" >&2; exit 1; }
  rm -rf "$dest/c1" "$dest/c2" "$dest/c3"; mkdir -p "$dest/c1" "$dest/c2" "$dest/c3/export"
  size=$(stat -c %s "$xzf"); half=$(( (size + 1) / 2 ))
  head -c "$half" "$xzf" > "$dest/c1/cuda.xz.a"
  tail -c +"$((half + 1))" "$xzf" > "$dest/c2/cuda.xz.b"
  sha256sum "$xzf" | cut -d' ' -f1 > "$dest/c2/cuda.xz.sha256"
  cp "$bundle/part2/libonnxruntime.so.xz" "$bundle/part2/libonnxruntime_providers_shared.so" "$dest/c1/"
  cp "$here/run_gpu_bench.sh" "$dest/c1/"
  cp "$bundle/part2/app.tar.xz" "$dest/c3/"
  (cd "$here" && tar --exclude=__pycache__ --exclude='*.pyc' -cf - .) | tar -x -C "$dest/c3/export"
  du -sm "$dest/c1" "$dest/c2" "$dest/c3"
  ;;
stage1)
  dest=${2:?dest dir}
  mkdir -p $root/app $root/stage
  cp "$dest/c1/cuda.xz.a" $root/stage/
  xz -d -T0 -c "$dest/c1/libonnxruntime.so.xz" > $root/app/libonnxruntime.so
  cp "$dest/c1/libonnxruntime_providers_shared.so" $root/app/
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
  echo "stage1 done: send call 2 now (the machine keeps files ~30 s)"
  ;;
stage2)
  dest=${2:?dest dir}
  [ -f $root/stage/cuda.xz.a ] || { echo "stage1 files are gone (machine went cold): run stage1 again" >&2; exit 3; }
  cp "$dest/c2/cuda.xz.b" "$dest/c2/cuda.xz.sha256" $root/stage/
  echo "stage2 done: send the run call now"
  ;;
run)
  dest=${2:?dest dir}; out=${3:-${OUT:-/tmp/f5bench-out}}
  mkdir -p "$out"
  t_start=$SECONDS
  budget=${BUDGET_S:-420}
  [ -f $root/stage/cuda.xz.a ] || { echo "stage1 files are gone (machine went cold): run stage1 again" >&2; exit 3; }
  [ -f $root/stage/cuda.xz.b ] || { echo "stage2 files are gone (machine went cold): run stage1 and stage2 again" >&2; exit 3; }
  cat $root/stage/cuda.xz.a $root/stage/cuda.xz.b > $root/stage/cuda.xz
  echo "$(cat $root/stage/cuda.xz.sha256)  $root/stage/cuda.xz" | sha256sum -c --quiet
  xz -d -T0 -c $root/stage/cuda.xz > $root/app/libonnxruntime_providers_cuda.so
  xz -d -T0 -c "$dest/c3/app.tar.xz" | tar -x -C $root/app
  export LD_LIBRARY_PATH=$root/app:/usr/local/cuda/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
  # cuDNN 9 for the CUDA provider: the system's if ldconfig knows one, else the one inside PyTorch's wheels.
  if ! ldconfig -p 2>/dev/null | grep -q 'libcudnn.so.9'; then
    cudnn=$(find /usr/local /usr/lib /opt -name 'libcudnn.so.9*' 2>/dev/null | head -1 || true)
    [ -n "$cudnn" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$(dirname "$cudnn")"
    echo "cuDNN: ${cudnn:-not found}"
  fi
  export PYTHONUNBUFFERED=1
  card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
  { date -u; nvidia-smi; nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv; } > "$out/setup.log" 2>&1 || true
  echo "card: $card; app unpacked in $((SECONDS - t_start)) s"
  models=${MODELS_DIR:-/tmp/f5bench}
  common=(--device-name "$card" --iters "${ITERS:-20}" --e2e-iters "${E2E_ITERS:-5}" --batch-iters "${BATCH_ITERS:-3}" --batches "${BATCHES:-1,2,4,8,16}")
  bench() { # label model-dir extra-args...
    local label=$1 dir=$2; shift 2
    local t=$SECONDS
    timeout "${BENCH_TIMEOUT:-240}" $root/app/F5Tts.GpuBench --model "$dir" --providers CUDA,CPU --require-gpu --label "$label" "${common[@]}" "$@" \
      > "$out/$label.log" 2> "$out/$label.err" || echo "$label FAILED (rc $?)" | tee -a "$out/$label.log"
    echo "$label: $((SECONDS - t)) s"
  }
  export_model() { # out-dir-name precision attention [extra exporter args]
    local name=$1 precision=$2 attention=$3; shift 3
    (cd "$dest/c3/export" && python3 -m f5tts_export export --contract f5tts-batched/1 --model F5TTS_v1_Base \
        --vocoder vocos-mel-24khz --random-init --seed 0 --model-name F5TTS_v1_Base-random-seed0 --max-frames 4096 \
        --precision "$precision" --attention "$attention" --out "$models/$name" "$@") > "$out/export-$name.log" 2>&1
  }
  if [ -n "${PLAN:-}" ]; then
    # A custom sitting (docs/benchmarks.md): PLAN is a bash file sourced here with $out, $dest, $models, $card,
    # bench() and export_model() defined and the app unpacked.
    . "$PLAN"
    { sed -n 's/^GPUBENCH_JSON //p' "$out"/*.log; sed -n 's/^PYBENCH_JSON //p' "$out"/*.log; } > "$out/results.jsonl" 2>/dev/null || true
    echo "total $((SECONDS - t_start)) s"
    exit 0
  fi

  if [ "${SKIP_MODELS:-0}" != 1 ]; then
    t=$SECONDS
    # make_benchmark_models.sh's two exports, run side by side (same seed -> identical weights; ~30 s saved)
    mkdir -p "$models"
    common_x=(--contract f5tts-batched/1 --model F5TTS_v1_Base --vocoder vocos-mel-24khz --random-init --seed 0
              --model-name F5TTS_v1_Base-random-seed0 --max-frames 4096)
    (cd "$dest/c3/export" && python3 -m f5tts_export export "${common_x[@]}" --save-checkpoint "$models/checkpoints" \
        --precision fp32 --out "$models/F5TTS_v1_Base-random-fp32") > "$out/models-fp32.log" 2>&1 &
    p32=$!
    (cd "$dest/c3/export" && python3 -m f5tts_export export "${common_x[@]}" --precision fp16 \
        --out "$models/F5TTS_v1_Base-random-fp16") > "$out/models-fp16.log" 2>&1 &
    p16=$!
    ok=1; wait $p32 || ok=0; wait $p16 || ok=0
    cat "$out/models-fp32.log" "$out/models-fp16.log" >> "$out/setup.log"; rm -f "$out"/models-fp*.log
    [ $ok = 1 ] || { tail -30 "$out/setup.log"; exit 4; }
    echo "models made in $((SECONDS - t)) s"
  fi

  bench csharp-fp16 "$models/F5TTS_v1_Base-random-fp16"
  tt=$(sed -n 's/^GPUBENCH_JSON //p' "$out/csharp-fp16.log" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["text_tokens"])' 2>/dev/null || echo 82)
  t=$SECONDS
  timeout 240 python3 "$dest/c3/export/bench_pytorch.py" "$models" --text-tokens "$tt" --device-name "$card" \
    --iters "${ITERS:-20}" --e2e-iters "${E2E_ITERS:-5}" --batch-iters "${BATCH_ITERS:-3}" --batches "${BATCHES:-1,2,4,8,16}" \
    > "$out/pytorch.log" 2>&1 || echo "pytorch FAILED (rc $?)" | tee -a "$out/pytorch.log"
  echo "pytorch: $((SECONDS - t)) s"
  BATCH_ITERS_FP32=${BATCH_ITERS_FP32:-2}
  bench csharp-fp32 "$models/F5TTS_v1_Base-random-fp32" --batch-iters "$BATCH_ITERS_FP32" --e2e-iters 3
  if [ $((SECONDS - t_start)) -lt $((budget - 90)) ]; then
    bench csharp-fp16-tf32 "$models/F5TTS_v1_Base-random-fp16" --tf32
  else
    echo "skipping csharp-fp16-tf32 (budget)"
  fi
  if [ $((SECONDS - t_start)) -lt $((budget - 40)) ]; then
    # Which Transformer nodes ONNX Runtime left on the CPU (host work every step; no CUDA graphs), which fusions ran.
    { echo "== placement (fp16 Transformer, CUDA)"
      timeout 120 $root/app/F5Tts.GpuBench --model "$models/F5TTS_v1_Base-random-fp16" --placement-only 2>&1 \
        | grep -E 'modified: 1|Node placements|placed on|VerifyEachNodeIsAssignedToAnEp|placement:' | cut -c1-300 | head -200
    } >> "$out/setup.log" || true
    grep -E 'placed on' "$out/setup.log" || true
  fi
  for f in "$out"/csharp-*.err; do [ -f "$f" ] && { echo "== $f"; cat "$f"; } >> "$out/setup.log"; rm -f "$f"; done
  { sed -n 's/^GPUBENCH_JSON //p' "$out"/csharp-*.log; sed -n 's/^PYBENCH_JSON //p' "$out/pytorch.log"; } > "$out/results.jsonl"
  python3 - "$out/results.jsonl" <<'PY' | tee "$out/summary.md"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {r["label"]: r for r in rows}
order = [l for l in ("pytorch-export-fp16", "pytorch-sdpa-fp16", "csharp-fp16", "csharp-fp16-tf32", "csharp-fp32") if l in by]
def g(r, *path):
    for p in path:
        if r is None:
            return None
        r = r.get(p) if isinstance(r, dict) else None
    return r
def bt(r, b, key):
    for x in r.get("batch", []):
        if x["batch"] == b:
            return x[key]["p50"] if isinstance(x[key], dict) else x[key]
    return None
metrics = [
    ("Preprocess p50 ms", lambda r: g(r, "preprocess_ms", "p50")),
    ("Transformer step B=1 p50 ms", lambda r: g(r, "step_ms", "p50")),
    ("Transformer step B=1 p95 ms", lambda r: g(r, "step_ms", "p95")),
    ("Decode p50 ms", lambda r: g(r, "decode_ms", "p50")),
    ("end-to-end 32 steps p50 ms", lambda r: g(r, "e2e_ms", "32", "p50")),
    ("end-to-end 32 steps p95 ms", lambda r: g(r, "e2e_ms", "32", "p95")),
    ("end-to-end 16 steps (EPSS) p50 ms", lambda r: g(r, "e2e_ms", "16", "p50")),
    ("end-to-end 16 steps (EPSS) p95 ms", lambda r: g(r, "e2e_ms", "16", "p95")),
] + [(f"B={b} audio s/s (16 steps)", (lambda b: lambda r: bt(r, b, "audio_s_per_s"))(b)) for b in (1, 2, 4, 8, 16)] + [
    ("B=16 wall p50 ms (16 steps)", lambda r: bt(r, 16, "wall_ms")),
    ("B=16 step mean ms", lambda r: bt(r, 16, "step_mean_ms")),
    ("B=16 wall p95 / single 16-step p50", lambda r: (next((x["wall_ms"]["p95"] for x in r.get("batch", []) if x["batch"] == 16), None) or 0) / g(r, "e2e_ms", "16", "p50") if g(r, "e2e_ms", "16", "p50") and any(x["batch"] == 16 for x in r.get("batch", [])) else None),
    ("FLOP util B=1 % of peak", lambda r: r.get("step_util_pct_b1")),
    ("FLOP util B=16 % of peak", lambda r: bt(r, 16, "step_util_pct")),
    ("peak TFLOP/s used", lambda r: r.get("peak_tflops")),
]
card = next((r.get("device") for r in rows if r.get("device")), "?")
print(f"\n## Comparison on {card} (N={rows[0].get('frames') if rows else '?'})\n")
print("| metric | " + " | ".join(order) + " | C# fp16 vs PyTorch export-fp16 | C# fp16 vs PyTorch sdpa-fp16 |")
print("|---|" + "---:|" * (len(order) + 2))
def fmt(v):
    return "-" if v is None else (f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}")
for name, f in metrics:
    vals = [f(by[l]) for l in order]
    c = f(by["csharp-fp16"]) if "csharp-fp16" in by else None
    ratios = []
    for base in ("pytorch-export-fp16", "pytorch-sdpa-fp16"):
        p = f(by[base]) if base in by else None
        if c and p and "ms" in name:
            ratios.append(f"{p / c:.2f}x faster" if p >= c else f"{c / p:.2f}x slower")
        elif c and p and "audio" in name:
            ratios.append(f"{c / p:.2f}x")
        else:
            ratios.append("")
    print(f"| {name} | " + " | ".join(fmt(v) for v in vals) + " | " + " | ".join(ratios) + " |")
print("\nratio columns: PyTorch time / C# time for latencies ('faster' = C# is faster); C#/PyTorch for throughput.")
PY
  echo "total $((SECONDS - t_start)) s"
  ;;
*)
  echo "unknown mode $mode (pack|stage1|stage2|run)" >&2; exit 2 ;;
esac
