"""What the 公开 check refuses in a text to be published: contact data and identity numbers.

``find(text)`` lists every match (what it is, where, the matched text); the redaction guard
refuses the text when there is one, and the publish form shows the text with each match
highlighted (``marked``). The patterns are tuned on the texts offices write: a 文号 like
长府办〔2023〕12号, a date (20230101, 2023-01-01), an amount (3500万元) is not a phone number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

_NOT_AMOUNT = r"(?!\s*(?:元|万|亿|个|人|户|米|平方|吨|公里|千米|次|件|份|%|％))"
_D = r"(?<![0-9A-Za-z])"  # no digit or letter just before
_END = r"(?![0-9A-Za-z])"

# (label, pattern, check of the matched text) in the order they are tried; a text span is
# claimed by the first pattern that matches it
PATTERNS: list[tuple[str, re.Pattern, object]] = [
    ("电子邮箱", re.compile(r"[A-Za-z0-9._%+\-]+\s*[@＠]\s*[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"), None),
    ("身份证号码", re.compile(_D + r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _END),
     None),
    ("银行卡号", re.compile(_D + r"(?:\d[ \-]?){15,18}\d" + _END), "luhn"),
    ("QQ号", re.compile(r"(?:QQ|qq|ＱＱ|扣扣)\s*(?:号码|号)?\s*[:：]?\s*[1-9]\d{4,11}" + _END), None),
    ("微信号", re.compile(r"(?:微信|weixin|WeChat|wechat|VX|vx|wx)\s*(?:号码|号|ID|id)?\s*[:：]?\s*"
                          r"[A-Za-z][-_A-Za-z0-9]{5,19}" + _END), None),
    ("手机号码", re.compile(r"(?<![0-9])(?:\+?86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d{4}){2}(?![0-9])"), None),
    ("固定电话", re.compile(r"(?<![0-9])(?:[(（]0\d{2,3}[)）]\s*|0\d{2,3}[\s\-－]?)[2-9]\d{6,7}(?![0-9])"
                            r"|(?<![0-9\-〔［\[(（年])(?!19|20)[2-8]\d{7}(?![0-9])" + _NOT_AMOUNT), None),
    ("门牌地址", re.compile(r"(?:家住|住址|地址|居住在|住在|位于|住|在)?[：:]?\s*(?P<at>[\u4e00-\u9fa5]{1,12}(?:路|街|大道|巷|弄|胡同)\s*\d+(?:[\-－]\d+)?\s*[号弄]"
                            r"(?:\s*\d+\s*(?:号楼|栋|幢))?(?:\s*\d+\s*室)?"
                            r"|\d+\s*(?:号楼|栋|幢)\s*(?:\d+\s*单元)?\s*\d+\s*室)"), None),
]


@dataclass(frozen=True)
class Finding:
    label: str
    start: int
    end: int
    text: str


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _passes(check, matched: str) -> bool:
    if check == "luhn":
        digits = re.sub(r"\D", "", matched)
        return 16 <= len(digits) <= 19 and luhn(digits)
    return True


def find(text: str) -> list[Finding]:
    """Every contact datum or identity number in ``text``, in the order they appear."""
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for label, pattern, check in PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span("at") if "at" in pattern.groupindex else m.span()  # without a leading 住/位于
            if _passes(check, m.group()) and not any(start < e and s < end for s, e in taken):
                found.append(Finding(label, start, end, text[start:end]))
                taken.append((start, end))
    return sorted(found, key=lambda f: f.start)


def marked(text: str) -> Markup:
    """``text`` (escaped) with every finding wrapped in <mark title="label">."""
    out, at = [], 0
    for f in find(text):
        out += [escape(text[at:f.start]), Markup('<mark title="{}">{}</mark>').format(f.label, text[f.start:f.end])]
        at = f.end
    out.append(escape(text[at:]))
    return Markup("").join(out)
