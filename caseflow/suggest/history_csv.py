"""Reading the evaluation files: past assignments (cixi_2017_routing.csv) and 并案 groups.

Both are UTF-8 CSV with a header row (a BOM is accepted); extra columns are ignored. A file
with a missing column or a bad row is refused whole, with every bad row's number and reason.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from caseflow.suggest.model import Item
from caseflow.suggest.text import normalize, split_units, unit_key

ROUTING_COLUMNS = ("title", "lead_units")  # optional: category, text, co_units, body, number
GROUP_COLUMNS = ("title", "bingan_group")  # optional: category, first_review, registration_no, number

# 初审 values of proposals the clerks took up; 不予立案 and unreviewed rows were never merge candidates
REVIEWED = ("立案", "并案")


class CsvError(ValueError):
    """A file that cannot be evaluated; the message lists what is wrong, in Chinese."""


@dataclass(frozen=True)
class GroupRow:
    item: Item
    group: str  # "" when the proposal was merged with nothing
    reviewed: bool  # 立案 or 并案 at 初审 (True when the file has no first_review column)


def _rows(path: str | Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [normalize(h) for h in reader.fieldnames or []]
            missing = [c for c in required if c not in header]
            if missing:
                raise CsvError(f"{path}：缺少列 {'、'.join(missing)}（第1行应为列名）。")
            reader.fieldnames = header
            return [(n, {k: v or "" for k, v in row.items() if k}) for n, row in enumerate(reader, start=2)]
    except UnicodeDecodeError as e:
        raise CsvError(f"{path}：不是 UTF-8 编码的 CSV 文件。") from e
    except csv.Error as e:
        raise CsvError(f"{path}：CSV 格式错误（{e}）。") from e


def _refuse(path, problems: list[str]) -> None:
    if problems:
        shown = problems[:20] + ([f"……另有 {len(problems) - 20} 行有误"] if len(problems) > 20 else [])
        raise CsvError(f"{path}：{len(problems)} 行有误，未评估：\n" + "\n".join(shown))


def read_routing(path: str | Path) -> list[Item]:
    """Past cases with their lead units (labels: unit names, width and spaces normalised)."""
    items, problems = [], []
    for n, row in _rows(path, ROUTING_COLUMNS):
        title, leads = normalize(row["title"]), split_units(row["lead_units"])
        if not title:
            problems.append(f"第{n}行：标题为空。")
        if not leads:
            problems.append(f"第{n}行：主办单位为空。")
        if title and leads:
            items.append(Item(
                title=title, category=row.get("category", ""), text=row.get("text", ""),
                body=normalize(row.get("body", "")), leads=tuple(unit_key(u) for u in leads),
                cos=tuple(unit_key(u) for u in split_units(row.get("co_units", "")) if unit_key(u) not in leads),
                ref=normalize(row.get("number", "")) or n))
    _refuse(path, problems)
    if len(items) < 10:
        raise CsvError(f"{path}：只有 {len(items)} 件，至少需要 10 件才能交叉验证。")
    return items


def read_groups(path: str | Path) -> list[GroupRow]:
    """Proposals of one session with their 并案 group (the primary's registration number)."""
    rows, problems = [], []
    parsed = _rows(path, GROUP_COLUMNS)
    has_review = any("first_review" in row for _, row in parsed)
    for n, row in parsed:
        title = normalize(row["title"])
        if not title:
            problems.append(f"第{n}行：标题为空。")
            continue
        ref = normalize(row.get("registration_no", "")) or normalize(row.get("number", "")) or n
        rows.append(GroupRow(
            item=Item(title=title, category=row.get("category", ""), body=normalize(row.get("body", "")), ref=ref),
            group=normalize(row["bingan_group"]),
            reviewed=not has_review or normalize(row.get("first_review", "")) in REVIEWED))
    _refuse(path, problems)
    if sum(1 for r in rows if r.group) < 2:
        raise CsvError(f"{path}：没有并案组（bingan_group 列为空）。")
    return rows
