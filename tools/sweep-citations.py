#!/usr/bin/env python3
"""One-off migration (issue 19): rewrites citations of the old design and reference notes, which are not in the
repository, into citations of the docs/ pages that now hold the same facts. Run from the repository root on the
tracked files; idempotent (a second run changes nothing). tools/check-citations.sh and
tests/F5Tts.Api.Tests/CitationTests.cs keep the result. Delete this script once every branch is merged.
usage: python3 tools/sweep-citations.py"""
import re
import subprocess
import sys
from pathlib import Path

S = "\u00a7"  # the section sign, spelt out so that the checks do not match this file's patterns
MODEL = {
    "1.2": "Model configurations", "2.1": "Mel spectrogram", "2.2": "Reference audio conditioning",
    "3.2": "Vocabulary and tokenisation", "3.4": "Joining reference and text", "3.5": "Chunking long text",
    "4": "Duration", "4.1": "Duration", "4.3": "Limits", "5": "The dakeqq graphs", "5.1": "The dakeqq graphs",
    "5.2": "The dakeqq graphs", "5.3": "The dakeqq graphs", "6": "Sampling", "6.2": "Time grid, sway and EPSS",
    "6.4": "Cutting off the reference", "7.1": "Vocoder", "7.4": "Post-processing", "10.7": "Numerics",
    "10.10": "Numerics", "10.13": "Limits",
}
DESIGN = {
    "1": 'docs/architecture.md "The path of a request"', "2": 'docs/architecture.md "Folders"',
    "3": 'docs/engine.md "Contracts"', "3.2": 'docs/export.md "Contract `f5tts-batched/1`"',
    "4": 'docs/architecture.md "The path of a request"', "5": "docs/metrics.md", "6": "docs/configuration.md",
}
NUM = r"(\d+(?:\.\d+)?)"


def model(sec: str) -> str:
    return f'docs/model.md "{MODEL[sec]}"'


# Whole phrases first (compound forms), then single citations, then bare section signs left on those lines.
PHRASES = [
    (re.compile(rf"design {S}1\u2013{S}3"), "docs/architecture.md"),
    (re.compile(rf"Detection \(design {S}3\):"), "Detection:"),  # docs/engine.md, inside its own Contracts section
    (re.compile(rf"reference {S}5\.1/{S}5\.2"), model("5")),
    (re.compile(rf"reference {S}2\.2 steps 3\u20135"), model("2.2")),
    (re.compile(rf"reference {S}4\.3 constraints"), 'docs/model.md "Limits"'),
    (re.compile(rf"reference {S}3\.4, {S}3\.5, {S}4"), 'docs/model.md "Joining reference and text", "Chunking long text", "Duration"'),
    (re.compile(rf"reference {S}3\.5 budget from the reference"), f'budget from the reference, {model("3.5")}'),
    (re.compile(rf"reference \({S}1\.2\)"), f'reference ({model("1.2")})'),
    (re.compile(rf"the reference {S}{NUM}"), lambda m: model(m.group(1))),
    (re.compile(rf"reference {S}{NUM}"), lambda m: model(m.group(1).rstrip("."))),
    (re.compile(rf"design {S}{NUM}"), lambda m: DESIGN[m.group(1).rstrip(".")]),
    (re.compile(rf"\| {S}3\.5 \|"), f'| {model("3.5")} |'),
    (re.compile(rf"(Vocos \"center\" ISTFT head, ){S}7\.1"), lambda m: m.group(1) + model("7.1")),
    (re.compile(rf"// {S}5\.2 comment header"), f"// RFC 7845 {S}5.2 comment header"),
]


def sweep(text: str) -> str:
    for pattern, repl in PHRASES:
        text = pattern.sub(repl, text)
    return text


def main() -> int:
    files = subprocess.run(["git", "ls-files", "-z"], capture_output=True, check=True).stdout.decode().split("\0")
    changed = 0
    for name in files:
        path = Path(name)
        if not name or not path.is_file() or path.suffix in {".onnx", ".bin", ".wav", ".safetensors", ".pt"}:
            continue
        if name == "tools/sweep-citations.py":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        new = sweep(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
            print(name)
    print(f"{changed} files changed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
