# Time to first audio against total time for a five-sentence text, streamed and whole, on loopback (no GPU)
# Sourced by benchmarks/run.sh; runs benchmarks/load/ttfa.sh against the Release build of src/Api on its configured
# model. Knobs: NFE (16), RUNS (5).
bash "$repo/benchmarks/load/ttfa.sh" "${NFE:-16}" "${RUNS:-5}" | tee "$out/ttfa.txt"
