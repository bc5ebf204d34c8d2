#!/usr/bin/env bash
# The one entry point of the benchmarks (benchmarks/README.md):   benchmarks/run.sh PLAN [OUT_DIR]
#                                                                  benchmarks/run.sh list
# PLAN is a file of benchmarks/plans/ (without .sh). GPU plans run on a machine with an NVIDIA GPU, CUDA, Python with
# torch and onnx, after benchmarks/transfer/bundle.sh unpacked ONNX Runtime and the apps they name into $F5_ROOT
# (default /opt/f5); `load` and `ttfa` run anywhere with the .NET SDK. Results and logs go to OUT_DIR (default $OUT,
# else /tmp/f5bench-out). Knobs are environment variables, listed at the top of each plan.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
plans=$repo/benchmarks/plans
plan=${1:?usage: benchmarks/run.sh PLAN [OUT_DIR] | list}
if [ "$plan" = list ]; then
  for f in "$plans"/*.sh; do printf '%-18s %s\n' "$(basename "$f" .sh)" "$(sed -n '1s/^# *//p' "$f")"; done
  exit 0
fi
[ -f "$plans/$plan.sh" ] || { echo "no plan '$plan' (benchmarks/run.sh list)" >&2; exit 2; }
out=${2:-${OUT:-/tmp/f5bench-out}}
root=${F5_ROOT:-/opt/f5}
mkdir -p "$out"
. "$repo/benchmarks/lib/gpu.sh"
. "$repo/benchmarks/lib/service.sh"
t_plan=$SECONDS
. "$plans/$plan.sh"
echo "plan $plan: $((SECONDS - t_plan)) s"
