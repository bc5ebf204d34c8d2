#!/usr/bin/env bash
# Fails (exit 1) when a tracked file cites a document that is not in the repository: numbered sections of the old
# design and reference notes. Cite the pages under docs/ instead (docs/architecture.md, docs/model.md, ...).
# The same rule runs in CI as tests/F5Tts.Api.Tests/CitationTests.cs; this is the quick check from a shell.
# usage: tools/check-citations.sh [REPO_ROOT]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
# "(design|reference) §N", "(§N)", a bare "§N" not preceded by "RFC NNNN ", and the old notes' file names
pattern='(design|reference)\s*§|\(§[0-9]|(?<!RFC [0-9]{4} )§[0-9]|f5-refer[e]nce|design[.]md'
if git ls-files -z | grep -zv -e '\.onnx$' -e '\.bin$' -e '\.wav$' -e '\.safetensors$' -e '\.pt$' \
    | xargs -0 grep -nP --binary-files=without-match "$pattern"; then
  echo "check-citations: cite docs/ pages instead of the lines above" >&2
  exit 1
fi
echo "check-citations: no citation of a document outside the repository"
