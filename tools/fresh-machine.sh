#!/usr/bin/env bash
# A fresh machine for the README's two commands: Debian bookworm minbase (debootstrap) + what this world's fresh
# dotnet image has that matters here (the .NET SDK, node/npm, git, build-essential, python3, the SDK libraries, the registry client configs),
# and nothing the tests install. Clones the project checkout ($1, default the current folder) into it, runs the README's
# run command (waits for /health/ready) and then its test command, as written in README.md's fenced block.
# The binds below let deploy/test-image.sh run podman inside the chroot (cgroup v1 and v2 hosts).
# usage: tools/fresh-machine.sh [PROJECT_DIR]   (as root; needs debootstrap; writes /tmp/fresh-run, logs in /tmp/fresh-*.log)
set -u
P=$(cd "${1:-.}" && pwd); F=/tmp/fresh-run; BASE=/tmp/fresh-base
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
if [ ! -f $BASE/.done ]; then
  rm -rf $BASE; debootstrap --variant=minbase bookworm $BASE "$mirror" > /tmp/fresh-debootstrap.log 2>&1 || { echo "debootstrap failed"; exit 1; }
  cp /etc/resolv.conf $BASE/etc/; cp /etc/apt/sources.list.d/debian.sources $BASE/etc/apt/sources.list.d/
  cp /etc/apt/apt.conf.d/99artifact-registry $BASE/etc/apt/apt.conf.d/ 2>/dev/null
  chroot $BASE bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates libicu72 libssl3 zlib1g libstdc++6 git curl procps build-essential python3 > /dev/null" || { echo "base packages failed"; exit 1; }
  touch $BASE/.done
fi
umount -R $F 2>/dev/null   # everything below it too (podman mounts run/netns inside)
if mount | grep -q " $F"; then echo "$F still mounted; refusing rm -rf"; exit 1; fi
rm -rf $F; cp -a $BASE $F
mkdir -p $F/usr/share $F/root/.nuget/NuGet $F/usr/lib
cp -a /usr/share/dotnet $F/usr/share/ && ln -sf /usr/share/dotnet/dotnet $F/usr/bin/dotnet
cp -a "$(readlink -f "$(command -v node)")" $F/usr/bin/node; cp -a /usr/lib/node_modules $F/usr/lib/ 2>/dev/null
ln -sf /usr/lib/node_modules/npm/bin/npm-cli.js $F/usr/bin/npm; ln -sf /usr/lib/node_modules/npm/bin/npx-cli.js $F/usr/bin/npx
cp ~/.nuget/NuGet/NuGet.Config $F/root/.nuget/NuGet/; cp ~/.npmrc $F/root/ 2>/dev/null
# this world's registries are reached through the machine's own trust store and client settings: carry them over
cp -a /usr/local/share/ca-certificates/. $F/usr/local/share/ca-certificates/ 2>/dev/null; chroot $F update-ca-certificates > /dev/null 2>&1; cp /etc/ssl/certs/ca-certificates.crt $F/etc/ssl/certs/
envs=$(env | grep -E '^(NUGET_|SSL_CERT|NODE_EXTRA_CA|REQUESTS_CA|DOTNET_)' | sed 's/^/export /; s/=/="/; s/$/"/' | tr '\n' ';')
git clone -q "$P" $F/root/project
# podman inside the chroot (deploy/test-image.sh) needs / to be a mount point it can make private, sysfs, cgroups, ptys
mount --bind $F $F; mount -t proc proc $F/proc; mount --bind /dev $F/dev; mount --bind /dev/pts $F/dev/pts
mount --rbind /sys $F/sys; mount --make-rslave $F/sys   # recursive: cgroup v1 hosts mount each controller below /sys/fs/cgroup
# the README's two commands: the first fenced bash block that has a `dotnet run` line and a test line
cmds=$(awk '/^```bash/{b=1;next} /^```/{if(b&&seen)exit; b=0} b{print; if($0~/dotnet run/)seen=1}' "$P/README.md" | sed 's/#.*//' | grep -v '^\s*$')
run=$(echo "$cmds" | grep -m1 "dotnet run"); test=$(echo "$cmds" | grep -v "dotnet run" | head -1)
echo "run: $run | test: $test"
t0=$(date +%s)
setsid chroot $F bash -c "$envs cd /root/project && exec $run" > /tmp/fresh-run.log 2>&1 < /dev/null & pgid=$!
for i in $(seq 1 300); do chroot $F curl -fs -m 2 localhost:8080/health/ready >/dev/null 2>&1 && break; sleep 1; done
chroot $F curl -fs -m 2 localhost:8080/health/ready >/dev/null 2>&1; r1=$?; t1=$(date +%s); echo "run command: ready rc $r1 after $((t1 - t0)) s"
chroot $F bash -c "curl -s -o /tmp/a.mp3 -w 'mp3 via OpenAI route: %{http_code} %{content_type}\n' localhost:8080/v1/audio/speech -H 'content-type: application/json' -d '{\"model\":\"tts-1\",\"input\":\"Hi\",\"voice\":\"default\",\"response_format\":\"mp3\"}'"
kill -TERM -- -$pgid 2>/dev/null; sleep 5; kill -KILL -- -$pgid 2>/dev/null   # our own process group only
t2=$(date +%s)
chroot $F bash -c "$envs cd /root/project && CI=true $test" > /tmp/fresh-test.log 2>&1; r2=$?
t3=$(date +%s); echo "test command: rc $r2 in $((t3 - t2)) s; $(grep -aE 'total|passed|failed' /tmp/fresh-test.log | tail -3 | tr '\n' ' ')"
umount -R $F 2>/dev/null   # everything below it too (podman mounts run/netns inside)
