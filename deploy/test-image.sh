#!/usr/bin/env bash
# Builds deploy/Dockerfile's CPU image (target runtime-cpu) with podman and tests the service inside it, from
# outside the container: readiness, WAV/Opus/MP3 synthesis decoded by ffprobe, a voice upload that survives a new
# container on the same volume, the non-root user, the image's HEALTHCHECK, the SIGTERM drain with a request in
# flight, and an image without test fixtures, SDK or sources. Also builds the stages of the GPU image that need no
# CUDA base image (build with publish) and checks the GPU publish output. docs/deployment.md describes it.
#
# usage (as root, on Debian/Ubuntu): deploy/test-image.sh            one line per check, then "N passed, N failed";
#                                                                    exit status 1 when any check fails
#        deploy/test-image.sh --print-image                          the image reference it builds (the chart's CPU
#                                                                    image: repository:appVersion-cpu) and exits
# environment:
#   F5TTS_BASE_IMAGES  auto (default): Microsoft's base images when `podman pull` gets them, else local stand-ins
#                      (deploy/standin-images.sh); real: only the pulled ones; standin: only the stand-ins
#   F5TTS_NUGET_PACKAGES  NuGet package folder lent to the build's restore (default ~/.nuget/packages when it
#                      exists; empty: none, restore downloads everything)
#   F5TTS_MODEL_DIR    model mounted at /models (default tests/fixtures/models/tiny-v1-batched)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHART=$ROOT/deploy/helm/f5tts
DOCKERFILE=$ROOT/deploy/Dockerfile

# The image reference the chart's Deployment runs with gpu.enabled=false and no image.tag (see f5tts.image in
# deploy/helm/f5tts/templates/_helpers.tpl); tests/deploy/check_deploy.py compares the two.
app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$CHART/Chart.yaml")
repository=$(awk '/^image:/ {in_image = 1; next} /^[^ #]/ {in_image = 0}
                  in_image && $1 == "repository:" {print $2; exit}' "$CHART/values.yaml")
IMAGE="$repository:$app_version-cpu"
if [ "${1:-}" = "--print-image" ]; then
    echo "$IMAGE"
    exit 0
fi
BUILD_IMAGE="$repository-build:$app_version"
MODEL_DIR=${F5TTS_MODEL_DIR:-$ROOT/tests/fixtures/models/tiny-v1-batched}
NUGET_LEND=${F5TTS_NUGET_PACKAGES-$HOME/.nuget/packages}
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs)
NAME=f5tts-image-test-$$
VOLUME=$NAME-voices
TMP=$(mktemp -d /tmp/f5tts-image-test.XXXXXX)
LOGS=$TMP/logs
mkdir -p "$LOGS"
START=$SECONDS
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
summary() {
    echo "test-image: wall time $((SECONDS - START)) s; logs in $LOGS"
    echo "$passed passed, $failed failed"
}
fatal() { fail "$1"; summary; exit 1; }

cleanup() {
    "${PODMAN[@]}" rm -f -t 0 "$NAME" > /dev/null 2>&1
    "${PODMAN[@]}" volume rm -f "$VOLUME" > /dev/null 2>&1
}
trap cleanup EXIT

# Polls a condition (a command) every 0.2 s until it holds or the deadline passes; synchronisation with the
# container, not a timing assertion.
wait_until() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# ---------------------------------------------------------------------------------------------------------------
# Tools and podman configuration.
[ "$(id -u)" = 0 ] || fatal "root: run as root (apt-get, debootstrap, rootful podman)"
need=()
for tool in podman:podman runc:runc debootstrap:debootstrap newuidmap:uidmap ffprobe:ffmpeg curl:curl \
            python3:python3 tar:tar; do
    command -v "${tool%%:*}" > /dev/null || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "test-image: installing ${need[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } \
        > "$LOGS/apt.log" 2>&1 || fatal "tools: apt-get install ${need[*]} (see $LOGS/apt.log)"
fi
# podman's default ulimits include RLIMIT_NPROC, which the runtimes cannot set on some hosts (CI's among them).
if [ ! -e /etc/containers/containers.conf ]; then
    mkdir -p /etc/containers
    printf '[containers]\ndefault_ulimits = []\n' > /etc/containers/containers.conf
fi
ok "tools: $(podman --version), runc, ffprobe, curl"

# ---------------------------------------------------------------------------------------------------------------
# Base images: Microsoft's when they can be pulled, else the stand-ins (documented in docs/deployment.md).
sdk_default=$(sed -n 's/^ARG SDK_IMAGE=//p' "$DOCKERFILE")
aspnet_default=$(sed -n 's/^ARG ASPNET_IMAGE=//p' "$DOCKERFILE")
mode=${F5TTS_BASE_IMAGES:-auto}
build_args=()
base_note=""
t0=$SECONDS
if [ "$mode" != "standin" ] \
    && timeout 300 "${PODMAN[@]}" pull -q "$sdk_default" > "$LOGS/pull.log" 2>&1 \
    && timeout 300 "${PODMAN[@]}" pull -q "$aspnet_default" >> "$LOGS/pull.log" 2>&1; then
    base_note="pulled $sdk_default, $aspnet_default"
elif [ "$mode" = "real" ]; then
    fatal "base images: cannot pull $sdk_default / $aspnet_default (see $LOGS/pull.log)"
else
    if ! "$ROOT/deploy/standin-images.sh" > "$TMP/standin.env" 2> "$LOGS/standin.log"; then
        cat "$LOGS/standin.log"
        fatal "base images: stand-ins (deploy/standin-images.sh)"
    fi
    while IFS= read -r kv; do build_args+=(--build-arg "$kv"); done < "$TMP/standin.env"
    base_note="stand-ins $(tr '\n' ' ' < "$TMP/standin.env")($(tail -1 "$LOGS/standin.log" | sed 's/^standin-images: //'))"
fi
ok "base images: $base_note in $((SECONDS - t0)) s"

# ---------------------------------------------------------------------------------------------------------------
# Build. --format docker keeps the HEALTHCHECK (the OCI format has none); --network host because the build's
# restore and apt-get need the network and podman's bridge may not be usable where this runs. The NuGet folder is
# lent to the build stage only (a build volume would leave its empty mount point in every later stage's layers):
# target build first with it, then runtime-cpu without it, which reuses the build stage's cached layers.
build=("${PODMAN[@]}" build --network host --format docker -f "$DOCKERFILE" "${build_args[@]}")
lend=()
if [ -n "$NUGET_LEND" ] && [ -d "$NUGET_LEND" ]; then
    lend=(-v "$NUGET_LEND:/root/.nuget/packages")
fi
t0=$SECONDS
"${build[@]}" "${lend[@]}" --target build -t "$BUILD_IMAGE" "$ROOT" > "$LOGS/build.log" 2>&1 \
    || { tail -30 "$LOGS/build.log"; fatal "build: --target build (see $LOGS/build.log)"; }
"${build[@]}" --target runtime-cpu -t "$IMAGE" "$ROOT" >> "$LOGS/build.log" 2>&1 \
    || { tail -30 "$LOGS/build.log"; fatal "build: --target runtime-cpu (see $LOGS/build.log)"; }
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")
ok "build: $IMAGE in $((SECONDS - t0)) s, image size $((size / 1000000)) MB"

# throwaway RUN-ARGS...: a throw-away container without network and healthcheck timer, stderr to a log.
throwaway() { "${PODMAN[@]}" run --rm --network none --no-healthcheck "$@" 2>> "$LOGS/inspect.log"; }

# The GPU image's stages that need no CUDA base: build (restore + publish, shared with the CPU image).
missing=$(throwaway --entrypoint sh "$BUILD_IMAGE" -c '
    for f in F5Tts.Api.dll libonnxruntime.so libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so \
             libonnxruntime_providers_tensorrt.so libf5tts_ops.so; do [ -f "/app/publish/$f" ] || echo "$f"; done
    [ -f /ort/include/onnxruntime_c_api.h ] || echo /ort/include/onnxruntime_c_api.h
    ls /app/publish | grep -i "onnxruntime.*\.dll$" | grep -v "^Microsoft"')
if [ -z "$missing" ]; then
    ok "GPU stages without a CUDA base: build (publish holds the CUDA and TensorRT providers; ORT headers for ops-cuda)"
else
    fail "GPU stages without a CUDA base: publish output wrong: $(echo "$missing" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------------------------------------------
# What the image holds (inspected as root inside it; /proc and /sys skipped).
config_user=$("${PODMAN[@]}" image inspect --format '{{.Config.User}}' "$IMAGE")
inside=$(throwaway --user 0 --entrypoint sh "$IMAGE" -c '
    find / -xdev \( -path /proc -o -path /sys \) -prune -o \( -name "*.onnx" -o -name vocab.txt -o -name "*.cs" \
        -o -name "*.csproj" -o -name "*.props" -o -name "*.sln" -o -name "*.cc" -o -name "*.cu" -o -name "*.pdb" \
        -o -path "*/fixtures*" -o -path "*/tests/*" \) -print | head -5
    for d in /src /usr/share/dotnet/sdk /usr/share/dotnet/packs /root/.nuget /ort; do [ -e "$d" ] && echo "$d"; done
    dotnet --list-sdks
    for c in gcc g++ cc nvcc git; do command -v "$c"; done
    true')
if [ -z "$inside" ]; then
    ok "image holds no test fixtures, SDK, compilers or sources (app $(throwaway --entrypoint du "$IMAGE" -sh /app | cut -f1))"
else
    fail "image holds what it should not: $(echo "$inside" | tr '\n' ' ')"
fi
lame=$(throwaway --entrypoint sh "$IMAGE" -c 'ldconfig -p | grep -c "libmp3lame.so.0 "; command -v curl')
if [ "$(echo "$lame" | head -1)" -ge 1 ] 2> /dev/null && [ -n "$(echo "$lame" | sed -n 2p)" ]; then
    ok "image has libmp3lame.so.0 (MP3 output) and curl (HEALTHCHECK)"
else
    fail "image lacks libmp3lame.so.0 or curl: $lame"
fi

# ---------------------------------------------------------------------------------------------------------------
# Run it as the chart does (read-only root filesystem, no capabilities, no privilege escalation), models read-only
# at /models and a named volume at /data/voices, on a free loopback port. No healthcheck timer (podman runs it
# through systemd, which may be absent): the check below runs the image's HEALTHCHECK command itself.
[ -f "$MODEL_DIR/F5_Transformer.onnx" ] || fatal "model: no F5_Transformer.onnx in $MODEL_DIR"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"${PODMAN[@]}" volume create "$VOLUME" > /dev/null
run_container() {
    "${PODMAN[@]}" rm -f -t 0 "$NAME" > /dev/null 2>&1
    "${PODMAN[@]}" run -d --name "$NAME" -p "127.0.0.1:$PORT:8080" --health-interval disable \
        --read-only --cap-drop ALL --security-opt no-new-privileges \
        -v "$MODEL_DIR:/models:ro" -v "$VOLUME:/data/voices" \
        -e F5Tts__Server__ShutdownTimeoutSeconds=600 -e DOTNET_SHUTDOWNTIMEOUTSECONDS=600 -e F5Tts__Batching__RequestTimeoutSeconds=900 \
        "$IMAGE" > "$LOGS/run-$1.log" 2>&1
}
ready() { [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$URL/health/ready")" = 200 ]; }
container_logs() { "${PODMAN[@]}" logs "$NAME" > "$LOGS/container-$1.log" 2>&1; }

t0=$SECONDS
if ! run_container 1; then
    cat "$LOGS/run-1.log"
    fatal "run: podman run (see $LOGS/run-1.log)"
fi
if ! wait_until 300 ready; then
    container_logs 1
    tail -20 "$LOGS/container-1.log"
    fatal "ready: /health/ready did not answer 200 within 300 s (see $LOGS/container-1.log)"
fi
ok "ready: /health/ready 200 after $((SECONDS - t0)) s (container on 127.0.0.1:$PORT)"

formats=$(curl -s -m 10 "$URL/v1/models" | python3 -c 'import json, sys
d = json.load(sys.stdin); print(" ".join(sorted(set(f for m in d.get("data", [d]) for f in m.get("formats", [])))))' 2>&1)
if [ "$formats" = "mp3 opus pcm wav" ]; then
    ok "formats offered (/v1/models): $formats"
else
    fail "formats offered (/v1/models): '$formats', expected mp3 opus pcm wav"
fi

# Synthesises through a route and decodes the body with ffprobe: synth NAME ROUTE JSON CODEC FORMAT
synth() {
    local file=$TMP/$1 code probe
    code=$(curl -s -m 120 -o "$file" -w '%{http_code}' -H 'content-type: application/json' -d "$3" "$URL$2")
    probe=$(ffprobe -v error -show_entries stream=codec_name,sample_rate,channels:format=format_name,duration \
        -of default=nw=1 "$file" 2>&1 | tr '\n' ' ')
    local duration
    duration=$(echo "$probe" | sed -n 's/.*duration=\([0-9.]*\).*/\1/p')
    if [ "$code" = 200 ] && [[ "$probe" == *"codec_name=$4 "* ]] && [[ "$probe" == *"format_name=$5 "* ]] \
        && python3 -c "import sys; sys.exit(0 if float('${duration:-0}') > 0.3 else 1)"; then
        ok "synthesis $1: $2 → HTTP 200, ffprobe: $probe"
    else
        fail "synthesis $1: $2 → HTTP $code, ffprobe: $probe (expected codec $4, format $5, > 0.3 s)"
    fi
}
synth wav /v1/tts '{"text":"Hello from the container.","format":"wav","nfe_steps":8,"seed":1}' pcm_s16le wav
synth opus /v1/tts '{"text":"Hello from the container.","format":"opus","nfe_steps":8,"seed":1}' opus ogg
synth mp3 /v1/audio/speech '{"model":"tts-1","input":"Hello from the container.","voice":"default","nfe_steps":8}' mp3 mp3

uid=$(stat -c %u "/proc/$("${PODMAN[@]}" inspect --format '{{.State.Pid}}' "$NAME")" 2>&1)
if [ "$uid" = 10001 ] && [ "$config_user" = "10001:10001" ]; then
    ok "non-root: the service process runs as uid $uid (image USER $config_user)"
else
    fail "non-root: process uid '$uid', image USER '$config_user' (expected 10001, 10001:10001)"
fi

health_cmd=$("${PODMAN[@]}" inspect --format '{{.Config.Healthcheck.Test}}' "$NAME" 2>&1)
if "${PODMAN[@]}" healthcheck run "$NAME" > "$LOGS/healthcheck.log" 2>&1; then
    ok "HEALTHCHECK: podman healthcheck run → healthy ($health_cmd)"
else
    fail "HEALTHCHECK: podman healthcheck run failed: $(tr '\n' ' ' < "$LOGS/healthcheck.log") ($health_cmd)"
fi

# A voice uploaded to the volume is there for a new container on the same volume.
voice_code=$(curl -s -m 60 -o "$TMP/voice.json" -w '%{http_code}' -F id=image-test -F name="Image test" \
    -F "transcript=$(cat "$ROOT/voices/default/transcript.txt")" -F "audio=@$ROOT/voices/default/reference.wav" \
    "$URL/v1/voices")
"${PODMAN[@]}" stop -t 660 "$NAME" > /dev/null 2>&1
first_exit=$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$NAME")
container_logs 1
t0=$SECONDS
if run_container 2 && wait_until 300 ready; then
    got=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$URL/v1/voices/image-test")
    used=$(curl -s -m 120 -o "$TMP/voice.wav" -w '%{http_code}' -H 'content-type: application/json' \
        -d '{"text":"Hello again.","voice":"image-test","format":"wav","nfe_steps":8,"seed":1}' "$URL/v1/tts")
    if [ "$voice_code" = 201 ] && [ "$got" = 200 ] && [ "$used" = 200 ] && [ "$first_exit" = 0 ]; then
        ok "voice volume: uploaded (201), container stopped (exit 0), new container ready in $((SECONDS - t0)) s has it (200) and speaks with it (200)"
    else
        fail "voice volume: upload $voice_code, first exit $first_exit, after restart GET $got, synthesis $used"
    fi
else
    container_logs 2
    fatal "voice volume: the second container did not get ready (see $LOGS/container-2.log)"
fi

# SIGTERM drain (generous timeouts: hang guards, not speed limits, for a busy machine): a long request in flight
# (the server's own gauge says so) completes, readiness turns 503
# meanwhile, and the process exits 0.
inflight() {
    local v
    v=$(curl -s -m 5 "$URL/metrics" | sed -n 's/^f5tts_inflight_requests\({[^}]*}\)\{0,1\} \([0-9.eE+-]*\).*/\2/p' | head -1)
    python3 -c "import sys; sys.exit(0 if float('${v:-0}') >= 1 else 1)"
}
draining() { [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$URL/health/ready")" = 503 ]; }
text=$(printf 'This long request must finish even though the container is being stopped. %.0s' {1..10})
curl -s -m 900 -o "$TMP/drain.pcm" -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"text\":\"$text\",\"nfe_steps\":64,\"seed\":1,\"format\":\"pcm\"}" "$URL/v1/tts" > "$TMP/drain.code" &
request=$!
if wait_until 120 inflight; then
    "${PODMAN[@]}" stop -t 660 "$NAME" > "$LOGS/stop.log" 2>&1 &
    stopper=$!
    wait_until 60 draining && saw_503=yes || saw_503=no
    wait "$request"
    wait "$stopper"
    code=$(cat "$TMP/drain.code")
    bytes=$(stat -c %s "$TMP/drain.pcm" 2> /dev/null || echo 0)
    exit_code=$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$NAME")
    container_logs 2
    if [ "$code" = 200 ] && [ "$bytes" -gt 48000 ] && [ "$exit_code" = 0 ] && [ "$saw_503" = yes ]; then
        ok "SIGTERM drain: request in flight at podman stop finished (HTTP 200, $bytes bytes of PCM), readiness 503 while draining, exit 0"
    else
        fail "SIGTERM drain: request HTTP $code with $bytes bytes, readiness 503 seen: $saw_503, exit code $exit_code (see $LOGS/container-2.log)"
    fi
else
    wait "$request"
    fail "SIGTERM drain: f5tts_inflight_requests never reached 1"
fi

summary
[ "$failed" -eq 0 ]
