#!/usr/bin/env bash
# ./test.sh — runs every test of the repository on a Debian/Ubuntu machine that has the .NET SDK (global.json).
#
# 1. Installs the Debian packages the tests call for real, only those missing (as root, or through sudo).
# 2. Installs the node modules of the node-driven tests (npm ci), only when missing or older than the lock file.
# 3. Runs `dotnet test` (every test project of the solution).
# 4. Runs deploy/test-image.sh (builds and checks the container image with podman) where it exists.
# Exits non-zero when any step or test fails, and ends with one line: "N passed, N failed, N skipped".
# Idempotent: a second run installs nothing.
set -uo pipefail
cd "$(dirname "$0")"

# command-or-package:Debian package. "pkg=NAME" checks an installed package instead of a command (libraries, fonts).
requirements=(
  g++:g++                       # builds libf5tts_ops.so (src/Native/F5Tts.Ops) during `dotnet build`
  opusinfo:opus-tools           # checks Ogg Opus output
  ffprobe:ffmpeg                # decodes and measures every other output format
  sox:sox
  espeak-ng:espeak-ng
  promtool:prometheus           # checks the /metrics exposition
  yamllint:yamllint             # lints the Helm chart
  chromium:chromium             # Swagger UI test, headless
  node:nodejs                   # OpenAI npm client tests, Chromium driver
  npm:npm
  curl:curl                     # README examples, run as written
  python3:python3               # deploy checks
  podman:podman                 # deploy/test-image.sh
  runc:runc
  debootstrap:debootstrap
  newuidmap:uidmap
  pkg=libmp3lame0:libmp3lame0   # mp3 output
  pkg=fonts-dejavu-core:fonts-dejavu-core
  pkg=fonts-wqy-microhei:fonts-wqy-microhei   # a CJK font: the page test checks Chinese renders
)

missing=()
for requirement in "${requirements[@]}"; do
  what=${requirement%%:*}
  package=${requirement##*:}
  if [[ $what == pkg=* ]]; then
    dpkg-query -W -f='${Status}' "${what#pkg=}" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  else
    command -v "$what" >/dev/null 2>&1 || missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "test.sh: installing ${missing[*]}" >&2
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get update -qq || ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "test.sh: could not install ${missing[*]} (needs root or sudo and a Debian package source)" >&2
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
fi

# Node modules of the node-driven tests: `npm ci` wherever a test folder has a lock file and its modules are
# missing or older than the lock file (npm ci replaces node_modules, so it is not run when nothing changed).
while IFS= read -r lock; do
  dir=$(dirname "$lock")
  if [[ ! -f $dir/node_modules/.package-lock.json || $lock -nt $dir/node_modules/.package-lock.json ]]; then
    echo "test.sh: npm ci in $dir" >&2
    if ! (cd "$dir" && npm ci --no-audit --no-fund --silent); then
      echo "0 passed, 1 failed, 0 skipped"
      exit 1
    fi
  fi
done < <(find tests -name package-lock.json -not -path '*/node_modules/*' 2>/dev/null)

status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test 2>&1 | tee "$log"
((PIPESTATUS[0] == 0)) || status=1

# Microsoft.Testing.Platform ends with "Test run summary:" and the counts ("failed: N", "succeeded: N",
# "skipped: N"); add up every summary block. A run that crashed before its summary counts as one failure.
read -r passed failed skipped < <(awk '
  /^Test run summary:/ { summary = 1; next }
  summary && /^[[:space:]]*succeeded:[[:space:]]*[0-9]+/ { p += $2 }
  summary && /^[[:space:]]*failed:[[:space:]]*[0-9]+/    { f += $2 }
  summary && /^[[:space:]]*skipped:[[:space:]]*[0-9]+/   { s += $2 }
  summary && /^[[:space:]]*duration:/                    { summary = 0 }
  END { print p + 0, f + 0, s + 0 }' "$log")
if ((status != 0 && failed == 0)); then failed=1; fi

if [[ -x deploy/test-image.sh ]]; then
  if deploy/test-image.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
