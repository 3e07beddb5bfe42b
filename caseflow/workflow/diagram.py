"""Mermaid state diagrams generated from the workflow YAML (never drawn by hand)."""
from __future__ import annotations

import re
from pathlib import Path

from caseflow.workflow import spec

TITLES = {"case": "案件", "assignment": "承办单位（每个单位一份）", "disclosure": "公开"}


def mermaid(body: str, machine: str) -> str:
    part = spec.load(body)[machine]
    lines = ["stateDiagram-v2", f"    [*] --> {part['initial']}"]
    lines += [f"    {state}: {state} {label}" for state, label in part["states"].items()]
    for t in part["transitions"]:
        sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
        who = "、".join(t["roles"])
        for source in sources:
            lines.append(f"    {source} --> {t['dest']}: {t.get('label', t['name'])} ({who})")
    return "\n".join(lines) + "\n"


def markdown(body: str) -> str:
    """All three machines of a body as fenced mermaid blocks."""
    blocks = [f"### {spec.load(body)['label']} — {TITLES[m]}\n\n```mermaid\n{mermaid(body, m)}```\n"
              for m in spec.MACHINES]
    return "\n".join(blocks)


README_BLOCK = re.compile(r"(<!-- workflow-diagrams:start -->\n).*(<!-- workflow-diagrams:end -->)", re.S)


def readme_section() -> str:
    return "\n".join(markdown(b) for b in spec.BODIES)


def update_readme(path: Path) -> None:
    """Rewrite the diagrams between the README's workflow-diagrams markers."""
    text = path.read_text(encoding="utf-8")
    path.write_text(README_BLOCK.sub(lambda m: m.group(1) + readme_section() + m.group(2), text), encoding="utf-8")
