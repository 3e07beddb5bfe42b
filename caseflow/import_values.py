"""Values as offices write them in a 交办清单: one table of accepted words per coded column.

The tables are the single source of what the importer accepts, of the words its row errors
name, and of the template's 填写说明 sheet. Words are compared after ``word_key``: full-width
to half-width, no spaces or line breaks, lower case (“ 同意 全文公开\\n” = “同意全文公开”).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from caseflow.models.proposer import PROPOSER_TYPE_LABELS

NAME_SEPARATORS = re.compile(r"[、，,；;／/|\n\r]+")
SPACES = re.compile(r"\s+")
CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
SPACE_BETWEEN_CJK = re.compile(f"(?<=[{CJK}]) (?=[{CJK}])")
HEADCOUNT = re.compile(r"等\s*\d+\s*[人位名].*$")  # “张三等5人”


def word_key(value: Any) -> str:
    """A cell reduced for comparing with the words of a table."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    return SPACES.sub("", unicodedata.normalize("NFKC", str(value))).lower() if value is not None else ""


@dataclass(frozen=True)
class Meaning:
    value: Any  # what is stored
    label: str  # how the instructions name it
    words: tuple[str, ...]  # the accepted words, the usual ones first
    shown: int  # how many of them an error message names


@dataclass(frozen=True)
class Vocabulary:
    """The words of one coded column."""

    column: str
    meanings: tuple[Meaning, ...]
    empty: Any  # the value of an empty cell
    empty_label: str
    hint: str = ""  # what an error message names, when not the first words of each meaning

    def lookup(self, cell: Any) -> tuple[bool, Any]:
        """(True, value) for a known word or an empty cell, (False, None) otherwise."""
        key = word_key(cell)
        if not key:
            return True, self.empty
        value = self._index.get(key, _UNKNOWN)
        return (False, None) if value is _UNKNOWN else (True, value)

    @cached_property
    def _index(self) -> dict[str, Any]:
        return {word_key(w): m.value for m in self.meanings for w in m.words}

    def unknown(self, cell: Any) -> str:
        """The row error for a word not in the table, naming the accepted ones."""
        choices = self.hint or "；".join(" / ".join(m.words[:m.shown]) for m in self.meanings)
        return f"{self.column}“{str(cell).strip()}”无法识别，可填：{choices}（{self.empty_label}）"


_UNKNOWN = object()
YES_MARKS = ("√", "✓", "✔", "☑", "v")
NO_MARKS = ("×", "✗", "✘", "✕", "x")

CONSENT = Vocabulary("公开意愿", (
    Meaning("full", "同意全文公开", ("同意公开", "同意全文公开", "全文公开", "公开", "是", *YES_MARKS,
                                "同意", "全文", "可以公开", "同意全部公开", "y", "yes"), 6),
    Meaning("title_only", "仅公开标题", ("仅公开标题", "部分公开", "摘要公开", "仅标题", "标题", "只公开标题",
                                    "仅公开题目", "公开标题", "公开摘要"), 3),
    Meaning("none", "不同意公开", ("不同意公开", "不公开", "否", *NO_MARKS, "不同意", "不予公开", "n", "no"), 4),
), empty="full", empty_label="留空视为同意全文公开")

KEY_CASE = Vocabulary("重点督办", (
    Meaning(True, "重点督办", ("是", *YES_MARKS, "1", "重点", "重点督办", "y", "yes", "true"), 5),
    Meaning(False, "非重点督办", ("否", *NO_MARKS, "0", "非重点", "一般", "n", "no", "false"), 5),
), empty=False, empty_label="留空视为否")



def _kinds() -> tuple[Meaning, ...]:
    """提案/建议类型: the body (checked against the session), the proposer's type, or both."""
    meanings = [
        Meaning(("npc_suggestion", None), "人大代表建议", ("人大代表建议", "人大建议", "代表建议", "建议", "人大",
                                                      "大会建议", "闭会建议", "闭会期间建议"), 1),
        Meaning(("cppcc_proposal", None), "政协提案", ("政协提案", "提案", "委员提案", "政协", "集体提案"), 1),
    ]
    for kind in PROPOSER_TYPE_LABELS:  # the words of the (Chinese) spreadsheet, whatever the UI language
        label = PROPOSER_TYPE_LABELS.chinese(kind)
        meanings += [Meaning((None, kind), label, (label,), 1),
                     Meaning(("cppcc_proposal", kind), f"{label}提案", (f"{label}提案",), 1),
                     Meaning(("npc_suggestion", kind), f"{label}建议", (f"{label}建议",), 1)]
    return tuple(meanings)


KIND = Vocabulary("提案/建议类型", _kinds(), empty=(None, None), empty_label="留空视为所选届次的类型",
                  hint="人大代表建议 / 政协提案，或提出方式 "
                       + " / ".join(map(PROPOSER_TYPE_LABELS.chinese, PROPOSER_TYPE_LABELS)) + "（可加“提案”“建议”，如 党派提案）")

VOCABULARIES = {"kind": KIND, "key_case": KEY_CASE, "consent": CONSENT}


def clean_text(value: Any) -> str:
    """A title as typed, without stray spaces and line breaks (kept between Latin words only)."""
    if value is None:
        return ""
    return SPACE_BETWEEN_CJK.sub("", SPACES.sub(" ", str(value)).strip())


def name_key(name: str) -> str:
    """A person's or a unit's name for lookups: half-width, without spaces (“王　伟” = “王伟”)."""
    return word_key(name).upper() if name else ""


def split_names(value: Any, known: dict[str, Any] | None = None) -> list[str]:
    """The names in a list cell: separated by 、，,；;/| or line breaks, or by spaces when every
    part is a name of two characters or more (“王　伟” is one padded name, “张三 李四” two).
    With ``known`` (name_key → row), a part that is a known name as a whole is never split."""
    names = []
    for part in NAME_SEPARATORS.split(str(value) if value is not None else ""):
        part = part.strip()
        if not part:
            continue
        pieces = SPACES.split(part)
        joined = "".join(pieces)
        if len(pieces) == 1 or (known is not None and name_key(joined) in known) \
                or any(len(p) < 2 for p in pieces):
            names.append(joined)
        else:
            names.extend(pieces)
    return names


def lead_and_cosigners(lead_cell: Any, cosigner_cell: Any) -> tuple[str, list[str]]:
    """领衔 may hold several names (the first leads) and a “等5人” note; 联名 adds the rest."""
    lead_names = split_names(HEADCOUNT.sub("", str(lead_cell)) if lead_cell is not None else "")
    names = list(dict.fromkeys(lead_names + split_names(cosigner_cell)))
    return (names[0], names[1:]) if names and lead_names else ("", names)
