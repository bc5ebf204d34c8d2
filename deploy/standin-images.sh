#!/usr/bin/env bash
# Stand-in base images for deploy/Dockerfile, made locally where Microsoft's .NET images cannot be pulled (no
# container registry reachable, as on this project's CI machines). They are NOT Microsoft's images: a Debian 12
# (bookworm) minbase root made with debootstrap, plus the .NET installation of the machine that runs this script.
#
#   localhost/f5tts-standin/runtime-deps:bookworm   what the .NET runtime needs from the OS (ca-certificates, ICU,
#                                                   OpenSSL, tzdata, zlib; libc/libstdc++ come with minbase), apt
#                                                   pointed at Debian's mirrors
#   localhost/f5tts-standin/aspnet:10.0             + the host (dotnet), hostfxr and the Microsoft.NETCore.App and
#                                                   Microsoft.AspNetCore.App shared frameworks from this machine's
#                                                   /usr/share/dotnet (stands in for ASPNET_IMAGE)
#   localhost/f5tts-standin/sdk:10.0                + the whole SDK, curl and git, and this machine's CA trust, NuGet
#                                                   config and NUGET_*/SSL_CERT_* settings, so that restore inside a
#                                                   build reaches NuGet the way this machine does (stands in for
#                                                   SDK_IMAGE)
#
# Cached in podman's store: every image carries the label f5tts.standin=<fingerprint of the recipe version, the
# .NET versions and the mirrors>; when all three exist with the current fingerprint, nothing is made. Otherwise
# all three are made again (debootstrap needs the Debian mirror; minutes).
#
# usage (as root): deploy/standin-images.sh [--force]
#   prints the build arguments to use, one per line: SDK_IMAGE=... and ASPNET_IMAGE=...
# environment: DOTNET_DIR (default /usr/share/dotnet), DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security),
#              PODMAN (default "podman --runtime runc --cgroup-manager cgroupfs")
set -euo pipefail

DOTNET_DIR=${DOTNET_DIR:-/usr/share/dotnet}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
read -r -a PODMAN <<< "${PODMAN:-podman --runtime runc --cgroup-manager cgroupfs}"
REPO=localhost/f5tts-standin
DEPS_IMAGE=$REPO/runtime-deps:bookworm
ASPNET_IMAGE=$REPO/aspnet:10.0
SDK_IMAGE=$REPO/sdk:10.0

log() { echo "standin-images: $*" >&2; }

[ -x "$DOTNET_DIR/dotnet" ] || { log "no .NET SDK in $DOTNET_DIR (set DOTNET_DIR)"; exit 1; }
sdk_version=$(ls "$DOTNET_DIR/sdk" | sort -V | tail -1)
runtime_version=$(ls "$DOTNET_DIR/shared/Microsoft.AspNetCore.App" | sort -V | tail -1)
# Bump RECIPE when what goes into the images changes; the .NET versions and mirrors count by themselves.
RECIPE=1
fingerprint=$(echo "$RECIPE $sdk_version $runtime_version $MIRROR $SECURITY_MIRROR" | sha256sum | cut -c1-16)

label_of() { "${PODMAN[@]}" image inspect --format '{{ index .Labels "f5tts.standin" }}' "$1" 2>/dev/null || true; }

if [ "${1:-}" != "--force" ] \
    && [ "$(label_of "$DEPS_IMAGE")" = "$fingerprint" ] \
    && [ "$(label_of "$ASPNET_IMAGE")" = "$fingerprint" ] \
    && [ "$(label_of "$SDK_IMAGE")" = "$fingerprint" ]; then
    log "cached ($fingerprint): $SDK_IMAGE, $ASPNET_IMAGE"
    printf 'SDK_IMAGE=%s\nASPNET_IMAGE=%s\n' "$SDK_IMAGE" "$ASPNET_IMAGE"
    exit 0
fi

command -v debootstrap > /dev/null || { log "debootstrap is missing (apt-get install debootstrap)"; exit 1; }
work=$(mktemp -d /var/tmp/f5tts-standin.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root

# Imports the root as an image; the remaining arguments are Dockerfile instructions (--change).
import_root() {
    local image=$1; shift
    local changes=(--change "LABEL f5tts.standin=$fingerprint")
    for c in "$@"; do changes+=(--change "$c"); done
    tar -C "$root" --numeric-owner -cf - . | "${PODMAN[@]}" import -q "${changes[@]}" - "$image" > /dev/null
    log "made $image"
}

log "debootstrap bookworm minbase from $MIRROR (log: $work/debootstrap.log)"
debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,tzdata,zlib1g \
    bookworm "$root" "$MIRROR" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; log "debootstrap failed"; exit 1; }
cat > "$root/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root/etc/resolv.conf"
: > "$root/etc/hostname"
path_env="ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
import_root "$DEPS_IMAGE" "$path_env" 'CMD ["bash"]'

# aspnet: the runtime part of the machine's .NET installation, laid out as in Microsoft's aspnet image.
dn=$root/usr/share/dotnet
mkdir -p "$dn/shared"
cp -a "$DOTNET_DIR/dotnet" "$DOTNET_DIR/host" "$dn/"
cp -a "$DOTNET_DIR"/LICENSE.txt "$DOTNET_DIR"/ThirdPartyNotices.txt "$dn/" 2>/dev/null || true
cp -a "$DOTNET_DIR/shared/Microsoft.NETCore.App" "$DOTNET_DIR/shared/Microsoft.AspNetCore.App" "$dn/shared/"
ln -sf /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"
import_root "$ASPNET_IMAGE" "$path_env" 'CMD ["bash"]' \
    "ENV DOTNET_VERSION=$runtime_version ASPNET_VERSION=$runtime_version DOTNET_RUNNING_IN_CONTAINER=true ASPNETCORE_HTTP_PORTS=8080"

# sdk: the whole installation, curl and git (as in Microsoft's SDK image), and the machine's way to NuGet.
cp -a "$DOTNET_DIR/." "$dn/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends curl git && apt-get clean && rm -rf /var/lib/apt/lists/*' > "$work/apt.log" 2>&1 \
    || { tail -20 "$work/apt.log" >&2; log "apt-get in the SDK root failed"; exit 1; }
rm -f "$root/etc/resolv.conf"
if [ -d /usr/local/share/ca-certificates ]; then
    cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates > /dev/null 2>&1
fi
if [ -f "$HOME/.nuget/NuGet/NuGet.Config" ]; then
    mkdir -p "$root/root/.nuget/NuGet"
    cp "$HOME/.nuget/NuGet/NuGet.Config" "$root/root/.nuget/NuGet/"
fi
sdk_env=("ENV DOTNET_SDK_VERSION=$sdk_version DOTNET_USE_POLLING_FILE_WATCHER=true NUGET_XMLDOC_MODE=skip")
while IFS= read -r kv; do sdk_env+=("ENV $kv"); done < <(env | grep -E '^(NUGET_CERT_REVOCATION_MODE|SSL_CERT_FILE|SSL_CERT_DIR)=' || true)
import_root "$SDK_IMAGE" "$path_env" 'CMD ["bash"]' \
    "ENV DOTNET_VERSION=$runtime_version ASPNET_VERSION=$runtime_version DOTNET_RUNNING_IN_CONTAINER=true" \
    "${sdk_env[@]}"

printf 'SDK_IMAGE=%s\nASPNET_IMAGE=%s\n' "$SDK_IMAGE" "$ASPNET_IMAGE"
