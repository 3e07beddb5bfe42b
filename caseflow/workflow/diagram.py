"""Mermaid state diagrams generated from the workflow YAML (never drawn by hand)."""
from __future__ import annotations

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
