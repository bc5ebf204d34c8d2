# One full-size export only (NAME, default model-fp16; MODEL_ATTENTION f5ops; PRECISION fp16), for a later plan to reuse
# Sourced by benchmarks/run.sh; needs no app. Started beside `bundle.sh unpack` in the same call, it takes the export
# (about a minute) off the plan that follows: `benchmarks/run.sh export "$OUT/export" & bundle.sh unpack ... && wait`.
gpu_setup
t=$SECONDS
export_model "${NAME:-model-fp16}" "${PRECISION:-fp16}" "${MODEL_ATTENTION:-f5ops}"
echo "export ${NAME:-model-fp16} rc $? in $((SECONDS - t)) s"
