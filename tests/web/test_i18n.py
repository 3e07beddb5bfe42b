"""The English catalog: the language switch, and a catalog that translates every message of the sources."""
from __future__ import annotations

import re

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from caseflow.config import PROJECT_ROOT
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.web.conftest import CATALOG

UPDATE = ("PYTHONPATH=. pybabel extract -F babel.cfg -k _l -o caseflow/translations/messages.pot . && "
          "pybabel update -i caseflow/translations/messages.pot -d caseflow/translations, then translate")


def switch(client, lang: str, next_url: str):
    token = csrf_token(client.get(next_url).get_data(as_text=True))
    return client.post("/language", data={"lang": lang, "next": next_url, "csrf_token": token})


def test_switching_to_english_and_back(client, make):
    assert "用户名" in client.get("/login").get_data(as_text=True)
    r = switch(client, "en", "/login")
    assert r.status_code == 302 and r.location.endswith("/login")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Username" in html and "Password" in html and ">Log in<" in html
    assert "用户名" not in html and "中文" in html  # the switch now offers Chinese

    user = make.user("dispatcher")
    token = csrf_token(html)
    client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    html = client.get("/cases/").get_data(as_text=True)  # the language survives the login
    nav = re.search(r"<nav>(.*?)</nav>", html, re.S).group(1)
    for label in ("Cases", "Register", "Import", "Published replies", "Proposer links"):
        assert f">{label}</a>" in nav
    assert "案件列表" not in nav

    switch(client, "zh_CN", "/cases/")
    nav = re.search(r"<nav>(.*?)</nav>", client.get("/cases/").get_data(as_text=True), re.S).group(1)
    assert ">案件列表</a>" in nav and "Cases" not in nav


def test_an_unknown_language_is_ignored(client):
    switch(client, "fr", "/login")
    assert "用户名" in client.get("/login").get_data(as_text=True)


def _catalog():
    with CATALOG.open("rb") as f:
        return read_po(f)


def test_every_message_is_translated():
    for message in _catalog():
        if not message.id:
            continue
        assert message.string and "fuzzy" not in message.flags, f"untranslated: {message.id}"
        placeholders = set(re.findall(r"%\(\w+\)s", message.id))
        assert set(re.findall(r"%\(\w+\)s", message.string)) == placeholders, message.id


def test_the_catalog_covers_every_message_of_the_sources():
    with (PROJECT_ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    in_sources = {message for _, _, message, _, _ in extract_from_dir(PROJECT_ROOT, method_map, options_map, keywords)}
    catalog = {m.id for m in _catalog() if m.id}
    missing = sorted(in_sources - catalog)
    assert not missing, f"messages missing from the English catalog (run {UPDATE}): {missing}"

