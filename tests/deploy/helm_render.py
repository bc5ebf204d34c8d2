#!/usr/bin/env python3
"""A small Go text/template interpreter with the Helm and Sprig functions the f5tts chart uses.

No helm binary exists where the tests run. This renders deploy/helm/f5tts the way `helm template` would (for the
subset of the template language the chart uses) so that check_deploy.py can parse the output as YAML and check
the Kubernetes objects. It is deliberately strict: an unknown function, a field access on a missing value
(Go's "nil pointer evaluating interface {}.x"), or an unsupported construct is an error, not an empty string.
It is not helm: `helm lint` / `helm template` remain the reference (see docs/deployment.md).

Needs PyYAML (python3-yaml, a dependency of yamllint) for values.yaml and for toYaml.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class TemplateError(Exception):
    pass


class HelmFail(TemplateError):
    """`fail` or `required` was called: the chart refused the values (helm would exit with this message)."""


# ----------------------------------------------------------------------------------------------------------------
# Lexing and parsing

TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|`[^`]*`)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<pipe>\|)
  | (?P<comma>,)
  | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)


@dataclass
class Tok:
    kind: str
    value: str


def lex(src: str, where: str) -> list[Tok]:
    toks, pos = [], 0
    while pos < len(src):
        m = TOKEN_RE.match(src, pos)
        if not m:
            raise TemplateError(f"{where}: cannot read '{src[pos:pos + 20]}'")
        pos = m.end()
        if m.lastgroup != "ws":
            toks.append(Tok(m.lastgroup, m.group()))
    return toks


@dataclass
class Pipeline:
    decl: list[str]  # variables declared (:=) or assigned (=)
    is_assign: bool
    cmds: list[list[Any]]  # each command: list of operands (Tok or Pipeline for parenthesised)
    where: str


@dataclass
class Node:
    kind: str  # text, action, if, with, range, template
    where: str = ""
    text: str = ""
    pipe: Pipeline | None = None
    body: list[Node] = field(default_factory=list)
    else_body: list[Node] = field(default_factory=list)
    name: str = ""


def parse_pipeline(toks: list[Tok], where: str) -> Pipeline:
    decl: list[str] = []
    is_assign = False
    # "$a := ...", "$a = ...", "$i, $v := ..."
    i = 0
    names = []
    while i < len(toks) and toks[i].kind == "var" and "." not in toks[i].value:
        names.append(toks[i].value)
        if i + 1 < len(toks) and toks[i + 1].kind == "comma":
            i += 2
            continue
        break
    if names and len(toks) > len(names) * 2 - 1 and toks[len(names) * 2 - 1].kind in ("declare", "assign"):
        decl = names
        is_assign = toks[len(names) * 2 - 1].kind == "assign"
        toks = toks[len(names) * 2:]

    def parse_cmds(ts: list[Tok], start: int, closing: bool) -> tuple[list[list[Any]], int]:
        cmds: list[list[Any]] = [[]]
        j = start
        while j < len(ts):
            t = ts[j]
            if t.kind == "pipe":
                cmds.append([])
            elif t.kind == "lparen":
                inner, j = parse_cmds(ts, j + 1, True)
                cmds[-1].append(Pipeline([], False, inner, where))
            elif t.kind == "rparen":
                if not closing:
                    raise TemplateError(f"{where}: unexpected ')'")
                return cmds, j
            elif t.kind in ("declare", "assign", "comma"):
                raise TemplateError(f"{where}: unexpected '{t.value}'")
            else:
                cmds[-1].append(t)
            j += 1
        if closing:
            raise TemplateError(f"{where}: unclosed '('")
        return cmds, j

    cmds, _ = parse_cmds(toks, 0, False)
    if any(not c for c in cmds):
        raise TemplateError(f"{where}: empty command in pipeline")
    return Pipeline(decl, is_assign, cmds, where)


def split_template(text: str, name: str) -> list[tuple[str, str, int]]:
    """[(kind, content, line)] with kind 'text' or 'action'; trim markers applied."""
    parts: list[tuple[str, str, int]] = []
    pos = 0
    pattern = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
    trim_next = False
    for m in pattern.finditer(text):
        chunk = text[pos:m.start()]
        if trim_next:
            chunk = chunk.lstrip()
        if m.group(1):
            chunk = chunk.rstrip()
        parts.append(("text", chunk, 0))
        line = text.count("\n", 0, m.start()) + 1
        parts.append(("action", m.group(2).strip(), line))
        trim_next = bool(m.group(3))
        pos = m.end()
    chunk = text[pos:]
    parts.append(("text", chunk.lstrip() if trim_next else chunk, 0))
    return parts


def parse_template(text: str, name: str, defines: dict[str, list[Node]]) -> list[Node]:
    root: list[Node] = []
    stack: list[tuple[Node, list[Node], str]] = []  # (block node, list being filled, kind)
    current = root
    for kind, content, line in split_template(text, name):
        where = f"{name}:{line}"
        if kind == "text":
            if content:
                current.append(Node("text", text=content))
            continue
        if content.startswith("/*"):
            continue
        toks = lex(content, where)
        if not toks:
            raise TemplateError(f"{where}: empty action")
        head = toks[0].value if toks[0].kind == "ident" else ""
        if head in ("if", "with", "range"):
            node = Node(head, where, pipe=parse_pipeline(toks[1:], where))
            current.append(node)
            stack.append((node, current, head))
            current = node.body
        elif head == "define":
            if toks[1].kind != "string":
                raise TemplateError(f"{where}: define needs a name")
            node = Node("define", where, name=json.loads(toks[1].value))
            stack.append((node, current, "define"))
            current = node.body
        elif head == "else":
            if not stack or stack[-1][2].rstrip("+") not in ("if", "with", "range"):
                raise TemplateError(f"{where}: else outside if/with/range")
            node = stack[-1][0]
            if len(toks) > 1 and toks[1].value in ("if", "with"):
                # "else if x" == else { if x ... } sharing the same end
                inner = Node(toks[1].value, where, pipe=parse_pipeline(toks[2:], where))
                node.else_body.append(inner)
                stack[-1] = (inner, stack[-1][1], stack[-1][2] + "+")
                current = inner.body
            else:
                current = node.else_body
        elif head == "end":
            if not stack:
                raise TemplateError(f"{where}: end without a block")
            node, parent, k = stack.pop()
            if node.kind == "define":
                defines[node.name] = node.body
            current = parent
        elif head in ("template", "block"):
            if head == "block":
                raise TemplateError(f"{where}: block is not supported")
            arg = parse_pipeline(toks[2:], where) if len(toks) > 2 else None
            current.append(Node("template", where, pipe=arg, name=json.loads(toks[1].value)))
        elif head in ("break", "continue"):
            raise TemplateError(f"{where}: {head} is not supported")
        else:
            current.append(Node("action", where, pipe=parse_pipeline(toks, where)))
    if stack:
        raise TemplateError(f"{stack[-1][0].where}: {stack[-1][2]} never closed")
    return root


# ----------------------------------------------------------------------------------------------------------------
# Values: Go formatting and truthiness

def truthy(v: Any) -> bool:
    if v is None or v is False:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v != 0
    if isinstance(v, (str, list, dict, tuple)):
        return len(v) > 0
    return True


def go_str(v: Any) -> str:
    """fmt.Sprint of a value, as Go prints what Helm's YAML/JSON decoding produces."""
    if v is None:
        return "<no value>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e21:
            return str(int(v))
        return repr(v)
    if isinstance(v, list):
        return "[" + " ".join(go_str(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_str(v[k])}" for k in sorted(v)) + "]"
    return str(v)


def strval(v: Any) -> str:
    return "" if v is None else go_str(v)


def to_int(v: Any) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str):
        try:
            return int(float(v))
        except ValueError:
            return 0
    return 0


def go_printf(fmt: str, *args: Any) -> str:
    out, ai, i = "", 0, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out += ch
            i += 1
            continue
        verb = fmt[i + 1]
        i += 2
        if verb == "%":
            out += "%"
            continue
        if ai >= len(args):
            out += f"%!{verb}(MISSING)"
            continue
        a = args[ai]
        ai += 1
        if verb in "sv":
            out += go_str(a)
        elif verb == "d":
            if not isinstance(a, int) or isinstance(a, bool):
                out += f"%!d({type(a).__name__}={go_str(a)})"
            else:
                out += str(a)
        elif verb == "q":
            out += json.dumps(strval(a), ensure_ascii=False)
        else:
            raise TemplateError(f"printf verb %{verb} is not supported")
    return out


def to_yaml(v: Any) -> str:
    if v is None:
        return "null"
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True, width=10**6, allow_unicode=True).rstrip("\n")


def indent(n: int, s: str) -> str:
    pad = " " * n
    return pad + s.replace("\n", "\n" + pad)


# ----------------------------------------------------------------------------------------------------------------
# Execution

class Renderer:
    def __init__(self, chart_dir: Path) -> None:
        self.chart_dir = chart_dir
        self.defines: dict[str, list[Node]] = {}
        self.files: dict[str, list[Node]] = {}
        chart_meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text(encoding="utf-8"))
        self.chart = {"Name": chart_meta["name"], "Version": chart_meta["version"],
                      "AppVersion": chart_meta.get("appVersion", "")}
        self.base = f"{chart_meta['name']}/templates"
        tdir = chart_dir / "templates"
        for f in sorted(tdir.iterdir()):
            if f.suffix in (".yaml", ".tpl", ".txt"):
                name = f"{self.base}/{f.name}"
                self.files[name] = parse_template(f.read_text(encoding="utf-8"), f.name, self.defines)
        self.funcs = self._funcs()

    def default_values(self) -> dict[str, Any]:
        return yaml.safe_load((self.chart_dir / "values.yaml").read_text(encoding="utf-8")) or {}

    def render(self, values: dict[str, Any], release: str = "tts", namespace: str = "default") -> dict[str, str]:
        out = {}
        for name, nodes in self.files.items():
            if name.endswith(".tpl"):
                continue
            top = {"Values": values, "Chart": self.chart,
                   "Release": {"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": True},
                   "Template": {"BasePath": self.base, "Name": name},
                   "Capabilities": {"KubeVersion": {"Version": "v1.30.0"}}}
            text = self.exec_nodes(nodes, top, [{"$": top}])
            out[name.split("/")[-1]] = text.replace("<no value>", "")
        return out

    # -- nodes

    def exec_nodes(self, nodes: list[Node], dot: Any, scopes: list[dict[str, Any]]) -> str:
        parts = []
        for n in nodes:
            if n.kind == "text":
                parts.append(n.text)
            elif n.kind == "action":
                v = self.eval_pipeline(n.pipe, dot, scopes)
                if not n.pipe.decl:
                    parts.append(go_str(v))
            elif n.kind in ("if", "with"):
                scopes.append({})
                v = self.eval_pipeline(n.pipe, dot, scopes)
                if truthy(v):
                    parts.append(self.exec_nodes(n.body, v if n.kind == "with" else dot, scopes))
                else:
                    parts.append(self.exec_nodes(n.else_body, dot, scopes))
                scopes.pop()
            elif n.kind == "range":
                scopes.append({})
                pipe = n.pipe
                v = self.eval_pipeline(Pipeline([], False, pipe.cmds, pipe.where), dot, scopes)
                items: list[tuple[Any, Any]]
                if v is None:
                    items = []
                elif isinstance(v, dict):
                    items = [(k, v[k]) for k in sorted(v)]
                elif isinstance(v, list):
                    items = list(enumerate(v))
                elif isinstance(v, int):
                    items = [(i, i) for i in range(v)]
                else:
                    raise TemplateError(f"{n.where}: range over {type(v).__name__}")
                if not items:
                    parts.append(self.exec_nodes(n.else_body, dot, scopes))
                for k, item in items:
                    if len(pipe.decl) == 1:
                        scopes[-1][pipe.decl[0]] = item
                    elif len(pipe.decl) == 2:
                        scopes[-1][pipe.decl[0]] = k
                        scopes[-1][pipe.decl[1]] = item
                    parts.append(self.exec_nodes(n.body, item, scopes))
                scopes.pop()
            elif n.kind == "template":
                arg = self.eval_pipeline(n.pipe, dot, scopes) if n.pipe else None
                parts.append(self.include(n.name, arg, n.where))
            else:
                raise TemplateError(f"{n.where}: cannot execute {n.kind}")
        return "".join(parts)

    def include(self, name: str, data: Any, where: str = "") -> str:
        if name in self.defines:
            return self.exec_nodes(self.defines[name], data, [{"$": data}])
        if name in self.files:
            return self.exec_nodes(self.files[name], data, [{"$": data}])
        raise TemplateError(f"{where}: no template named {name!r}")

    # -- pipelines

    def eval_pipeline(self, p: Pipeline, dot: Any, scopes: list[dict[str, Any]]) -> Any:
        value: Any = None
        for i, cmd in enumerate(p.cmds):
            value = self.eval_command(cmd, dot, scopes, value if i > 0 else _NOARG, p.where)
        if p.decl:
            if p.is_assign:
                for scope in reversed(scopes):
                    if p.decl[0] in scope:
                        scope[p.decl[0]] = value
                        break
                else:
                    raise TemplateError(f"{p.where}: assignment to undeclared {p.decl[0]}")
            elif len(p.decl) == 1:
                scopes[-1][p.decl[0]] = value
        return value

    def eval_command(self, cmd: list[Any], dot: Any, scopes: list[dict[str, Any]], piped: Any, where: str) -> Any:
        first = cmd[0]
        if isinstance(first, Tok) and first.kind == "ident" and first.value not in ("true", "false", "nil"):
            fn = self.funcs.get(first.value)
            if fn is None:
                raise TemplateError(f"{where}: function {first.value!r} not defined")
            args = [self.eval_arg(a, dot, scopes, where) for a in cmd[1:]]
            if piped is not _NOARG:
                args.append(piped)
            try:
                return fn(*args)
            except (HelmFail, TemplateError):
                raise
            except Exception as e:  # wrong argument count or types: helm fails the same way
                raise TemplateError(f"{where}: error calling {first.value}: {e}") from e
        if len(cmd) > 1 or piped is not _NOARG:
            raise TemplateError(f"{where}: can't give arguments to a non-function")
        return self.eval_arg(first, dot, scopes, where)

    def eval_arg(self, a: Any, dot: Any, scopes: list[dict[str, Any]], where: str) -> Any:
        if isinstance(a, Pipeline):
            return self.eval_pipeline(a, dot, scopes)
        if a.kind == "string":
            return json.loads(a.value) if a.value.startswith('"') else a.value[1:-1]
        if a.kind == "number":
            return float(a.value) if "." in a.value else int(a.value)
        if a.kind == "ident":
            if a.value == "true":
                return True
            if a.value == "false":
                return False
            if a.value == "nil":
                return None
            fn = self.funcs.get(a.value)
            if fn is None:
                raise TemplateError(f"{where}: function {a.value!r} not defined")
            return fn()  # niladic function as an argument
        if a.kind == "field":
            return self.walk(dot, a.value, where, ".")
        if a.kind == "var":
            name, _, rest = a.value.partition(".")
            for scope in reversed(scopes):
                if name in scope:
                    base = scope[name]
                    break
            else:
                raise TemplateError(f"{where}: undefined variable {name}")
            return self.walk(base, "." + rest if rest else ".", where, name)
        raise TemplateError(f"{where}: unexpected {a.value!r}")

    @staticmethod
    def walk(base: Any, path: str, where: str, start: str) -> Any:
        if path == ".":
            return base
        v = base
        walked = start
        for part in path.strip(".").split("."):
            if v is None:
                raise TemplateError(f"{where}: nil pointer evaluating interface {{}}.{part} ({walked} is not set)")
            if not isinstance(v, dict):
                raise TemplateError(f"{where}: can't evaluate field {part} in type {type(v).__name__}")
            v = v.get(part)
            walked += "." + part if walked != "." else part
        return v

    # -- functions

    def _funcs(self) -> dict[str, Any]:
        def required(msg: str, v: Any) -> Any:
            if v is None or v == "":
                raise HelmFail(msg)
            return v

        def fail(msg: str) -> Any:
            raise HelmFail(msg)

        def default(d: Any, *v: Any) -> Any:
            return v[0] if v and truthy(v[0]) else d

        def trunc(n: int, s: str) -> str:
            return s[:n] if n >= 0 else s[n:]

        def dict_(*kv: Any) -> dict[str, Any]:
            return {strval(kv[i]): kv[i + 1] if i + 1 < len(kv) else "" for i in range(0, len(kv), 2)}

        def get(d: dict[str, Any], k: str) -> Any:
            return d.get(k, "")

        def set_(d: dict[str, Any], k: str, v: Any) -> dict[str, Any]:
            d[k] = v
            return d

        def print_(*args: Any) -> str:
            out = ""
            for i, a in enumerate(args):
                if i > 0 and not isinstance(a, str) and not isinstance(args[i - 1], str):
                    out += " "
                out += go_str(a)
            return out

        def quote(*args: Any) -> str:
            return " ".join(json.dumps(strval(a), ensure_ascii=False) for a in args if a is not None)

        def compare(a: Any, b: Any, op: str) -> bool:
            num = (int, float)
            if isinstance(a, bool) or isinstance(b, bool) or not (
                    (isinstance(a, num) and isinstance(b, num)) or (isinstance(a, str) and isinstance(b, str))):
                raise TemplateError(f"incompatible types for comparison: {go_str(a)} {op} {go_str(b)}")
            if isinstance(a, num) and type(a) is not type(b):
                raise TemplateError(f"incompatible types for comparison (int vs float): {a} {op} {b}")
            return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]

        def and_(*args: Any) -> Any:
            for a in args:
                if not truthy(a):
                    return a
            return args[-1]

        def or_(*args: Any) -> Any:
            for a in args:
                if truthy(a):
                    return a
            return args[-1]

        return {
            "include": lambda name, data: self.include(name, data),
            "required": required, "fail": fail, "default": default,
            "empty": lambda v: not truthy(v),
            "trunc": trunc, "trimSuffix": lambda suf, s: s[:-len(suf)] if suf and s.endswith(suf) else s,
            "trimPrefix": lambda pre, s: s[len(pre):] if pre and s.startswith(pre) else s,
            "contains": lambda sub, s: sub in s, "replace": lambda old, new, s: s.replace(old, new),
            "printf": go_printf, "print": print_, "quote": quote,
            "nindent": lambda n, s: "\n" + indent(n, s), "indent": indent,
            "toYaml": to_yaml, "toPrettyJson": lambda v: json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False),
            "toJson": lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            "sha256sum": lambda s: hashlib.sha256(s.encode()).hexdigest(),
            "deepCopy": copy.deepcopy, "dict": dict_, "get": get, "set": set_,
            "hasKey": lambda d, k: k in d, "list": lambda *a: list(a), "has": lambda needle, lst: needle in (lst or []),
            "int": to_int, "int64": to_int, "toString": strval,
            "add": lambda *a: sum(to_int(x) for x in a), "sub": lambda a, b: to_int(a) - to_int(b),
            "mul": lambda *a: _product(a),
            "eq": lambda a, *b: any(a == x for x in b), "ne": lambda a, b: a != b,
            "lt": lambda a, b: compare(a, b, "lt"), "le": lambda a, b: compare(a, b, "le"),
            "gt": lambda a, b: compare(a, b, "gt"), "ge": lambda a, b: compare(a, b, "ge"),
            "and": and_, "or": or_, "not": lambda a: not truthy(a),
            "len": len, "index": _index,
        }


_NOARG = object()


def _product(a: tuple[Any, ...]) -> int:
    r = 1
    for x in a:
        r *= to_int(x)
    return r


def _index(v: Any, *keys: Any) -> Any:
    for k in keys:
        v = v[k] if isinstance(v, list) else (v or {}).get(k)
    return v


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of user values over chart defaults (maps merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out
