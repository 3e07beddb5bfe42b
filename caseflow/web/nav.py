"""The navigation bar: the pages and the case-creating actions the rule book lets the user open."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseflow.workflow import engine

# (endpoint, label, the rule book's page or action that opens it)
ITEMS = [
    ("cases.inbox", _l("待办"), "inbox"),
    ("cases.index", _l("案件列表"), "case_list"),
    ("cases.register_start", _l("登记"), "action:register"),
    ("sheets.import_cases", _l("导入"), "import_cases"),
    ("dashboard.index", _l("督办看板"), "dashboard"),
    ("reports.index", _l("年度总结"), "reports"),
    ("public.index", _l("办理结果公开"), "public_portal"),
    ("personal.links", _l("代表委员链接"), "proposer_links"),
    ("admin.users", _l("系统管理"), "administration"),
]


def opens(user, what: str) -> bool:
    if what.startswith("action:"):
        return engine.may_take(user, what.removeprefix("action:"))
    return engine.page_allowed(user, what)


def nav_items() -> list[tuple[str, str]]:
    return [(endpoint, str(label)) for endpoint, label, what in ITEMS if opens(current_user, what)]
