# Loopback HTTP load of POST /v1/tts on this machine (no GPU): requests/s and latency at 1, 4, 16 clients, then a soak
# Sourced by benchmarks/run.sh; runs benchmarks/load/run-load.sh (autocannon from tests/node: `npm ci` there first)
# against the Release build of src/Api on its configured model. Knobs: REQUESTS (100 per level), SOAK (10000), NFE (8),
# SOAK_NFE (1); results in docs/serving.md "Load".
bash "$repo/benchmarks/load/run-load.sh" "${REQUESTS:-100}" "${SOAK:-10000}" "${NFE:-8}" "${SOAK_NFE:-1}" | tee "$out/load.txt"
