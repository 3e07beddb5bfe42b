"""The navigation bar: which pages each role works with."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

# (endpoint, label, roles that see it)
ITEMS = [
    ("cases.inbox", _l("待办"), ("handler", "unit_leader")),
    ("cases.index", _l("案件列表"), ("admin", "dispatcher", "supervisor", "handler", "unit_leader", "proposer")),
    ("cases.register", _l("登记"), ("dispatcher",)),
    ("sheets.import_cases", _l("导入"), ("dispatcher",)),
    ("dashboard.index", _l("督办看板"), ("admin", "dispatcher", "supervisor", "handler", "unit_leader")),
    ("reports.index", _l("年度总结"), ("admin", "dispatcher", "supervisor", "handler", "unit_leader")),
    ("public.index", _l("办理结果公开"), ("admin", "dispatcher", "supervisor", "handler", "unit_leader", "proposer")),
    ("proposer.links", _l("代表委员链接"), ("admin", "dispatcher")),
    ("admin.users", _l("系统管理"), ("admin",)),
]


def nav_items() -> list[tuple[str, str]]:
    return [(endpoint, str(label)) for endpoint, label, roles in ITEMS if current_user.role in roles]
