"""The year-end reports' drafts in the service: who writes which, the limits of what is written, and
a writer who saw another version (or none where one exists, or one where none exists) saves nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from caseflow.errors import Conflict, PermissionDenied, ValidationError
from caseflow.models import ReportDraft
from caseflow.services.report_drafts import (
    MAX_SECTION, DistrictNarrative, FeaturedCase, UnitNarrative, save_district_draft, save_unit_draft,
)

HANDLED = {("cppcc_proposal", 7)}


def drafts(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ReportDraft))


def test_a_unit_writes_its_own_summary_only_with_its_own_cases(make, db):
    unit = make.unit()
    handler, stranger = make.user("handler", unit=unit), make.user("handler")
    with pytest.raises(PermissionDenied, match="只有本单位的经办人或负责人"):
        save_unit_draft(stranger, unit.id, 2025, UnitNarrative(measures="冒名"), None, HANDLED)
    with pytest.raises(PermissionDenied):
        save_unit_draft(make.user("dispatcher"), unit.id, 2025, UnitNarrative(measures="代写"), None, HANDLED)
    with pytest.raises(ValidationError, match="第8号不是本单位本年度承办的件") as refused:
        save_unit_draft(handler, unit.id, 2025, UnitNarrative(featured=[
            FeaturedCase(7, "cppcc_proposal"), FeaturedCase(8, "cppcc_proposal")]), None, HANDLED)
    assert refused.value.field == "featured" and drafts(db) == 0
    draft = save_unit_draft(handler, unit.id, 2025, UnitNarrative(featured=[FeaturedCase(7, "cppcc_proposal", "好")]),
                            None, HANDLED)
    assert (draft.kind, draft.unit_id, draft.sections["featured"]) == (
        "unit", unit.id, [{"number": 7, "body": "cppcc_proposal", "text": "好"}])


def test_each_section_and_the_issuer_have_a_limit(make, db):
    dispatcher, handler = make.user("dispatcher"), make.user("handler")
    with pytest.raises(ValidationError, match="每部分最多 20000 字") as refused:
        save_unit_draft(handler, handler.unit_id, 2025, UnitNarrative(innovation="字" * (MAX_SECTION + 1)), None, set())
    assert refused.value.field == "innovation"
    with pytest.raises(ValidationError, match="落款单位最多 100 字") as refused:
        save_district_draft(dispatcher, 2025, DistrictNarrative(issuer="办" * 101), None)
    assert refused.value.field == "issuer" and drafts(db) == 0
    save_unit_draft(handler, handler.unit_id, 2025, UnitNarrative(innovation="字" * MAX_SECTION), None, set())
    save_district_draft(dispatcher, 2025, DistrictNarrative(issuer="办" * 100), None)
    assert drafts(db) == 2


def test_a_version_that_is_not_the_drafts_saves_nothing(make, db):
    dispatcher = make.user("dispatcher")
    with pytest.raises(Conflict):  # the writer saw a draft that is gone (or never was)
        save_district_draft(dispatcher, 2025, DistrictNarrative(overview="一"), 1)
    assert drafts(db) == 0
    draft = save_district_draft(dispatcher, 2025, DistrictNarrative(overview="一"), None)
    with pytest.raises(Conflict):
        save_district_draft(dispatcher, 2025, DistrictNarrative(overview="旧页面"), draft.version + 1)
    assert draft.sections["overview"] == "一"
    again = save_district_draft(dispatcher, 2025, DistrictNarrative(overview="二"), draft.version)
    assert (again.id, again.sections["overview"]) == (draft.id, "二")
