# Helpers of the GPU plans, sourced by benchmarks/run.sh (benchmarks/README.md). Expects $repo, $out and $root
# ($F5_ROOT, where benchmarks/transfer/bundle.sh unpacked ONNX Runtime and the apps: $root/apps/NAME).
# Everything runs on the same models: full-size F5TTS_v1_Base dimensions, random weights (seed 0), made here by the
# repository's exporter (tools/export), in $models.

gpu_setup() { # card name, library path (CUDA's and cuDNN 9: the system's, else the one inside PyTorch's wheels;
  # CUDNN=torch: PyTorch's first)
  card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
  models=${MODELS_DIR:-/tmp/f5bench}
  ld_base=/usr/local/cuda/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
  if ! ldconfig -p 2>/dev/null | grep -q 'libcudnn.so.9'; then
    local cudnn
    cudnn=$(find /usr/local /usr/lib /opt -name 'libcudnn.so.9*' 2>/dev/null | head -1 || true)
    [ -n "$cudnn" ] && ld_base="$ld_base:$(dirname "$cudnn")"
  fi
  if [ "${CUDNN:-system}" = torch ]; then # another cuDNN 9 release: the one inside PyTorch's wheels, first
    # nvidia.cudnn is a namespace package in the wheels (no __file__): its first path entry is the folder
    local tc
    tc=$(python3 -c 'import nvidia.cudnn, os; print(os.path.join(list(nvidia.cudnn.__path__)[0], "lib"))' 2>/dev/null)
    if [ -d "$tc" ]; then ld_base="$tc:$ld_base"; echo "cuDNN from $tc: $(ls "$tc" | grep -m1 'libcudnn.so.9')"
    else echo "CUDNN=torch: no cuDNN inside PyTorch's wheels found; the system's cuDNN runs" >&2; fi
  fi
  export PYTHONUNBUFFERED=1
  { date -u; nvidia-smi; nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv
    python3 -c 'import torch, onnx; print("torch", torch.__version__, "onnx", onnx.__version__)'; git -C "$repo" log -1 --format='code %h %s'
  } > "$out/setup.log" 2>&1 || true
  echo "card: $card"
}

app() { # NAME EXE: the path of an unpacked app's executable (exits the plan when it is missing)
  [ -x "$root/apps/$1/$2" ] || { echo "app $1 ($2) is not unpacked in $root/apps: bundle it (benchmarks/README.md)" >&2; exit 4; }
  echo "$root/apps/$1/$2"
}

in_app() { # NAME CMD...: runs CMD with the app's folder (ONNX Runtime, libf5tts_ops.so) first on the library path
  local name=$1; shift
  LD_LIBRARY_PATH="$root/apps/$name:$ld_base" "$@"
}

export_with() { # EXPORTER_DIR NAME PRECISION ATTENTION [exporter args]: one full-size export into $models/NAME.
  # An export made earlier in the same lease with the same exporter and arguments is reused ($models/NAME/.made says
  # which): the `export` plan can run beside bundle.sh unpack, and the plan after it skips the ~1 minute export.
  local ex=$1 name=$2 precision=$3 attention=$4 key rc; shift 4
  key="$(cat "$ex"/f5tts_export/*.py | sha256sum | cut -c1-16) $precision $attention $*"
  if [ "$(cat "$models/$name/.made" 2>/dev/null)" = "$key" ]; then echo "export $name: reused"; return 0; fi
  rm -rf "${models:?}/$name"
  (cd "$ex" && python3 -m f5tts_export export --contract f5tts-batched/1 --model F5TTS_v1_Base --vocoder vocos-mel-24khz \
    --random-init --seed 0 --model-name F5TTS_v1_Base-random-seed0 --max-frames 4096 --precision "$precision" \
    --attention "$attention" --out "$models/$name" "$@") > "$out/export-$name.log" 2>&1
  rc=$?
  [ $rc = 0 ] && printf '%s' "$key" > "$models/$name/.made"
  return $rc
}

export_model() { # NAME PRECISION ATTENTION [exporter args]: with this working tree's exporter
  export_with "$repo/tools/export" "$@"
}

bench() { # LABEL MODEL_DIR [GpuBench args]: F5Tts.GpuBench (app $GPUBENCH, default gpubench) -> $out/LABEL.log
  local label=$1 dir=$2 exe; shift 2
  exe=$(app "${GPUBENCH:-gpubench}" F5Tts.GpuBench) || exit 4
  local t=$SECONDS
  in_app "${GPUBENCH:-gpubench}" timeout "${BENCH_TIMEOUT:-240}" "$exe" --model "$dir" --providers CUDA,CPU --require-gpu \
    --label "$label" --device-name "$card" --iters "${ITERS:-20}" --e2e-iters "${E2E_ITERS:-20}" \
    --batch-iters "${BATCH_ITERS:-3}" --batches "${BATCHES:-1,2,4,8,16}" "$@" > "$out/$label.log" 2> "$out/$label.err" \
    || echo "$label FAILED (rc $?)" | tee -a "$out/$label.log"
  echo "$label: $((SECONDS - t)) s"
}

pytorch_baseline() { # the exporter's PyTorch modules on the same weights and card (needs an export made with
  # --save-checkpoint "$models/checkpoints")
  local t=$SECONDS
  timeout 300 python3 "$repo/benchmarks/tools/bench_pytorch.py" "$models" --text-tokens 82 --device-name "$card" \
    --iters "${ITERS:-20}" --e2e-iters "${E2E_ITERS:-5}" --batch-iters "${BATCH_ITERS:-3}" --batches "${BATCHES:-1,2,4,8,16}" \
    --variants "${PYTORCH_VARIANTS:-export-fp16,sdpa-fp16}" > "$out/pytorch.log" 2>&1 || echo "pytorch FAILED"
  echo "pytorch: $((SECONDS - t)) s"
}

profile_kernels() { # MODEL_DIR [GpuBench args]: Nsight Compute, one step at batch 1 and 16 -> $out/kernels.md
  local dir=$1 exe b; shift
  [ -x /usr/local/cuda/bin/ncu ] || { echo "no ncu on this machine"; return 0; }
  exe=$(app "${GPUBENCH:-gpubench}" F5Tts.GpuBench) || exit 4
  for b in 1 16; do
    in_app "${GPUBENCH:-gpubench}" timeout 120 /usr/local/cuda/bin/ncu --profile-from-start off --metrics gpu__time_duration.sum \
      --csv --page raw "$exe" --model "$dir" --providers CUDA,CPU --frames 680 --profile-batch $b "$@" > "$out/ncu-b$b.csv" 2>/dev/null
  done
  python3 "$repo/benchmarks/tools/summarize_ncu.py" "$out" > "$out/kernels.md" 2>&1
}

run_smoke() { # LOG FIXTURES [FULL_SIZE_DIRS]: tools/engine-smoke (app `smoke`) golden parity on CUDA
  local exe t=$SECONDS
  exe=$(app smoke F5Tts.EngineSmoke) || exit 4
  in_app smoke timeout 240 "$exe" "$repo/tests/fixtures" "${3:--}" CUDA,CPU "$2" > "$out/$1.log" 2>&1
  echo "smoke rc $? in $((SECONDS - t)) s: $(grep -c PASS "$out/$1.log") PASS, $(grep -c 'FAIL ' "$out/$1.log") FAIL"
  grep -E "FAIL |compare|SMOKE|Unhandled" "$out/$1.log" | head -20
}

finish() { # results-final.jsonl (every GPUBENCH_JSON / PYBENCH_JSON line), summary.md, logs.tar.xz in $out
  (cd "$out" && { sed -n 's/^GPUBENCH_JSON //p' ./csharp-*.log 2>/dev/null; sed -n 's/^PYBENCH_JSON //p' pytorch.log 2>/dev/null; } \
      > results-final.jsonl
    [ -s results-final.jsonl ] && python3 "$repo/benchmarks/tools/compare_runs.py" results-final.jsonl | tee summary.md
    tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.err ./*.csv 2>/dev/null) 2>/dev/null || true)
}
