#!/usr/bin/env bash
# GPU benchmark of issue #11 in one sitting (docs/benchmarks.md): full-size random-weight models, the PyTorch
# baseline (bench_pytorch.py) and the C# engine (benchmarks/F5Tts.GpuBench) on fp16 and fp32 exports, then a
# comparison table. Modes:
#
#   run_gpu_bench.sh pack BUNDLE_DIR DEST      (here) re-split a gpu bundle (BUNDLE_DIR/part1 = xz'd pruned CUDA
#                                              provider, BUNDLE_DIR/part2 = libonnxruntime.so.xz, providers_shared,
#                                              app.tar.xz of the GpuBench self-contained linux-x64 publish) into
#                                              DEST/c1 (~26 MB), DEST/c2 (~26 MB) and DEST/c3 (app, libonnxruntime,
#                                              ONNX Runtime's headers and a copy of tools/export, ~22 MB). Each device call carries one of them: the
#                                              repository travels too (~30 MB with the fixtures), and one call
#                                              carries at most 64 MiB in all.
#   run_gpu_bench.sh stage1 DEST               (device, call 1, carrying DEST/c1) stage the first part.
#   run_gpu_bench.sh stage2 DEST               (device, call 2 within ~30 s, carrying DEST/c2) stage the second.
#   run_gpu_bench.sh run DEST [OUT]            (device, call 3 within ~30 s, carrying DEST/c3) assemble the app in
#                                              /opt/f5/app (F5_ROOT), make the models, run everything; logs to OUT ($OUT).
# Environment for `run`: PLAN=FILE replaces the default sitting (gpu_sitting.sh) by another sourced bash file;
# MODELS_DIR (default /tmp/f5bench); ITERS, E2E_ITERS, BATCH_ITERS, BATCHES override the harness defaults.
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
  cp "$bundle/part2/libonnxruntime_providers_shared.so" "$dest/c1/"
  cp "$bundle/part2/libonnxruntime.so.xz" "$dest/c3/"   # c3 is the lightest transfer
  cp "$here/run_gpu_bench.sh" "$dest/c1/"
  cp "$bundle/part2/app.tar.xz" "$dest/c3/"
  # ONNX Runtime's C/C++ headers: the GPU machine builds libf5tts_ops.so with CUDA (src/Native/F5Tts.Ops) against them
  inc=$(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/microsoft.ml.onnxruntime.gpu.linux/*/buildTransitive/native/include | sort -V | tail -n 1)
  cp -r "$inc" "$dest/c3/ort-include"
  (cd "$here" && tar --exclude=__pycache__ --exclude='*.pyc' -cf - .) | tar -x -C "$dest/c3/export"
  du -sm "$dest/c1" "$dest/c2" "$dest/c3"
  ;;
stage1)
  dest=${2:?dest dir}
  mkdir -p $root/app $root/stage
  cp "$dest/c1/cuda.xz.a" $root/stage/
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
  [ -f $root/stage/cuda.xz.a ] || { echo "stage1 files are gone (machine went cold): run stage1 again" >&2; exit 3; }
  [ -f $root/stage/cuda.xz.b ] || { echo "stage2 files are gone (machine went cold): run stage1 and stage2 again" >&2; exit 3; }
  cat $root/stage/cuda.xz.a $root/stage/cuda.xz.b > $root/stage/cuda.xz
  echo "$(cat $root/stage/cuda.xz.sha256)  $root/stage/cuda.xz" | sha256sum -c --quiet
  xz -d -T0 -c $root/stage/cuda.xz > $root/app/libonnxruntime_providers_cuda.so
  xz -d -T0 -c "$dest/c3/app.tar.xz" | tar -x -C $root/app
  xz -d -T0 -c "$dest/c3/libonnxruntime.so.xz" > $root/app/libonnxruntime.so
  export LD_LIBRARY_PATH=$root/app:/usr/local/cuda/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
  # cuDNN 9 for the CUDA provider: the system's if ldconfig knows one, else the one inside PyTorch's wheels.
  if ! ldconfig -p 2>/dev/null | grep -q 'libcudnn.so.9'; then
    cudnn=$(find /usr/local /usr/lib /opt -name 'libcudnn.so.9*' 2>/dev/null | head -1 || true)
    [ -n "$cudnn" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$(dirname "$cudnn")"
    echo "cuDNN: ${cudnn:-not found}"
  fi
  export PYTHONUNBUFFERED=1
  # The f5tts.ops custom-op library with its CUDA kernels, beside the app (replacing a CPU-only build from the
  # publish): the repository's working tree is the current directory on the GPU machine.
  if [ -d "${REPO_ROOT:-$PWD}/src/Native/F5Tts.Ops" ] && [ -d "$dest/c3/ort-include" ]; then
    F5TTS_OPS_CUDA=1 F5TTS_OPS_ARCHS=90 bash "${REPO_ROOT:-$PWD}/src/Native/F5Tts.Ops/build.sh" $root/app "$dest/c3/ort-include" \
      > "$out/ops-build.log" 2>&1 && tail -n 1 "$out/ops-build.log" || { echo "f5tts.ops build FAILED"; cat "$out/ops-build.log"; }
  fi
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
  export_previous() { # out-dir-name: the f5ops fp16 export of the exporter in $dest/c3/export-old (a same-sitting
    # baseline: `git archive REV tools/export` of the commit to compare with)
    local old
    old="$(cd "$dest/c3/export-old" && pwd)"
    (cd "$old" && python3 -m f5tts_export export --contract f5tts-batched/1 --model F5TTS_v1_Base --vocoder vocos-mel-24khz \
      --random-init --seed 0 --model-name F5TTS_v1_Base-random-seed0 --max-frames 4096 --precision fp16 --attention f5ops \
      --out "$models/$1") > "$out/export-$1.log" 2>&1
  }
  standard_exports() { # f5ops fp16 now (+ the checkpoint for PyTorch) and before (f5ops0-fp16); fused and f5ops fp32
    local t=$SECONDS e1 e2 e3 e4 r1 r2 r3 r4
    export_model f5ops-fp16 fp16 f5ops --save-checkpoint "$models/checkpoints" & e1=$!
    export_previous f5ops0-fp16 & e2=$!
    export_model fused-fp32 fp32 fused & e3=$!
    export_model f5ops-fp32 fp32 f5ops & e4=$!
    wait $e1; r1=$?; wait $e2; r2=$?; wait $e3; r3=$?; wait $e4; r4=$?
    echo "exports (fp16 f5ops rc $r1, before rc $r2; fp32 fused rc $r3, f5ops rc $r4) in $((SECONDS - t)) s"
  }
  run_smoke() { # log-name fixture-list [full-size-dirs]: tools/engine-smoke on CUDA (staged in $root/smoke by an extra
    # call carrying its tar, `mkdir -p /opt/f5/smoke && tar -xJf DIR/smoke.tar.xz -C /opt/f5/smoke`, or beside the app)
    local smoke=$root/app/F5Tts.EngineSmoke t=$SECONDS
    if [ -x $root/smoke/F5Tts.EngineSmoke ]; then smoke=$root/smoke/F5Tts.EngineSmoke; cp $root/app/libf5tts_ops.so $root/smoke/; fi
    timeout 240 $smoke "${REPO_ROOT:-$PWD}/tests/fixtures" "${3:--}" CUDA,CPU "$2" > "$out/$1.log" 2>&1
    echo "smoke rc $? in $((SECONDS - t)) s: $(grep -c PASS "$out/$1.log") PASS"
    grep -E "FAIL |compare|SMOKE|Unhandled" "$out/$1.log" | head -20
  }
  bench_before_now() { # before-dir now-dir: GpuBench with CUDA graphs on both, twice each, interleaved
    bench csharp-f5ops-before-fp16-graphs "$1" --cuda-graphs
    bench csharp-f5ops-fp16-graphs "$2" --cuda-graphs
    bench csharp-f5ops-before-fp16-graphs-2 "$1" --cuda-graphs
    bench csharp-f5ops-fp16-graphs-2 "$2" --cuda-graphs
  }
  pytorch_baseline() { # the exporter's PyTorch model on the same weights and card (bench_pytorch.py; needs an export
    # made with --save-checkpoint "$models/checkpoints")
    local t=$SECONDS
    timeout 300 python3 "$dest/c3/export/bench_pytorch.py" "$models" --text-tokens 82 --device-name "$card" --iters "${ITERS:-20}" \
      --e2e-iters "${E2E_ITERS:-5}" --batch-iters "${BATCH_ITERS:-3}" --batches "${BATCHES:-1,2,4,8,16}" > "$out/pytorch.log" 2>&1 \
      || echo "pytorch FAILED"
    echo "pytorch: $((SECONDS - t)) s"
  }
  profile_kernels() { # model-dir [GpuBench args]: Nsight Compute profile of one step at batch 1 and 16 -> kernels.md
    local dir=$1; shift
    [ -x /usr/local/cuda/bin/ncu ] || return 0
    for b in 1 16; do
      timeout 120 /usr/local/cuda/bin/ncu --profile-from-start off --metrics gpu__time_duration.sum --csv --page raw \
        $root/app/F5Tts.GpuBench --model "$dir" --providers CUDA,CPU --frames 680 --profile-batch $b "$@" \
        > "$out/ncu-b$b.csv" 2>/dev/null
    done
    python3 "$dest/c3/export/summarize_ncu.py" "$out" > "$out/kernels.md" 2>&1
  }
  f5ops_fixture() { # regenerates tests/fixtures/models/tiny-v1-batched-f5ops into the working tree and $out/fixtures.tar
    local fx repo=${REPO_ROOT:-$PWD}
    fx=$(mktemp -d)
    (cd "$dest/c3/export" && python3 - "$fx" <<'PY'
import sys
from pathlib import Path
from f5tts_export import fixtures
root = Path(sys.argv[1])
dit, vocos = fixtures.build_models(root)
fixtures.make_f5ops(dit, vocos, root / "models")
PY
    ) && tar -C "$fx/models" -cf "$out/fixtures.tar" tiny-v1-batched-f5ops && mkdir -p "$repo/tests/fixtures/models" \
      && tar -C "$repo/tests/fixtures/models" -xf "$out/fixtures.tar"
  }
  finish_sitting() { # results-final.jsonl, summary.md (compare_runs.py) and logs.tar.xz in $out
    local cmp
    cmp="$(cd "$dest/c3/export" && pwd)/compare_runs.py"
    (cd "$out" && { sed -n 's/^GPUBENCH_JSON //p' csharp-*.log; sed -n 's/^PYBENCH_JSON //p' pytorch.log 2>/dev/null; } > results-final.jsonl \
      && python3 "$cmp" results-final.jsonl | tee summary.md \
      && tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.err ./*.csv ./*.json 2>/dev/null))
  }
  # The sitting itself: gpu_sitting.sh (the documented one) unless PLAN names another bash file. It is sourced with
  # $out, $dest, $models, $card and the helpers above (bench, export_model, export_previous, standard_exports, run_smoke,
  # bench_before_now, pytorch_baseline, profile_kernels, f5ops_fixture, finish_sitting)
  # defined and the app unpacked.
  . "${PLAN:-$here/gpu_sitting.sh}"
  echo "total $((SECONDS - t_start)) s"
  ;;
*)
  echo "unknown mode $mode (pack|stage1|stage2|run)" >&2; exit 2 ;;
esac
