#!/usr/bin/env bash
# A fresh machine for the README's two commands: Debian bookworm minbase (debootstrap) + what this world's fresh
# dotnet image has that matters here (the .NET SDK, node/npm, git, build-essential, python3, the SDK libraries, the registry client configs),
# and nothing the tests install. Clones the project checkout ($1, default the current folder) into it, runs the README's
# run command (waits for /health/ready) and then its test command, as written in README.md's fenced block.
# The commands run in a mount namespace rooted at the fresh tree, so deploy/test-image.sh can run podman in it.
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
umount -R $F 2>/dev/null   # left by an older version of this script, which bind-mounted in the host namespace
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
# the README's two commands: the first fenced bash block that has a `dotnet run` line and a test line
cmds=$(awk '/^```bash/{b=1;next} /^```/{if(b&&seen)exit; b=0} b{print; if($0~/dotnet run/)seen=1}' "$P/README.md" | sed 's/#.*//' | grep -v '^\s*$')
run=$(echo "$cmds" | grep -m1 "dotnet run"); test=$(echo "$cmds" | grep -v "dotnet run" | head -1)
echo "run: $run | test: $test"
# The steps inside the fresh root: the run command until /health/ready (and an mp3 request), then the test command.
cat > $F/root/fresh-steps.sh <<STEPS
$envs
t0=\$(date +%s)
cd /root/project && setsid bash -c 'exec $run' > /root/fresh-run.log 2>&1 < /dev/null & pgid=\$!
for i in \$(seq 1 300); do curl -fs -m 2 localhost:8080/health/ready > /dev/null 2>&1 && break; sleep 1; done
curl -fs -m 2 localhost:8080/health/ready > /dev/null 2>&1; r1=\$?; t1=\$(date +%s); echo "run command: ready rc \$r1 after \$((t1 - t0)) s"
curl -s -o /tmp/a.mp3 -w 'mp3 via OpenAI route: %{http_code} %{content_type}\n' localhost:8080/v1/audio/speech -H 'content-type: application/json' -d '{"model":"tts-1","input":"Hi","voice":"default","response_format":"mp3"}'
kill -TERM -- -\$pgid 2>/dev/null; sleep 5; kill -KILL -- -\$pgid 2>/dev/null   # its own process group only
t2=\$(date +%s)
cd /root/project && CI=true $test > /root/fresh-test.log 2>&1; r2=\$?
t3=\$(date +%s); echo "test command: rc \$r2 in \$((t3 - t2)) s; \$(grep -aE 'total|passed|failed' /root/fresh-test.log | tail -3 | tr '\n' ' ')"
STEPS
# A mount namespace whose root is the fresh tree (pivot_root, not chroot): podman inside it (deploy/test-image.sh)
# execs into containers by joining their mount namespaces, which lands at the namespace's root — under a chroot that
# is the host's /, where the container's working directory does not exist, so `podman exec` and `podman healthcheck
# run` fail. /proc, /dev and /sys (recursively: cgroup v1 hosts mount each controller below /sys/fs/cgroup) come along;
# everything mounted in the namespace goes away with it.
mkdir -p $F/.oldroot
unshare -m --propagation private bash -c "mount --bind $F $F && mount -t proc proc $F/proc && mount --rbind /dev $F/dev \
  && mount --rbind /sys $F/sys && cd $F && pivot_root . .oldroot && cd / && umount -l /.oldroot && exec bash /root/fresh-steps.sh"
cp $F/root/fresh-run.log /tmp/fresh-run.log; cp $F/root/fresh-test.log /tmp/fresh-test.log
