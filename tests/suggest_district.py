"""A small district for the 智能交办 tests (service and web): four units and a history of six
assigned cases written here, not read from the shared routing data."""
from __future__ import annotations

from types import SimpleNamespace

HISTORY = (  # title, lead unit, co-units (attribute names of the district)
    ("关于缓解城南停车难问题的建议", "traffic", ()),
    ("关于解决城北停车难问题的建议", "traffic", ("finance",)),
    ("关于新建城东停车场的建议", "traffic", ("finance",)),
    ("关于增加小学学位的建议", "schools", ()),
    ("关于改善学校食堂的建议", "schools", ()),
    ("关于提升社区医院服务的建议", "health", ()),
)


def district(make) -> SimpleNamespace:
    d = SimpleNamespace(dispatcher=make.user("dispatcher"), session=make.session(year=2025))
    d.traffic, d.schools, d.health = make.unit("区交通委"), make.unit("区教育局"), make.unit("区卫健委")
    d.finance = make.unit("区财政局")
    return d


def past(make, d, title, lead, co=()):
    """A case of the district's session assigned to ``lead`` (and ``co``) through the services."""
    return make.assigned_case(d.dispatcher, [lead], co_units=list(co), title=title, session=d.session)


def history(make, d) -> dict:
    """The six past cases, by title."""
    return {title: past(make, d, title, getattr(d, lead), [getattr(d, u) for u in co]) for title, lead, co in HISTORY}
