"""Web tests: the English catalog is compiled once per run (the .mo is built, never committed)."""
from __future__ import annotations

import os

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from caseflow.config import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "caseflow" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="session", autouse=True)
def english_catalog():
    """Compile messages.po into messages.mo when it is missing or older (atomic: xdist workers race)."""
    mo = CATALOG.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < CATALOG.stat().st_mtime:
        with CATALOG.open("rb") as po:
            catalog = read_po(po)
        partial = mo.with_name(f"messages.{os.getpid()}.tmp")
        with partial.open("wb") as out:
            write_mo(out, catalog)
        os.replace(partial, mo)
