"""Translation of the texts that are not literals in a template or a ``_()`` call: the rule book's
labels and messages (workflows/*.yaml), and the ``{code: label}`` dicts of the models.

Msgids are the Chinese texts. Everything here translates at use time into the language of the
request; outside a request (the CLI, the scheduler, background jobs) a text stays Chinese.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import wraps

import yaml
from flask_babel import force_locale, gettext

CJK = re.compile(r"[\u3400-\u9fff]")


def N_(message: str) -> str:  # noqa: N802 (Babel's default keyword for "extract, translate later")
    """Marks a literal for the catalog; :func:`translate` or :class:`Labels` translate it when read."""
    return message


def translate(message: str, **variables) -> str:
    """``message`` in the request's language (the msgid itself outside a request)."""
    return gettext(message, **variables) if message else message


def join(items) -> str:
    """An enumeration: 甲、乙 in Chinese, "A, B" in English."""
    return gettext("、").join(items)


def in_chinese(fn: Callable) -> Callable:
    """``fn`` runs in Chinese whatever the UI language: the documents (PDF letters and reports,
    spreadsheets) are the office's Chinese papers, an English-speaking user gets the same file."""

    @wraps(fn)
    def chinese(*args, **kwargs):
        with force_locale("zh_CN"):
            return fn(*args, **kwargs)

    return chinese


def aside(text, note) -> str:
    """「名称（说明）」: a note in brackets after a text, in the brackets of the language."""
    return gettext("%(text)s（%(note)s）", text=text, note=note)


class Labels(dict):
    """``{code: Chinese label}``; a label read through it is in the request's language.

    Keys, ``in`` and iteration are the codes as in a dict; :meth:`chinese` is the stored word
    (what data, the import vocabulary and the Chinese documents use)."""

    def __getitem__(self, code):
        return translate(super().__getitem__(code))

    def get(self, code, default=None):
        return self[code] if code in self else default

    def values(self):
        return [self[code] for code in self]

    def items(self):
        return [(code, self[code]) for code in self]

    def chinese(self, code) -> str:
        return super().__getitem__(code)


def extract_yaml(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, None, str, list]]:
    """Babel extractor (babel.cfg): every scalar value of a workflow file that holds Chinese."""
    node = yaml.compose(fileobj.read().decode("utf-8"), Loader=yaml.SafeLoader)
    stack = [node] if node is not None else []
    found = []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            stack.extend(value for _, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.ScalarNode) and CJK.search(node.value):
            found.append((node.start_mark.line + 1, None, node.value, []))
    yield from sorted(found)
