"""Checks that tie deploy/Dockerfile to the projects it builds and to the Helm chart that runs its image.

Part of tests/deploy/check_deploy.py (which parses the Dockerfile into stages and calls these):

  * no FROM takes a stage through a build argument (BuildKit resolves that, buildah/podman do not);
  * the build stage copies every file the projects compile, embed or ship from outside the folders it copies
    (EmbeddedResource/None/Content/Compile items of the API's project closure and the Directory.*.props/targets);
  * both runtime stages install curl (the HEALTHCHECK) and libmp3lame0 (MP3 output);
  * the chart's Deployment matches the image: the image reference (GPU: repository:appVersion; CPU: what
    deploy/test-image.sh builds), port, user, volume paths, probe paths, drain timeout and CPU provider chains.
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

RUNTIME_STAGES = ("runtime-cpu", "runtime-gpu")
RUNTIME_PACKAGES = ("curl", "libmp3lame0")


def stage_env(stage: Any) -> dict[str, str]:
    """The ENV values a stage sets (the `ENV a=b c=d` form)."""
    env: dict[str, str] = {}
    for ins in stage.instructions:
        if ins.op == "ENV":
            for m in re.finditer(r'(\w+)=("[^"]*"|\S*)', ins.args):
                env[m.group(1)] = m.group(2).strip('"')
    return env


def check_no_stage_by_argument(instructions: list[Any], global_args: dict[str, str]) -> list[str]:
    """A FROM whose ARG reference names an earlier stage: only BuildKit resolves it."""
    problems = []
    names: list[str] = []
    for ins in instructions:
        if ins.op != "FROM":
            continue
        parts = [p for p in ins.args.split() if not p.startswith("--platform")]
        if "$" in parts[0]:
            resolved = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: global_args.get(m.group(1) or m.group(2), ""), parts[0])
            if resolved in names or re.search(r"\$\{?(\w+)", parts[0]).group(1) not in global_args:
                problems.append(f"Dockerfile:{ins.line}: FROM {parts[0]} picks a stage through a build argument; "
                                "buildah/podman cannot resolve that (name the stage, or use a separate target)")
        if len(parts) >= 3 and parts[1].upper() == "AS":
            names.append(parts[2])
    return problems


def check_runtime_packages(stages: list[Any]) -> list[str]:
    problems = []
    for name in RUNTIME_STAGES:
        stage = next((s for s in stages if s.name == name), None)
        if stage is None:
            continue
        installed: set[str] = set()
        for ins in stage.instructions:
            if ins.op == "RUN" and "apt-get install" in ins.args:
                installed |= {re.sub(r'[=:].*$', "", w.strip('"')) for w in ins.args.split()}
        for package in RUNTIME_PACKAGES:
            if package not in installed:
                problems.append(f"{name}: apt-get install does not install {package}")
    return problems


def project_items(root: Path, projects: list[Path]) -> list[str]:
    """Repository-relative paths of the files the projects' items name, outside the projects' own folders."""
    files = [root / p for p in projects]
    files += [f for f in root.glob("Directory.*") if f.suffix in (".props", ".targets")]
    found = []
    for f in files:
        for node in ET.parse(f).getroot().iter():
            tag = node.tag.split("}")[-1]
            include = node.get("Include", "")
            if tag not in ("EmbeddedResource", "None", "Content", "Compile") or not include or "$(" in include:
                continue
            for part in include.replace("\\", "/").split(";"):
                path = (f.parent / re.split(r"[*?]", part)[0]).resolve()
                try:
                    found.append(str(path.relative_to(root.resolve())))
                except ValueError:
                    found.append(f"{part} (outside the repository, named by {f.name})")
    return found


def check_build_copies_items(root: Path, stages: list[Any], projects: list[Path]) -> list[str]:
    build = next((s for s in stages if s.name == "build"), None)
    if build is None:
        return ["no build stage"]
    copied = []
    for ins in build.instructions:
        if ins.op in ("COPY", "ADD") and "--from=" not in ins.args:
            words = [w for w in ins.args.split() if not w.startswith("--")]
            copied += [w.rstrip("/") for w in words[:-1]]
    problems = []
    for item in project_items(root, projects):
        if not any(c in (".", item) or item.startswith(c + "/") for c in copied):
            problems.append(f"{item} (an item of the projects) is not copied into the build stage")
    return problems


def _port(url: str) -> int | None:
    m = re.search(r":(\d+)(?:/|$)", url)
    return int(m.group(1)) if m else None


def check_chart_matches_image(root: Path, stages: list[Any], render: Callable[[dict], list[dict]]) -> list[str]:
    """`render(overrides)` returns the rendered objects of the chart for its defaults merged with overrides."""
    problems: list[str] = []
    gpu_dep = next(d for d in render({}) if d.get("kind") == "Deployment")
    cpu_dep = next(d for d in render({"gpu": {"enabled": False}}) if d.get("kind") == "Deployment")
    chart = (root / "deploy/helm/f5tts/Chart.yaml").read_text(encoding="utf-8")
    app_version = re.search(r'^appVersion:\s*"?([^"\s]+)"?', chart, re.M).group(1)

    script = root / "deploy" / "test-image.sh"
    try:
        built = subprocess.run(["bash", str(script), "--print-image"], capture_output=True, text=True,
                               timeout=60, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        built = f"(deploy/test-image.sh --print-image failed: {e})"
    cpu_image = cpu_dep["spec"]["template"]["spec"]["containers"][0]["image"]
    gpu_image = gpu_dep["spec"]["template"]["spec"]["containers"][0]["image"]
    if cpu_image != built:
        problems.append(f"chart (gpu.enabled=false) runs {cpu_image}, deploy/test-image.sh builds {built}")
    if not gpu_image.endswith(":" + app_version):
        problems.append(f"chart (defaults) runs {gpu_image}, not the appVersion tag {app_version}")

    for stage_name, dep in (("runtime-cpu", cpu_dep), ("runtime-gpu", gpu_dep)):
        stage = next((s for s in stages if s.name == stage_name), None)
        if stage is None:
            problems.append(f"no stage {stage_name}")
            continue
        problems += [f"{stage_name} vs chart: {p}" for p in compare_stage(stage, dep)]
    return problems


def compare_stage(stage: Any, dep: dict) -> list[str]:
    p: list[str] = []
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    env = stage_env(stage)
    chart_env = {e["name"]: e.get("value") for e in c.get("env", [])}
    ops: dict[str, list[str]] = {}
    for ins in stage.instructions:
        ops.setdefault(ins.op, []).append(ins.args)

    ports = {pt["name"]: pt["containerPort"] for pt in c.get("ports", [])}
    exposed = {int(x.split("/")[0]) for x in " ".join(ops.get("EXPOSE", [])).split()}
    if {ports.get("http")} != exposed or _port(env.get("URLS", "")) != ports.get("http"):
        p.append(f"container port {ports.get('http')}, image EXPOSE {sorted(exposed)} / URLS {env.get('URLS')}")
    if _port(chart_env.get("URLS") or "") != ports.get("http"):
        p.append(f"chart URLS {chart_env.get('URLS')} is not on the container port")

    user = (ops.get("USER") or ["?"])[-1]
    psc = pod.get("securityContext") or {}
    if user != f"{psc.get('runAsUser')}:{psc.get('runAsGroup')}":
        p.append(f"image USER {user}, pod runs as {psc.get('runAsUser')}:{psc.get('runAsGroup')}")

    mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
    made = " ".join(ops.get("RUN", []))
    for var in ("F5Tts__Model__Directory", "F5Tts__Voices__Directory", "F5Tts__Engine__TensorRt__EngineCacheDirectory"):
        path = env.get(var)
        if path is None or chart_env.get(var) != path or path not in mounts:
            p.append(f"{var}: image {path}, chart {chart_env.get(var)}, chart mounts {sorted(mounts)}")
        elif not re.search(r"mkdir -p [^;&]*" + re.escape(path) + r"\b", made):
            p.append(f"{path} is not created in the image (mkdir -p)")
        elif var != "F5Tts__Model__Directory" and not re.search(
                r"chown " + re.escape(user) + r" [^;&]*" + re.escape(path) + r"\b", made):
            p.append(f"{path} is not owned by {user} in the image (chown), so a fresh volume is not writable")

    health = " ".join(ops.get("HEALTHCHECK", []))
    m = re.search(r"https?://[^/\s]+(/\S*)", health)
    for probe in ("startupProbe", "readinessProbe"):
        get = (c.get(probe) or {}).get("httpGet") or {}
        if not m or get.get("path") != m.group(1) or _port(m.group(0)) != ports.get("http"):
            p.append(f"{probe} {get.get('path')} vs HEALTHCHECK {m.group(0) if m else None}")

    for var in ("F5Tts__Server__ShutdownTimeoutSeconds", "DOTNET_SHUTDOWNTIMEOUTSECONDS"):
        if env.get(var) != chart_env.get(var):
            p.append(f"{var}: image {env.get(var)}, chart {chart_env.get(var)}")
    if stage.name == "runtime-cpu":
        for var in ("F5Tts__Engine__PreprocessProviders", "F5Tts__Engine__TransformerProviders",
                    "F5Tts__Engine__DecodeProviders"):
            if env.get(var) != "CPU" or chart_env.get(var) != "CPU":
                p.append(f"{var}: image {env.get(var)}, chart {chart_env.get(var)} (both must be CPU)")
    return p
