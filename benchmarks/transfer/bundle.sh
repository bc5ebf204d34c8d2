#!/usr/bin/env bash
# Carries self-contained .NET publishes, ONNX Runtime's GPU libraries and source trees of other commits to a GPU
# machine that has CUDA and Python but no .NET, through device calls that each carry a limited amount of data.
# It knows nothing about benchmarks: benchmarks/run.sh runs the plans once this has unpacked (benchmarks/README.md).
#
# Here (the .NET SDK and the restored Microsoft.ML.OnnxRuntime.Gpu.Linux package), into a staging folder STAGE:
#   bundle.sh ort STAGE [ORT_VERSION] [SM]       ONNX Runtime's natives: the CUDA provider with the GPU code of one
#                                                architecture kept (SM, default 90 = H100/H200; SM=all keeps every
#                                                one, ~5x larger), libonnxruntime.so, providers_shared, and the C/C++
#                                                headers libf5tts_ops.so is built against there
#   bundle.sh ort-variant STAGE VERSION SUFFIX [SM]
#                                                another ONNX Runtime release beside the first: on unpack every app A
#                                                also becomes app A-SUFFIX running on VERSION's natives (same files,
#                                                hard links; e.g. GPUBENCH=gpubench-SUFFIX for a plan). The apps keep
#                                                the managed binding and libf5tts_ops.so they were built with, which
#                                                ask for their own ONNX Runtime API version: VERSION must be the same
#                                                release as the binding's or newer
#   bundle.sh app STAGE NAME PUBLISH [--base B] [--ops TREE]
#                                                one `dotnet publish -r linux-x64 --self-contained` folder, without
#                                                ONNX Runtime's natives (they travel once, in `ort`); --base B: only
#                                                the files that differ from app B (two builds of the same program
#                                                share ~all of the runtime); --ops TREE: build its libf5tts_ops.so from
#                                                the tree TREE (default: the working tree's src/Native/F5Tts.Ops)
#   bundle.sh tree STAGE NAME REV PATH...        `git archive REV PATH...` (e.g. another commit's exporter or ops)
#   bundle.sh split STAGE CHUNKS [CHUNK_MB]      STAGE as one archive cut into CHUNKS/c0, c1, ... of at most CHUNK_MB
#                                                (default 26: the working tree, ~35 MB, travels with every call and a
#                                                call carries 64 MiB in all; a lab with larger transfers raises it)
# On the GPU machine, one call per chunk, back to back (the machine keeps its files only while it stays warm):
#   bundle.sh stage CHUNKS I                     every chunk but the last (call I carries CHUNKS/cI)
#   bundle.sh unpack CHUNKS                      the last chunk: checks the whole archive's sha256 and unpacks it
#                                                into $F5_ROOT (default /opt/f5): ort/, trees/NAME/, apps/NAME/ (each
#                                                app with ONNX Runtime's natives and libf5tts_ops.so built with nvcc
#                                                for this card), then prints what is there
set -euo pipefail
mode=${1:?usage: bundle.sh ort|ort-variant|app|tree|split|stage|unpack ...}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=${F5_ROOT:-/opt/f5}

pack_ort() { # STAGE [VERSION] [SM] [DIR]: into STAGE/DIR (default ort)
  local stage=$1 ver=${2:-1.32.0} sm=${3:-90} dir=${4:-ort}
  local pkg=${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.ml.onnxruntime.gpu.linux/$ver
  local native=$pkg/runtimes/linux-x64/native
  [ -f "$native/libonnxruntime_providers_cuda.so" ] || { echo "restore Microsoft.ML.OnnxRuntime.Gpu.Linux $ver first (not in $native)" >&2; exit 1; }
  mkdir -p "$stage/$dir"
  local cache=${XDG_CACHE_HOME:-$HOME/.cache}/f5tts-bundle/$ver-sm$sm
  if [ ! -s "$cache/libonnxruntime_providers_cuda.so.xz" ]; then  # a few minutes once, then cached
    mkdir -p "$cache"
    if [ "$sm" = all ]; then cp "$native/libonnxruntime_providers_cuda.so" "$cache/cuda.so"
    else python3 "$here/prune_cuda_fatbin.py" "$native/libonnxruntime_providers_cuda.so" "$cache/cuda.so" --arch "$sm"; fi
    xz -T0 -9 -c "$cache/cuda.so" > "$cache/cuda.so.xz.tmp" && mv "$cache/cuda.so.xz.tmp" "$cache/libonnxruntime_providers_cuda.so.xz"
    rm -f "$cache/cuda.so"
  fi
  cp "$cache/libonnxruntime_providers_cuda.so.xz" "$stage/$dir/"
  xz -T0 -6 -c "$native/libonnxruntime.so" > "$stage/$dir/libonnxruntime.so.xz"
  cp "$native/libonnxruntime_providers_shared.so" "$stage/$dir/"
  rm -rf "$stage/$dir/include" && cp -r "$pkg/buildTransitive/native/include" "$stage/$dir/include"
  du -sm "$stage/$dir"
}

pack_app() {
  local stage=$1 name=$2 pub base="" ops=""
  pub=$(cd "$3" && pwd); shift 3
  while [ $# -gt 0 ]; do
    case $1 in --base) base=$2; shift 2 ;; --ops) ops=$2; shift 2 ;; *) echo "unknown option $1" >&2; exit 2 ;; esac
  done
  mkdir -p "$stage/apps"
  local list
  list=$(cd "$pub" && find . -type f ! -name 'libonnxruntime*.so' ! -name 'onnxruntime*.dll' ! -name '*.pdb' | LC_ALL=C sort)
  printf '%s\n' "$list" > "$stage/apps/$name.files"
  printf '%s\n' "$pub" > "$stage/apps/$name.src"   # here only: where --base finds this publish again
  [ -z "$ops" ] || printf '%s\n' "$ops" > "$stage/apps/$name.ops"
  local send=$list
  if [ -n "$base" ]; then
    local bpub
    bpub=$(cat "$stage/apps/$base.src")
    printf '%s\n' "$base" > "$stage/apps/$name.base"
    send=$(while read -r f; do cmp -s "$pub/$f" "$bpub/$f" || printf '%s\n' "$f"; done <<< "$list")
  fi
  { printf '%s\n' "$send" | grep . || true; } | tar -C "$pub" -cf - -T - | xz -T0 -6 > "$stage/apps/$name.tar.xz"
  echo "$name: $(grep -c . <<< "$send") of $(grep -c . <<< "$list") files, $(du -m "$stage/apps/$name.tar.xz" | cut -f1) MB${base:+ (the rest from $base)}"
}

pack_tree() {
  local stage=$1 name=$2 rev=$3; shift 3
  mkdir -p "$stage/trees"
  git -C "$repo" archive --format=tar "$rev" "$@" > "$stage/trees/$name.tar"
  echo "$name: $rev $*, $(du -k "$stage/trees/$name.tar" | cut -f1) KB"
}

split_stage() {
  local stage=$1 chunks=$2 mb=${3:-26} n=0
  rm -rf "$chunks" && mkdir -p "$chunks"
  tar -C "$stage" --exclude='*.src' -cf "$chunks/blob.tar" .
  sha256sum "$chunks/blob.tar" | cut -d' ' -f1 > "$chunks/blob.sha256"
  split -b "${mb}M" -d -a 2 "$chunks/blob.tar" "$chunks/part."
  for f in "$chunks"/part.*; do mkdir -p "$chunks/c$n"; mv "$f" "$chunks/c$n/"; n=$((n + 1)); done
  mv "$chunks/blob.sha256" "$chunks/c$((n - 1))/" && rm "$chunks/blob.tar"
  du -sm "$chunks"/c*
  echo "$n device calls, back to back: c0 .. c$((n - 2)) with 'bundle.sh stage $chunks I', the last (c$((n - 1))) with 'bundle.sh unpack $chunks && benchmarks/run.sh PLAN'"
}

stage_chunk() {
  mkdir -p "$root/blob" && cp "$1/c$2"/part.* "$root/blob/"
  echo "chunk $2 staged ($(ls "$root/blob" | wc -l) parts on the machine)"
}

ops_build() { # source-dir out-dir: libf5tts_ops.so with CUDA kernels for this card's architecture
  local sm
  sm=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')
  F5TTS_OPS_CUDA=1 F5TTS_OPS_ARCHS=${F5TTS_OPS_ARCHS:-${sm:-90}} bash "$1/build.sh" "$2" "$root/ort/include" > "$2.log" 2>&1 \
    && tail -n 1 "$2.log" || { echo "f5tts.ops build FAILED ($1)"; tail -n 20 "$2.log"; return 1; }
}

unpack_variants() { # each STAGE/ort-variants/SUFFIX: its natives in $root/ort-SUFFIX, app A-SUFFIX for every app A
  local v suffix a name
  for v in "$root"/x/ort-variants/*/; do
    [ -d "$v" ] || continue
    suffix=$(basename "$v"); rm -rf "$root/ort-$suffix" && mkdir -p "$root/ort-$suffix"
    cp "$v/libonnxruntime_providers_shared.so" "$root/ort-$suffix/"
    xz -d -T0 -c "$v/libonnxruntime_providers_cuda.so.xz" > "$root/ort-$suffix/libonnxruntime_providers_cuda.so"
    xz -d -T0 -c "$v/libonnxruntime.so.xz" > "$root/ort-$suffix/libonnxruntime.so"
    for a in "$root"/x/apps/*.tar.xz; do
      [ -e "$a" ] || continue
      name=$(basename "$a" .tar.xz); rm -rf "$root/apps/$name-$suffix"
      cp -al "$root/apps/$name" "$root/apps/$name-$suffix"
      rm -f "$root/apps/$name-$suffix"/libonnxruntime*.so  # unlink first: the hard links are the other app's files
      cp -f "$root/ort-$suffix"/libonnxruntime*.so "$root/apps/$name-$suffix/"
      echo "app $name-$suffix: $name on the natives of ort-variants/$suffix"
    done
  done
}

unpack() {
  local chunks=$1 last
  last=$(ls -d "$chunks"/c* | sort -V | tail -n 1)
  mkdir -p "$root/blob" && cp "$last"/part.* "$root/blob/"
  cat $(ls "$root/blob"/part.* | sort -V) > "$root/blob.tar"
  echo "$(cat "$last/blob.sha256")  $root/blob.tar" | sha256sum -c --quiet \
    || { echo "chunks missing or stale (the machine went cold between calls): start again at c0" >&2; exit 3; }
  rm -rf "$root/x" "$root/apps" "$root/trees" "$root/ops" && mkdir -p "$root/x" && tar -C "$root/x" -xf "$root/blob.tar"
  rm -rf "$root/blob" "$root/blob.tar"
  mkdir -p "$root/ort" "$root/apps" "$root/trees" "$root/ops"
  if [ -f "$root/x/ort/libonnxruntime.so.xz" ]; then
    cp "$root/x/ort/libonnxruntime_providers_shared.so" "$root/ort/" && rm -rf "$root/ort/include" && cp -r "$root/x/ort/include" "$root/ort/"
    xz -d -T0 -c "$root/x/ort/libonnxruntime_providers_cuda.so.xz" > "$root/ort/libonnxruntime_providers_cuda.so"
    xz -d -T0 -c "$root/x/ort/libonnxruntime.so.xz" > "$root/ort/libonnxruntime.so"
  fi
  local t
  for t in "$root"/x/trees/*.tar; do
    [ -e "$t" ] || continue
    mkdir -p "$root/trees/$(basename "$t" .tar)" && tar -C "$root/trees/$(basename "$t" .tar)" -xf "$t"
  done
  # the libraries first (one build per source tree, in parallel: nvcc is the slow part), then the apps
  local srcs=() pids=() a key
  for a in "$root"/x/apps/*.tar.xz; do
    [ -e "$a" ] || continue
    key=$(cat "${a%.tar.xz}.ops" 2>/dev/null || echo work)
    [[ " ${srcs[*]} " == *" $key "* ]] && continue
    srcs+=("$key"); mkdir -p "$root/ops/$key"
    if [ "$key" = work ]; then ops_build "$repo/src/Native/F5Tts.Ops" "$root/ops/$key" & else ops_build "$root/trees/$key/src/Native/F5Tts.Ops" "$root/ops/$key" & fi
    pids+=($!)
  done
  local name base
  # apps without a base first, then the ones made of a base and their own files
  for a in $(ls "$root"/x/apps/*.tar.xz 2>/dev/null | while read -r f; do [ -f "${f%.tar.xz}.base" ] && echo "1 $f" || echo "0 $f"; done | sort | cut -d' ' -f2); do
    name=$(basename "$a" .tar.xz)
    if [ -f "$root/x/apps/$name.base" ]; then
      base=$(cat "$root/x/apps/$name.base")
      cp -a "$root/apps/$base" "$root/apps/$name"
      (cd "$root/apps/$name" && find . -type f | LC_ALL=C sort | LC_ALL=C comm -23 - "$root/x/apps/$name.files" | xargs -r rm -f)
    fi
    mkdir -p "$root/apps/$name" && xz -d -T0 -c "$a" | tar -x -C "$root/apps/$name"
    if [ -f "$root/ort/libonnxruntime.so" ]; then  # hard links: one copy on disk, found beside each app
      cp -fl "$root"/ort/libonnxruntime*.so "$root/apps/$name/" 2>/dev/null || cp -f "$root"/ort/libonnxruntime*.so "$root/apps/$name/"
    fi
  done
  local p rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  for a in "$root"/x/apps/*.tar.xz; do
    [ -e "$a" ] || continue
    name=$(basename "$a" .tar.xz); key=$(cat "$root/x/apps/$name.ops" 2>/dev/null || echo work)
    [ -f "$root/ops/$key/libf5tts_ops.so" ] && cp -f "$root/ops/$key/libf5tts_ops.so" "$root/apps/$name/"
    echo "app $name: $(find "$root/apps/$name" -type f | wc -l) files, ops from $key"
  done
  unpack_variants
  rm -rf "$root/x"
  return $rc
}

case $mode in
ort) pack_ort "${2:?stage}" "${3:-}" "${4:-}" ;;
ort-variant) pack_ort "${2:?stage}" "${3:?version}" "${5:-}" "ort-variants/${4:?suffix}" ;;
app) pack_app "${2:?stage}" "${3:?name}" "${4:?publish dir}" "${@:5}" ;;
tree) pack_tree "${2:?stage}" "${3:?name}" "${4:?rev}" "${@:5}" ;;
split) split_stage "${2:?stage}" "${3:?chunks dir}" "${4:-}" ;;
stage) stage_chunk "${2:?chunks dir}" "${3:?index}" ;;
unpack) unpack "${2:?chunks dir}" ;;
*) echo "unknown mode $mode (ort|ort-variant|app|tree|split|stage|unpack)" >&2; exit 2 ;;
esac
