"""Mermaid state diagrams generated from the workflow YAML (never drawn by hand)."""
from __future__ import annotations

import re
from pathlib import Path

from caseflow.workflow import spec
from caseflow.workflow.schema import destinations

TITLES = {"case": "案件", "assignment": "承办单位（每个单位一份）", "disclosure": "公开"}


def mermaid(body: str, machine: str) -> str:
    """The machine's states and every action that moves it (``to``), with who takes it."""
    part = spec.load(body)[machine]
    lines = ["stateDiagram-v2", f"    [*] --> {part['initial']}"]
    lines += [f"    {state}: {state} {label}" for state, label in part["states"].items()]
    for a in spec.actions(body).values():
        who = "、".join(a["roles"])
        for dest in destinations((a.get("to") or {}).get(machine)):
            for source in a["states"][machine]:
                lines.append(f"    {source} --> {dest}: {a['label']} ({who})")
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
