"""Chinese text as the models see it: one width, no stray spaces, no boilerplate around a title.

NFKC folds full-width letters, digits and punctuation to their half-width forms (（）→ (),
２０２３ → 2023, ＡＢ → AB) and the ideographic space to a space; every kind of whitespace
(spaces, line breaks, tabs, zero-width and non-breaking spaces) is then removed, since Chinese
has no word spaces and the titles in real lists carry them only by accident.
"""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
# the frame every title shares (关于……的建议 / 的提案 / 的几点建议); it says nothing about the subject
_LEADING = re.compile(r"^(关于|对于|对)")
_TRAILING = re.compile(r"的?(几点|若干|一些)?(对策)?(建议|提案|意见|提议)(书)?$")
_FILE_SUFFIX = re.compile(r"\.(docx?|pdf|wps)$", re.IGNORECASE)
# separators of a unit list; 、 inside brackets belongs to the name: 市委统战部（侨办、台办）
_UNIT_SEPARATORS = "、,;，；"


def normalize(text: str | None) -> str:
    """Half-width, no whitespace: the form every comparison uses."""
    if not text:
        return ""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def subject(title: str | None) -> str:
    """The title without 关于 … 的建议, a pasted file extension or punctuation.

    Punctuation goes because submitters differ in it (停车难 / “停车难” / 《停车难》) while the
    subject is the same.
    """
    t = _FILE_SUFFIX.sub("", normalize(title))
    t = _TRAILING.sub("", _LEADING.sub("", t)) or t
    return "".join(ch for ch in t if not unicodedata.category(ch).startswith("P")) or t


def unit_key(name: str | None) -> str:
    """A unit name as compared: 市农合联执委会（市供销社) and 市农合联执委会(市供销社) are one unit."""
    return normalize(name)


def unit_core(name: str) -> str:
    """The part of a unit name that says what it handles: 市卫生和计划生育局 → 卫生和计划生育局."""
    key = unit_key(name)
    return re.sub(r"^(市|区|县)", "", key) or key


def split_units(text: str | None) -> list[str]:
    """``市交通运输局、市委统战部（侨办、台办）`` → both names; separators inside brackets are kept."""
    names, current, depth = [], [], 0
    for ch in normalize(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch in _UNIT_SEPARATORS and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(ch)
    names.append("".join(current))
    return [n for n in names if n]
