#!/usr/bin/env python3
"""Static checks for deploy/ (the Helm chart and the Dockerfile), run by CI through DeployLintTests.

Neither helm nor a docker engine is available where the tests run, so this script checks what it can without
them (Python 3 with PyYAML, and the yamllint command):

chart
  * yamllint (strict) on Chart.yaml and values.yaml with deploy/helm/.yamllint;
  * Chart.yaml has apiVersion v2, name, version and appVersion;
  * every key in values.yaml has a comment (on the line above or at the end of the line);
  * every `.Values.a.b.c` used in templates/ exists in values.yaml, and every value is used by some template;
  * every template's `{{ }}` actions are balanced, block keywords (if/with/range/define) match their `end`,
    `else` only appears inside if/with/range, and every function called is a known Go template/Sprig/Helm one;
  * every `include`/`template` names a helper defined in a .tpl file, and `include (print $.Template.BasePath
    "/x.yaml")` names an existing template.
rendering (tests/deploy/helm_render.py: a Go-template interpreter for the subset and the Helm/Sprig functions
the chart uses; needs PyYAML, which yamllint brings)
  * the chart renders for several value sets (defaults; CPU with API keys, appsettings, ServiceMonitor and PDB;
    existing claims and Secret; several replicas) and refuses impossible ones with its `fail` messages;
  * the output parses as YAML, and the objects agree: selectors and labels, named ports and probes, GPU limit,
    environment, volumes and claims, Secret/envFrom, ConfigMap content and mount, ServiceMonitor, PDB.
Dockerfile
  * each `FROM` / `COPY --from` names an earlier stage or an external image with a tag, after substituting the
    global ARGs (every value of a boolean-like ARG is tried); the targets runtime-gpu (last) and runtime-cpu exist;
  * every COPY source from the build context exists in the repository and is not excluded by .dockerignore;
  * the restore layer copies every project file that src/Api references (transitively) and the props files;
  * runtime stages: numeric non-root USER, HEALTHCHECK, STOPSIGNAL SIGTERM, exec-form ENTRYPOINT, EXPOSE;
  * apt-get install uses --no-install-recommends and the same RUN removes /var/lib/apt/lists;
  * tests/deploy/image_checks.py: no stage chosen by a build argument (buildah/podman), the build stage copies
    every item the projects embed, both runtime stages install curl and libmp3lame0, and the chart's Deployment
    runs the image as built (tag of deploy/test-image.sh, port, user, volumes, probes, drain, CPU chains).

Usage: python3 tests/deploy/check_deploy.py [--out DIR] [REPO_ROOT]   (exit status 0 when every check passes;\n       --out writes the rendered manifests of each value set under DIR)
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import image_checks  # noqa: E402  (beside this script)


class Report:
    """Collects failures per check so that one run shows every problem."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.warnings: list[str] = []
        self.checks = 0
        self.passed = 0

    def check(self, name: str, problems: list[str]) -> None:
        self.checks += 1
        if problems:
            print(f"FAIL {name}")
            for p in problems:
                print(f"     - {p}")
            self.failures.extend(f"{name}: {p}" for p in problems)
        else:
            self.passed += 1
            print(f"ok   {name}")

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"warn {message}")


# ----------------------------------------------------------------------------------------------------------------
# values.yaml: a small indentation-based reader (PyYAML may be absent). It records every mapping key path and
# whether the value is a leaf (scalar, empty map/list, or list); it does not descend into list items.

KEY_RE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.\-/\"']+)\s*:(?:\s+(?P<rest>.*))?$")


@dataclass
class ValueKey:
    path: str
    line: int
    documented: bool
    leaf: bool = True


def strip_inline_comment(text: str) -> tuple[str, bool]:
    """Removes a trailing `# comment` that is outside quotes; returns (text, had_comment)."""
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip(), True
    return text.rstrip(), False


def parse_values(path: Path) -> dict[str, ValueKey]:
    keys: dict[str, ValueKey] = {}
    stack: list[tuple[int, str]] = []  # (indent, path) of enclosing mapping keys
    skip_deeper_than: int | None = None  # inside a list or block scalar: skip lines indented more than this
    skip_dash_at: int | None = None  # list items written at the parent key's indent
    prev_comment = False
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped == "---":
            prev_comment = False if not stripped else prev_comment
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if stripped.startswith("#"):
            prev_comment = True
            continue
        if skip_deeper_than is not None:
            if indent > skip_deeper_than or (indent == skip_dash_at and stripped.startswith("-")):
                prev_comment = False
                continue
            skip_deeper_than = skip_dash_at = None
        if stripped.startswith("-"):
            # A list item directly under the last key (written at the same indent as that key).
            parent = [s for s in stack if s[0] <= indent]
            if parent:
                keys[parent[-1][1]].leaf = True
                skip_deeper_than = parent[-1][0]
                skip_dash_at = indent
            prev_comment = False
            continue
        m = KEY_RE.match(raw)
        if not m:
            raise ValueError(f"{path}:{lineno}: cannot read this line: {raw!r}")
        key = m.group("key").strip("\"'")
        rest, inline_comment = strip_inline_comment(m.group("rest") or "")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        full = ".".join([s[1] for s in stack[-1:]] + [key]) if stack else key
        if stack:
            keys[stack[-1][1]].leaf = False
        keys[full] = ValueKey(full, lineno, prev_comment or inline_comment, leaf=True)
        prev_comment = False
        if rest == "":
            stack.append((indent, full))  # a nested mapping (or a list) follows
        elif rest in ("|", ">", "|-", ">-", "|+", ">+"):
            skip_deeper_than = indent
            skip_dash_at = None
    # A key followed only by list items stays a leaf; a key with nested keys is not.
    return keys


# ----------------------------------------------------------------------------------------------------------------
# Go templates: split into text and actions, check structure, collect references.

ACTION_RE = re.compile(r"\{\{(?P<body>.*?)\}\}", re.S)
STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')
VALUES_RE = re.compile(r"(?<![\w$])\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")

GO_BUILTINS = {
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "html", "js", "urlquery",
    "call", "eq", "ne", "lt", "le", "gt", "ge",
}
HELM_FUNCS = {
    "include", "tpl", "required", "lookup", "toYaml", "fromYaml", "fromYamlArray", "toJson", "fromJson",
    "fromJsonArray", "toToml", "mustToYaml", "mustToJson",
}
SPRIG_FUNCS = {
    # the Sprig functions a chart commonly uses; extend when a template needs another one
    "default", "empty", "coalesce", "ternary", "fail", "quote", "squote", "trim", "trimPrefix", "trimSuffix",
    "trunc", "upper", "lower", "title", "replace", "contains", "hasPrefix", "hasSuffix", "nindent", "indent",
    "toString", "toStrings", "int", "int64", "float64", "atoi", "add", "add1", "sub", "mul", "div", "mod", "max",
    "min", "list", "dict", "get", "set", "unset", "hasKey", "keys", "values", "merge", "mergeOverwrite",
    "deepCopy", "pick", "omit", "has", "append", "prepend", "first", "last", "uniq", "without", "join",
    "splitList", "sortAlpha", "toPrettyJson", "toRawJson", "b64enc", "b64dec", "sha256sum", "randAlphaNum",
    "kindIs", "typeOf", "regexMatch", "regexReplaceAll", "semverCompare", "until", "untilStep", "cat", "nospace",
    "printf", "now", "date", "uuidv4", "compact", "concat", "dig",
}
KNOWN_FUNCS = GO_BUILTINS | HELM_FUNCS | SPRIG_FUNCS
KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil",
            "true", "false"}
OPENERS = {"if", "with", "range", "define", "block"}


@dataclass
class Template:
    path: Path
    text: str
    actions: list[tuple[int, str]] = field(default_factory=list)  # (line, body without dashes/strings kept)


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def read_template(path: Path) -> tuple[Template, list[str]]:
    text = path.read_text(encoding="utf-8")
    problems: list[str] = []
    t = Template(path, text)
    # Balance: every "{{" closes with "}}" before the next "{{", and no stray "}}".
    depth_pos = None
    i = 0
    while i < len(text):
        if text.startswith("{{", i):
            if depth_pos is not None:
                problems.append(f"{path.name}:{line_of(text, depth_pos)}: '{{{{' not closed before the next '{{{{'")
            depth_pos = i
            i += 2
        elif text.startswith("}}", i):
            if depth_pos is None:
                problems.append(f"{path.name}:{line_of(text, i)}: '}}}}' without an opening '{{{{'")
            depth_pos = None
            i += 2
        else:
            i += 1
    if depth_pos is not None:
        problems.append(f"{path.name}:{line_of(text, depth_pos)}: '{{{{' never closed")
    for m in ACTION_RE.finditer(text):
        body = m.group("body")
        if body.startswith("-") and not body.startswith("- "):
            if not re.match(r"-\d", body):
                problems.append(f"{path.name}:{line_of(text, m.start())}: '{{{{-' must be followed by a space")
        if body.endswith("-") and not body.endswith(" -"):
            problems.append(f"{path.name}:{line_of(text, m.start())}: '-}}}}' must be preceded by a space")
        inner = body.strip()
        inner = inner[1:] if inner.startswith("-") else inner
        inner = inner[:-1] if inner.endswith("-") else inner
        inner = inner.strip()
        if inner.startswith("/*"):
            if not inner.endswith("*/"):
                problems.append(f"{path.name}:{line_of(text, m.start())}: comment must end with '*/}}}}'")
            continue
        t.actions.append((line_of(text, m.start()), inner))
    return t, problems


def check_blocks(t: Template) -> list[str]:
    problems: list[str] = []
    stack: list[tuple[str, int]] = []
    for line, inner in t.actions:
        word = inner.split(None, 1)[0] if inner else ""
        if word in OPENERS:
            stack.append((word, line))
        elif word == "else":
            if not stack or stack[-1][0] not in ("if", "with", "range"):
                problems.append(f"{t.path.name}:{line}: 'else' outside if/with/range")
        elif word == "end":
            if not stack:
                problems.append(f"{t.path.name}:{line}: 'end' without an open block")
            else:
                stack.pop()
    for word, line in stack:
        problems.append(f"{t.path.name}:{line}: '{word}' never closed with 'end'")
    return problems


def called_functions(inner: str) -> list[str]:
    """Names in function position: the first word of each command (after '{{', '(', '|', ':=' or '=')."""
    code = STRING_RE.sub('""', inner)
    names = []
    for part in re.split(r"\(|\||:=|(?<![=!<>])=(?!=)", code):
        words = part.strip().split()
        if not words:
            continue
        first = words[0].rstrip(")")
        if first in ("else", "if", "with", "range") and len(words) > 1:
            first = words[1].rstrip(")")
            if first == "if" and len(words) > 2:  # "else if x"
                first = words[2].rstrip(")")
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", first) and first not in KEYWORDS:
            names.append(first)
    return names


def check_chart(root: Path, report: Report) -> None:
    helm = root / "deploy" / "helm"
    chart = helm / "f5tts"
    tdir = chart / "templates"

    # yamllint
    problems = []
    yl = shutil.which("yamllint")
    if yl is None:
        problems.append("yamllint is not installed (apt-get install yamllint)")
    else:
        proc = subprocess.run(
            [yl, "--strict", "-f", "parsable", "-c", str(helm / ".yamllint"),
             str(chart / "Chart.yaml"), str(chart / "values.yaml"), *map(str, sorted((helm / "examples").glob("*.yaml")))],
            capture_output=True, text=True)
        if proc.returncode != 0:
            problems.extend((proc.stdout + proc.stderr).strip().splitlines() or [f"exit {proc.returncode}"])
    report.check("yamllint Chart.yaml values.yaml examples/*.yaml", problems)

    # Chart.yaml fields
    chart_text = (chart / "Chart.yaml").read_text(encoding="utf-8")
    problems = []
    for key, pattern in (("apiVersion", r"^apiVersion:\s*v2\s*$"), ("name", r"^name:\s*f5tts\s*$"),
                         ("version", r"^version:\s*\d+\.\d+\.\d+\S*\s*$"),
                         ("appVersion", r"^appVersion:\s*\"?[\w.\-]+\"?\s*$")):
        if not re.search(pattern, chart_text, re.M):
            problems.append(f"Chart.yaml: {key} missing or not matching {pattern}")
    report.check("Chart.yaml fields", problems)

    # values.yaml
    try:
        values = parse_values(chart / "values.yaml")
    except ValueError as e:
        report.check("values.yaml readable", [str(e)])
        return
    report.check("values.yaml readable", [] if values else ["no keys found"])
    report.check("values.yaml: every key documented by a comment",
                 [f"values.yaml:{v.line}: {v.path} has no comment" for v in values.values() if not v.documented])

    # templates
    files = sorted([*tdir.glob("*.yaml"), *tdir.glob("*.tpl"), *tdir.glob("*.txt")])
    templates: list[Template] = []
    problems = []
    for f in files:
        t, p = read_template(f)
        templates.append(t)
        problems += p
        problems += check_blocks(t)
    report.check(f"templates: balanced delimiters and blocks ({len(files)} files)", problems)

    problems = []
    for t in templates:
        for line, inner in t.actions:
            for name in called_functions(inner):
                if name not in KNOWN_FUNCS:
                    problems.append(f"{t.path.name}:{line}: unknown function '{name}'")
    report.check("templates: only known template functions", problems)

    # includes
    defined: dict[str, str] = {}
    problems = []
    for t in templates:
        for line, inner in t.actions:
            m = re.match(r'define\s+"([^"]+)"', inner)
            if m:
                if t.path.suffix != ".tpl":
                    problems.append(f"{t.path.name}:{line}: define outside a .tpl file")
                if m.group(1) in defined:
                    problems.append(f"{t.path.name}:{line}: '{m.group(1)}' defined twice")
                defined[m.group(1)] = t.path.name
    used_helpers: set[str] = set()
    for t in templates:
        for line, inner in t.actions:
            for m in re.finditer(r'\b(?:include|template)\s+"([^"]+)"', inner):
                used_helpers.add(m.group(1))
                if m.group(1) not in defined:
                    problems.append(f"{t.path.name}:{line}: include of undefined '{m.group(1)}'")
            for m in re.finditer(r'include\s+\(print\s+\$\.Template\.BasePath\s+"/([^"]+)"\)', inner):
                if not (tdir / m.group(1)).is_file():
                    problems.append(f"{t.path.name}:{line}: include of missing template file '{m.group(1)}'")
    for name, where in defined.items():
        if name not in used_helpers:
            problems.append(f"{where}: helper '{name}' is defined but never used")
    report.check(f"templates: includes resolve ({len(defined)} helpers)", problems)

    # .Values references
    refs: dict[str, list[str]] = {}
    for t in templates:
        for line, inner in t.actions:
            for m in VALUES_RE.finditer(STRING_RE.sub('""', inner)):
                refs.setdefault(m.group(1)[1:], []).append(f"{t.path.name}:{line}")
    problems = [f"{where[0]}: .Values.{ref} is not in values.yaml" for ref, where in sorted(refs.items())
                if ref not in values]
    report.check(f"templates: every .Values reference exists in values.yaml ({len(refs)} paths)", problems)

    problems = []
    for v in values.values():
        if not v.leaf:
            continue
        if not any(v.path == r or v.path.startswith(r + ".") for r in refs):
            problems.append(f"values.yaml:{v.line}: {v.path} is not used by any template")
    report.check("values.yaml: every value is used by a template", problems)

    # Probe budget: the startup probe must allow TensorRT engine builds (30 min).
    problems = []
    try:
        period = int(read_scalar(chart / "values.yaml", "probes.startup.periodSeconds", values))
        threshold = int(read_scalar(chart / "values.yaml", "probes.startup.failureThreshold", values))
        if period * threshold < 1800:
            problems.append(f"startup probe allows {period * threshold} s; TensorRT engine builds need >= 1800 s")
        grace = int(read_scalar(chart / "values.yaml", "terminationGracePeriodSeconds", values))
        drain = int(read_scalar(chart / "values.yaml", "shutdown.timeoutSeconds", values)) + int(
            read_scalar(chart / "values.yaml", "shutdown.preStopSleepSeconds", values))
        if grace < drain:
            problems.append(f"terminationGracePeriodSeconds {grace} < preStop + drain {drain}")
    except (KeyError, ValueError) as e:
        problems.append(f"cannot read probe/shutdown defaults: {e}")
    report.check("values.yaml: startup probe >= 30 min, grace period covers the drain", problems)


def read_scalar(path: Path, key: str, values: dict[str, ValueKey]) -> str:
    line = path.read_text(encoding="utf-8").splitlines()[values[key].line - 1]
    m = KEY_RE.match(line)
    if not m or not m.group("rest"):
        raise ValueError(f"{key} has no scalar value")
    return strip_inline_comment(m.group("rest"))[0].strip("\"'")


# ----------------------------------------------------------------------------------------------------------------
# Dockerfile

@dataclass
class Instruction:
    line: int
    op: str
    args: str


@dataclass
class Stage:
    index: int
    base: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)


def parse_dockerfile(path: Path) -> tuple[list[Instruction], list[Instruction]]:
    """Returns (global instructions before the first FROM, all instructions) with continuations joined."""
    lines = path.read_text(encoding="utf-8").splitlines()
    instructions: list[Instruction] = []
    buf, start = "", 0
    for n, raw in enumerate(lines, start=1):
        s = raw.strip()
        if not buf and (not s or s.startswith("#")):
            continue
        if buf and s.startswith("#"):
            continue  # comment lines inside a continuation are dropped by Docker too
        if not buf:
            start = n
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        op, _, args = buf.partition(" ")
        instructions.append(Instruction(start, op.upper(), args.strip()))
        buf = ""
    if buf:
        op, _, args = buf.partition(" ")
        instructions.append(Instruction(start, op.upper(), args.strip()))
    globals_ = []
    for ins in instructions:
        if ins.op == "FROM":
            break
        globals_.append(ins)
    return globals_, instructions


def substitute(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), m.group(0)), text)


def parse_arg(args: str) -> tuple[str, str | None]:
    name, eq, default = args.partition("=")
    return name.strip(), default.strip().strip('"') if eq else None


def dockerignore_patterns(root: Path) -> list[tuple[str, bool]]:
    path = root / ".dockerignore"
    pats = []
    if path.is_file():
        for raw in path.read_text(encoding="utf-8").splitlines():
            s = raw.strip()
            if not s or s.startswith("#"):
                continue
            neg = s.startswith("!")
            pats.append((s[1:] if neg else s, neg))
    return pats


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip("/")
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        else:
            ch = pattern[i]
            out += "[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch)
            i += 1
    return re.compile(out + "(?:/.*)?$")  # a matched directory excludes everything below it


def ignored(rel: str, patterns: list[tuple[str, bool]]) -> bool:
    result = False
    for pat, neg in patterns:
        if glob_to_regex(pat).match(rel):
            result = not neg
    return result


def project_closure(root: Path, start: Path) -> list[Path]:
    seen: list[Path] = []
    todo = [start.resolve()]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        for ref in ET.parse(p).getroot().iter("ProjectReference"):
            inc = ref.get("Include", "").replace("\\", "/")
            todo.append((p.parent / inc).resolve())
    return [p.relative_to(root.resolve()) for p in seen]


def check_dockerfile(root: Path, report: Report) -> list[Stage]:
    path = root / "deploy" / "Dockerfile"
    globals_, instructions = parse_dockerfile(path)
    gargs = {}
    for ins in globals_:
        if ins.op == "ARG":
            name, default = parse_arg(ins.args)
            gargs[name] = default or ""
    report.check("Dockerfile: only ARG before the first FROM",
                 [f"Dockerfile:{i.line}: {i.op} before FROM" for i in globals_ if i.op != "ARG"])

    # Try every combination of boolean-like global ARGs (e.g. RUN_TESTS=true/false).
    bool_args = [k for k, v in gargs.items() if v in ("true", "false")]
    variants = [dict(gargs)]
    for k in bool_args:
        variants = [dict(v, **{k: b}) for v in variants for b in ("true", "false")]

    problems: list[str] = []
    stages: list[Stage] = []
    for variant in variants:
        stages = []
        for ins in instructions:
            if ins.op == "FROM":
                parts = substitute(ins.args, variant).split()
                parts = [p for p in parts if not p.startswith("--platform")]
                name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
                base = parts[0]
                names = [s.name for s in stages]
                if "$" in base:
                    problems.append(f"Dockerfile:{ins.line}: FROM {ins.args}: undefined ARG in '{base}'")
                elif base not in names and not re.search(r":[\w.\-]+$|@sha256:", base):
                    problems.append(f"Dockerfile:{ins.line}: FROM '{base}' is neither an earlier stage nor a "
                                    "tagged image")
                if name and name in names:
                    problems.append(f"Dockerfile:{ins.line}: stage name '{name}' used twice")
                stages.append(Stage(len(stages), base, name, ins.line))
            elif stages:
                stages[-1].instructions.append(ins)
                if ins.op == "COPY":
                    m = re.search(r"--from=(\S+)", ins.args)
                    if m:
                        src = substitute(m.group(1), variant)
                        earlier = [s.name for s in stages[:-1]]
                        if src not in earlier and not re.search(r":[\w.\-]+$", src):
                            problems.append(f"Dockerfile:{ins.line}: COPY --from={src} names no earlier stage")
    report.check(f"Dockerfile: stages and bases resolve ({len(variants)} ARG variants)", sorted(set(problems)))
    report.check("Dockerfile: no stage chosen by a build argument (buildah/podman build it too)",
                 image_checks.check_no_stage_by_argument(instructions, gargs))

    names = [s.name for s in stages]
    problems = []
    if not stages or stages[-1].name != "runtime-gpu":
        problems.append("the last stage (default target) must be runtime-gpu")
    for target in ("build", "test", "runtime-cpu", "runtime-gpu"):
        if target not in names:
            problems.append(f"no stage named {target}")
    report.check("Dockerfile: targets runtime-gpu (default) and runtime-cpu", problems)

    # COPY sources from the context
    patterns = dockerignore_patterns(root)
    problems = []
    copied: set[str] = set()
    for s in stages:
        for ins in s.instructions:
            if ins.op not in ("COPY", "ADD") or "--from=" in ins.args:
                continue
            words = [w for w in ins.args.split() if not w.startswith("--")]
            if words and words[0].startswith("["):
                words = json.loads(" ".join(words))
            for src in words[:-1]:
                rel = src.rstrip("/") or "."
                copied.add(rel)
                if rel == ".":
                    continue
                if not (root / rel).exists():
                    problems.append(f"Dockerfile:{ins.line}: COPY source '{src}' does not exist")
                elif ignored(rel, patterns):
                    problems.append(f"Dockerfile:{ins.line}: COPY source '{src}' is excluded by .dockerignore")
    report.check("Dockerfile: COPY sources exist and are in the build context", problems)

    # The restore layer must copy every project file that the API host references.
    problems = []
    closure = project_closure(root, root / "src" / "Api" / "F5Tts.Api.csproj")
    for p in closure:
        if str(p) not in copied:
            problems.append(f"{p} (referenced by the API host) is not copied before restore")
    for f in ("global.json", "Directory.Build.props", "Directory.Packages.props"):
        if (root / f).exists() and f not in copied:
            problems.append(f"{f} is not copied")
    if (root / "nuget.config").exists() or (root / "NuGet.config").exists():
        if not ({"nuget.config", "NuGet.config"} & copied):
            problems.append("nuget.config exists but is not copied before restore")
    report.check(f"Dockerfile: restore layer covers the API's {len(closure)} projects", problems)
    report.check("Dockerfile: the build stage copies every file the projects compile or embed",
                 image_checks.check_build_copies_items(root, stages, closure))
    report.check("Dockerfile: both runtime stages install " + " and ".join(image_checks.RUNTIME_PACKAGES),
                 image_checks.check_runtime_packages(stages))

    problems = []
    for target in ("runtime-cpu", "runtime-gpu"):
        st = next((s for s in stages if s.name == target), None)
        if st is None:
            continue
        ops = {}
        for ins in st.instructions:
            ops.setdefault(ins.op, []).append(ins)
        user = ops.get("USER", [])
        if not user or not re.fullmatch(r"[1-9]\d*(:\d+)?", user[-1].args):
            problems.append(f"{target}: last USER must be a numeric non-root uid")
        if "HEALTHCHECK" not in ops or "/health/ready" not in ops["HEALTHCHECK"][-1].args:
            problems.append(f"{target}: HEALTHCHECK on /health/ready missing")
        if "STOPSIGNAL" not in ops or ops["STOPSIGNAL"][-1].args != "SIGTERM":
            problems.append(f"{target}: STOPSIGNAL SIGTERM missing")
        ep = ops.get("ENTRYPOINT", [])
        if not ep or not ep[-1].args.startswith("["):
            problems.append(f"{target}: ENTRYPOINT must use the exec form (so the app gets SIGTERM as PID 1)")
        elif json.loads(ep[-1].args) != ["dotnet", "F5Tts.Api.dll"]:
            problems.append(f"{target}: ENTRYPOINT should run dotnet F5Tts.Api.dll")
        if "EXPOSE" not in ops:
            problems.append(f"{target}: EXPOSE missing")
        env = " ".join(i.args for i in ops.get("ENV", []))
        for var in ("ASPNETCORE_ENVIRONMENT=Production", "F5Tts__Model__Directory=/models",
                    "F5Tts__Voices__Directory=/data/voices"):
            if var not in env:
                problems.append(f"{target}: ENV {var} missing")
    for s in stages:
        for ins in s.instructions:
            if ins.op == "RUN" and "apt-get install" in ins.args:
                if "--no-install-recommends" not in ins.args:
                    problems.append(f"Dockerfile:{ins.line}: apt-get install without --no-install-recommends")
                if "rm -rf /var/lib/apt/lists" not in ins.args:
                    problems.append(f"Dockerfile:{ins.line}: apt lists not removed in the same RUN")
    report.check("Dockerfile: runtime stages (user, health, signal, entrypoint, env, apt hygiene)", problems)
    return stages


def check_chart_matches_image(root: Path, report: Report, stages: list[Stage]) -> None:
    """The chart's rendered Deployments (GPU defaults and gpu.enabled=false) against the runtime stages."""
    name = "chart runs the image as built: tag (deploy/test-image.sh), port, user, volumes, probes, drain"
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import helm_render

        renderer = helm_render.Renderer(root / "deploy" / "helm" / "f5tts")
        defaults = renderer.default_values()

        def render(overrides: dict) -> list[dict]:
            import yaml

            out = renderer.render(helm_render.deep_merge(defaults, overrides))
            return [d for f, text in out.items() if f.endswith(".yaml") for d in yaml.safe_load_all(text) if d]

        problems = image_checks.check_chart_matches_image(root, stages, render)
    except (ImportError, helm_render.TemplateError, StopIteration, KeyError) as e:
        problems = [f"cannot render the chart: {e!r}"]
    report.check(name, problems)


# ----------------------------------------------------------------------------------------------------------------
# Configuration names: the F5Tts__ variables that the image and chart set, against appsettings.json's sections.

def check_config_names(root: Path, report: Report) -> None:
    names: set[str] = set()
    for f in [root / "deploy" / "Dockerfile", *sorted((root / "deploy" / "helm" / "f5tts" / "templates").iterdir())]:
        names |= set(re.findall(r"\bF5Tts__[A-Za-z0-9_]*[A-Za-z0-9]", f.read_text(encoding="utf-8")))
    try:
        settings = json.loads((root / "appsettings.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        report.check("appsettings.json readable", [str(e)])
        return
    section = next((v for k, v in settings.items() if k.lower() == "f5tts"), None)
    if not isinstance(section, dict) or not section:
        report.warn("appsettings.json has no F5Tts keys yet; deployment variable names are unchecked: "
                    + ", ".join(sorted(names)))
        return

    def lookup(node: object, parts: list[str]) -> bool:
        for part in parts:
            if part.isdigit():
                return True  # array element: the array itself exists
            if not isinstance(node, dict):
                return False
            match = [v for k, v in node.items() if k.lower() == part.lower()]
            if not match:
                return False
            node = match[0]
        return True

    for name in sorted(names):
        parts = [p for p in name.split("__")[1:] if p]
        if not lookup(section, parts):
            report.warn(f"{name}: no F5Tts:{':'.join(parts)} in appsettings.json (check the option name)")


# ----------------------------------------------------------------------------------------------------------------
# Rendering: helm_render.py (a Go-template subset with the Helm/Sprig functions the chart uses) renders the chart
# for several value sets; the output must parse as YAML and hold consistent Kubernetes objects.

def render_scenarios() -> list[tuple[str, dict, str | None]]:
    """(name, value overrides, expected `fail` message or None)."""
    full = {
        "gpu": {"enabled": False},
        "image": {"tag": "cpu"},
        "appsettings": {"F5Tts": {"Batching": {"MaxBatchSize": 8}}},
        "auth": {"apiKeys": ["key-one", "key-two"]},
        "env": {"F5Tts__Text__MaxCharacters": 2000, "F5Tts__Synthesis__Speed": 1.0},
        "extraEnv": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "imagePullSecrets": [{"name": "regcred"}],
        "nodeSelector": {"nvidia.com/gpu.present": "true"},
        "runtimeClassName": "nvidia",
        "podAnnotations": {"team": "speech"},
        "podLabels": {"tier": "inference"},
        "metrics": {"podAnnotations": True, "serviceMonitor": {"enabled": True, "labels": {"release": "kps"}}},
        "podDisruptionBudget": {"enabled": True},
        "persistence": {"trtCache": {"enabled": False}, "models": {"subPath": "f5tts-v1"}},
        "service": {"type": "LoadBalancer", "annotations": {"lb": "internal"}},
        "shutdown": {"preStopSleepSeconds": 0},
    }
    existing = {
        "persistence": {"models": {"existingClaim": "models-pvc"}, "voices": {"existingClaim": "voices-pvc"},
                        "trtCache": {"existingClaim": "trt-pvc"}},
        "auth": {"existingSecret": "my-keys", "apiKeys": ["ignored"]},
        "serviceAccount": {"create": False, "name": "svc"},
        "replicaCount": 2,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
    }
    rwx = {"replicaCount": 3, "gpu": {"count": 2},
           "persistence": {"voices": {"accessModes": ["ReadWriteMany"]}, "trtCache": {"enabled": False}}}
    hpa = {"autoscaling": {"hpa": {"enabled": True}, "minReplicas": 2, "maxReplicas": 6, "targetWaitSeconds": 3},
           "persistence": {"voices": {"accessModes": ["ReadWriteMany"]}, "trtCache": {"enabled": False}}}
    keda = {"autoscaling": {"keda": {"enabled": True, "serverAddress": "http://prometheus.monitoring:9090"}},
            "persistence": {"voices": {"existingClaim": "shared-voices"}, "trtCache": {"existingClaim": "shared-trt"}}}
    examples = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "examples"
    import yaml
    return [
        ("defaults", {}, None),
        ("hpa on the predicted wait", hpa, None),
        ("keda on the predicted wait", keda, None),
        *[(f"example {f.stem}", yaml.safe_load(f.read_text(encoding="utf-8")), None) for f in sorted(examples.glob("*.yaml"))],
        ("hpa and keda together", helm_merge(hpa, {"autoscaling": {"keda": {"enabled": True, "serverAddress": "http://p:9090"}}}),
         "exclude each other"),
        ("autoscaling min above max", helm_merge(hpa, {"autoscaling": {"minReplicas": 9}}), "must not exceed autoscaling.maxReplicas"),
        ("autoscaling on ReadWriteOnce voices", {"autoscaling": {"hpa": {"enabled": True}}}, "needs a ReadWriteMany voices volume"),
        ("keda without a Prometheus address", {"autoscaling": {"keda": {"enabled": True}, "maxReplicas": 1}},
         "autoscaling.keda.serverAddress is required"),
        ("cpu, auth keys, appsettings, metrics, pdb", full, None),
        ("existing claims and secret, 2 replicas", existing, None),
        ("3 replicas on ReadWriteMany, 2 GPUs", rwx, None),
        ("grace period shorter than the drain", {"terminationGracePeriodSeconds": 30},
         "terminationGracePeriodSeconds (30) must be at least"),
        ("2 replicas on ReadWriteOnce voices", {"replicaCount": 2}, "needs a ReadWriteMany voices volume"),
        ("empty API key", {"auth": {"apiKeys": [""]}}, "auth.apiKeys entries must not be empty"),
        ("no image repository", {"image": {"repository": ""}}, "image.repository is required"),
    ]


def helm_merge(base: dict, override: dict) -> dict:
    out = json.loads(json.dumps(base))
    for k, v in override.items():
        out[k] = helm_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def check_autoscaling(name: str, values: dict, dep: dict, by_kind: dict[str, list[dict]], env: dict) -> list[str]:
    p: list[str] = []
    auto = values["autoscaling"]
    scaled = auto["hpa"]["enabled"] or auto["keda"]["enabled"]
    if scaled == ("replicas" in dep["spec"]):
        p.append(f"{name}: Deployment replicas {'set although autoscaled' if scaled else 'missing'}")
    elif not scaled and dep["spec"]["replicas"] != values["replicaCount"]:
        p.append(f"{name}: replicas {dep['spec']['replicas']} != {values['replicaCount']}")
    target = dep["metadata"]["name"]
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    if auto["hpa"]["enabled"] != bool(hpas):
        p.append(f"{name}: HorizontalPodAutoscaler does not follow autoscaling.hpa.enabled")
    for h in hpas:
        spec = h["spec"]
        metric = spec["metrics"][0]["pods"]
        if (spec["scaleTargetRef"]["name"], spec["scaleTargetRef"]["kind"]) != (target, "Deployment") \
                or (spec["minReplicas"], spec["maxReplicas"]) != (auto["minReplicas"], auto["maxReplicas"]) \
                or metric["metric"]["name"] != auto["hpa"]["metricName"] \
                or metric["target"]["averageValue"] != str(auto["targetWaitSeconds"]):
            p.append(f"{name}: HPA does not scale {target} on {auto['hpa']['metricName']} as configured: {spec!r}")
    scaled_objects = by_kind.get("ScaledObject", [])
    if auto["keda"]["enabled"] != bool(scaled_objects):
        p.append(f"{name}: ScaledObject does not follow autoscaling.keda.enabled")
    for so in scaled_objects:
        spec, trigger = so["spec"], so["spec"]["triggers"][0]
        if spec["scaleTargetRef"]["name"] != target or trigger["type"] != "prometheus" \
                or trigger["metadata"]["threshold"] != str(auto["targetWaitSeconds"]) \
                or "f5tts_predicted_wait_seconds" not in trigger["metadata"]["query"] \
                or (spec["minReplicaCount"], spec["maxReplicaCount"]) != (auto["minReplicas"], auto["maxReplicas"]):
            p.append(f"{name}: ScaledObject does not scale {target} on the predicted wait: {spec!r}")
    gpu = values["gpu"]
    devices = {k: e.get("value") for k, e in env.items() if k.startswith("F5Tts__Engine__DeviceIds__")}
    want = {f"F5Tts__Engine__DeviceIds__{i}": str(i) for i in range(gpu["count"])} \
        if gpu["enabled"] and gpu["count"] > 1 else {}
    if devices != want:
        p.append(f"{name}: DeviceIds env {devices!r}, expected {want!r}")
    return p


def check_objects(name: str, values: dict, docs: list[dict]) -> list[str]:
    p: list[str] = []
    by_kind: dict[str, list[dict]] = {}
    for d in docs:
        for key in ("apiVersion", "kind"):
            if not d.get(key):
                p.append(f"{name}: an object has no {key}")
        if not (d.get("metadata") or {}).get("name"):
            p.append(f"{name}: {d.get('kind')} has no metadata.name")
        by_kind.setdefault(d.get("kind", "?"), []).append(d)
    deps = by_kind.get("Deployment", [])
    if len(deps) != 1:
        return p + [f"{name}: expected one Deployment, got {len(deps)}"]
    dep = deps[0]
    pod = dep["spec"]["template"]
    spec = pod["spec"]
    c = spec["containers"][0]
    sel = dep["spec"]["selector"]["matchLabels"]
    if any(pod["metadata"]["labels"].get(k) != v for k, v in sel.items()):
        p.append(f"{name}: pod labels do not match the Deployment selector")

    gpu = values["gpu"]
    limits = (c.get("resources") or {}).get("limits") or {}
    if gpu["enabled"]:
        if limits.get(gpu["resourceName"]) != gpu["count"]:
            p.append(f"{name}: resources.limits[{gpu['resourceName']}] is {limits.get(gpu['resourceName'])!r}")
    elif gpu["resourceName"] in limits:
        p.append(f"{name}: GPU requested although gpu.enabled is false")

    env = {e["name"]: e for e in c.get("env", [])}
    if len(env) != len(c.get("env", [])):
        p.append(f"{name}: duplicate environment variable names")
    for e in c.get("env", []):
        if "value" in e and not isinstance(e["value"], str):
            p.append(f"{name}: env {e['name']} value is not a string ({e['value']!r})")
    for var in ("F5Tts__Model__Directory", "F5Tts__Voices__Directory", "F5Tts__Server__ShutdownTimeoutSeconds",
                "F5Tts__Engine__TensorRt__EngineCacheDirectory", "URLS", "ASPNETCORE_ENVIRONMENT"):
        if var not in env:
            p.append(f"{name}: env {var} missing")
    for k, v in (values.get("env") or {}).items():
        if k not in env:
            p.append(f"{name}: values env {k} not rendered")
    if not gpu["enabled"]:
        if (env.get("F5Tts__Engine__TransformerProviders") or {}).get("value") != "CPU":
            p.append(f"{name}: CPU mode without the CPU provider chain")
        if (env.get("NVIDIA_VISIBLE_DEVICES") or {}).get("value") != "void":
            p.append(f"{name}: CPU mode does not hide GPUs")

    p.extend(check_autoscaling(name, values, dep, by_kind, env))

    ports = {pt["name"]: pt["containerPort"] for pt in c.get("ports", [])}
    if ports.get("http") != values["containerPort"]:
        p.append(f"{name}: container port http != containerPort")
    for probe, path in (("startupProbe", "/health/ready"), ("livenessProbe", "/health/live"),
                        ("readinessProbe", "/health/ready")):
        get = (c.get(probe) or {}).get("httpGet") or {}
        if get.get("path") != path or get.get("port") not in ports:
            p.append(f"{name}: {probe} is not httpGet {path} on a named container port")
    sp = c.get("startupProbe") or {}
    if sp.get("periodSeconds", 0) * sp.get("failureThreshold", 0) < 1800:
        p.append(f"{name}: startup probe shorter than 30 min")
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if grace < values["shutdown"]["timeoutSeconds"] + values["shutdown"]["preStopSleepSeconds"]:
        p.append(f"{name}: grace period {grace} shorter than the drain")
    if values["shutdown"]["preStopSleepSeconds"] > 0:
        cmd = (((c.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command")
        if cmd != ["sleep", str(values["shutdown"]["preStopSleepSeconds"])]:
            p.append(f"{name}: preStop sleep missing or wrong: {cmd!r}")
    elif "lifecycle" in c:
        p.append(f"{name}: preStop hook rendered with preStopSleepSeconds 0")

    psc, csc = spec.get("securityContext") or {}, c.get("securityContext") or {}
    if not psc.get("runAsNonRoot") or psc.get("runAsUser") != 10001:
        p.append(f"{name}: pod securityContext is not non-root uid 10001")
    if not csc.get("readOnlyRootFilesystem") or csc.get("capabilities", {}).get("drop") != ["ALL"] \
            or csc.get("allowPrivilegeEscalation") is not False:
        p.append(f"{name}: container securityContext is not locked down")

    vols = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    for m in c.get("volumeMounts", []):
        if m["name"] not in vols:
            p.append(f"{name}: volumeMount {m['name']} has no volume")
    if "/tmp" not in mounts or "emptyDir" not in vols.get(mounts["/tmp"]["name"], {}):
        p.append(f"{name}: /tmp is not an emptyDir (read-only root filesystem)")
    models = mounts.get(values["paths"]["models"])
    if not models or not models.get("readOnly"):
        p.append(f"{name}: models not mounted read-only at {values['paths']['models']}")
    pvcs = {d["metadata"]["name"] for d in by_kind.get("PersistentVolumeClaim", [])}
    for key, vol in (("models", "models"), ("voices", "voices"), ("trtCache", "trt-cache")):
        cfg = values["persistence"][key]
        v = vols.get(vol, {})
        claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
        if key != "models" and not cfg.get("enabled", True):
            if "emptyDir" not in v:
                p.append(f"{name}: disabled {key} volume is not an emptyDir")
            continue
        if cfg.get("existingClaim"):
            if claim != cfg["existingClaim"]:
                p.append(f"{name}: {key} does not use existingClaim {cfg['existingClaim']}")
        elif claim not in pvcs:
            p.append(f"{name}: {key} claim {claim!r} is neither created nor existing")
        if cfg.get("subPath") and (mounts.get(values["paths"][key]) or {}).get("subPath") != cfg["subPath"]:
            p.append(f"{name}: {key} subPath not applied")

    svc = (by_kind.get("Service") or [{}])[0]
    sports = {pt.get("name"): pt for pt in (svc.get("spec") or {}).get("ports", [])}
    if sports.get("http", {}).get("targetPort") not in ports or sports["http"].get("port") != values["service"]["port"]:
        p.append(f"{name}: Service port http does not reach the container")
    if (svc.get("spec") or {}).get("selector") != sel:
        p.append(f"{name}: Service selector != Deployment selector")

    secrets = by_kind.get("Secret", [])
    auth = values["auth"]
    env_from = [e["secretRef"]["name"] for e in c.get("envFrom", []) if "secretRef" in e]
    if auth.get("existingSecret"):
        if secrets or env_from != [auth["existingSecret"]]:
            p.append(f"{name}: existingSecret not used as the only key source")
    elif auth.get("apiKeys"):
        data = secrets[0].get("stringData", {}) if secrets else {}
        want = {f"F5Tts__Auth__ApiKeys__{i}": k for i, k in enumerate(auth["apiKeys"])}
        if data != want or env_from != [secrets[0]["metadata"]["name"]]:
            p.append(f"{name}: API-key Secret {data!r} / envFrom {env_from!r} wrong")
    elif secrets or env_from:
        p.append(f"{name}: Secret rendered without API keys")

    cms = by_kind.get("ConfigMap", [])
    if values.get("appsettings"):
        try:
            content = json.loads(cms[0]["data"]["appsettings.override.json"])
        except (IndexError, KeyError, ValueError) as e:
            p.append(f"{name}: appsettings ConfigMap unreadable: {e}")
        else:
            if content != values["appsettings"]:
                p.append(f"{name}: appsettings ConfigMap content differs from values")
        path = f"/app/appsettings.{values['aspnetcoreEnvironment']}.json"
        if path not in mounts or mounts[path].get("subPath") != "appsettings.override.json":
            p.append(f"{name}: appsettings override not mounted at {path}")
    elif cms:
        p.append(f"{name}: ConfigMap rendered without appsettings")

    sm = by_kind.get("ServiceMonitor", [])
    if values["metrics"]["serviceMonitor"]["enabled"]:
        if not sm:
            p.append(f"{name}: ServiceMonitor missing")
        else:
            ep = sm[0]["spec"]["endpoints"][0]
            if ep.get("port") != "http" or ep.get("path") != "/metrics":
                p.append(f"{name}: ServiceMonitor endpoint is not http /metrics")
            labels = svc.get("metadata", {}).get("labels", {})
            if any(labels.get(k) != v for k, v in sm[0]["spec"]["selector"]["matchLabels"].items()):
                p.append(f"{name}: ServiceMonitor selector does not match the Service labels")
            for k, v in values["metrics"]["serviceMonitor"]["labels"].items():
                if sm[0]["metadata"]["labels"].get(k) != v:
                    p.append(f"{name}: ServiceMonitor label {k} missing")
    elif sm:
        p.append(f"{name}: ServiceMonitor rendered while disabled")
    ann = pod["metadata"].get("annotations") or {}
    if values["metrics"]["podAnnotations"] != (ann.get("prometheus.io/scrape") == "true"):
        p.append(f"{name}: prometheus.io annotations do not follow metrics.podAnnotations")
    if values["podDisruptionBudget"]["enabled"] != bool(by_kind.get("PodDisruptionBudget")):
        p.append(f"{name}: PodDisruptionBudget does not follow podDisruptionBudget.enabled")
    if values["serviceAccount"]["create"] != bool(by_kind.get("ServiceAccount")):
        p.append(f"{name}: ServiceAccount does not follow serviceAccount.create")
    return p


def check_render(root: Path, report: Report, out_dir: Path | None = None) -> None:
    try:
        import yaml  # noqa: F401  (python3-yaml comes with yamllint)
    except ImportError:
        report.check("helm template (helm_render.py)", ["PyYAML is not installed (apt-get install python3-yaml)"])
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import helm_render

    try:
        renderer = helm_render.Renderer(root / "deploy" / "helm" / "f5tts")
    except helm_render.TemplateError as e:
        report.check("helm template: templates parse", [str(e)])
        return
    defaults = renderer.default_values()
    for name, overrides, expected_fail in render_scenarios():
        values = helm_render.deep_merge(defaults, overrides)
        problems: list[str] = []
        try:
            out = renderer.render(values)
        except helm_render.HelmFail as e:
            if expected_fail is None:
                problems.append(f"rendering refused the values: {e}")
            elif expected_fail not in str(e):
                problems.append(f"refused with '{e}', expected '{expected_fail}'")
            report.check(f"helm template [{name}]", problems)
            continue
        except helm_render.TemplateError as e:
            report.check(f"helm template [{name}]", [str(e)])
            continue
        if expected_fail is not None:
            report.check(f"helm template [{name}]", [f"rendered, but should fail with '{expected_fail}'"])
            continue
        docs: list[dict] = []
        for file, text in out.items():
            if file == "NOTES.txt":
                if "tts-f5tts" not in text:
                    problems.append("NOTES.txt does not name the release's resources")
                continue
            try:
                for d in yaml.safe_load_all(text):
                    if d is None:
                        continue
                    if not isinstance(d, dict):
                        problems.append(f"{file}: a document is not a mapping")
                    else:
                        docs.append(d)
            except yaml.YAMLError as e:
                problems.append(f"{file}: rendered output is not YAML: {e}")
        if not problems:
            problems = check_objects(name, values, docs)
        if out_dir is not None:  # for DeployLintTests: strict parsing into the Kubernetes API models
            target = out_dir / re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            target.mkdir(parents=True, exist_ok=True)
            for file, text in out.items():
                (target / file).write_text(text, encoding="utf-8")
        kinds = sorted({d.get("kind", "?") for d in docs})
        report.check(f"helm template [{name}]: {len(docs)} objects ({', '.join(kinds)})", problems)


def main() -> int:
    args = sys.argv[1:]
    out_dir = None
    if "--out" in args:  # also write the rendered manifests there, one folder per value set
        i = args.index("--out")
        out_dir = Path(args[i + 1]).resolve()
        del args[i:i + 2]
    root = Path(args[0] if args else Path(__file__).resolve().parents[2]).resolve()
    os.chdir(root)
    report = Report()
    check_chart(root, report)
    check_render(root, report, out_dir)
    stages = check_dockerfile(root, report)
    check_chart_matches_image(root, report, stages)
    check_config_names(root, report)
    failed = report.checks - report.passed
    print(f"check_deploy: {report.passed} checks ok, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
