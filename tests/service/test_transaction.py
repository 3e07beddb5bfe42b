"""``services.base.transaction``: a change the database refuses at commit is rolled back whole and
explained to the user — a broken constraint in words next to its field, a row changed meanwhile as
a conflict — and the cases it marked for the statistics are forgotten with it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from caseflow import facts
from caseflow.errors import Conflict, ValidationError
from caseflow.models import Case, Category, User
from caseflow.services.base import transaction


def test_a_constraint_the_database_enforces_is_explained_next_to_its_field(make, db):
    taken = make.user("dispatcher")
    with pytest.raises(ValidationError) as refused:
        with transaction():
            db.session.add(User(username=taken.username, name="同名者", role="dispatcher", password_hash="x"))
    assert (refused.value.message, refused.value.field) == ("用户名已存在。", "username")
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == taken.username)) == 1


def test_a_constraint_without_its_own_words_gets_the_general_message(make, db):
    category = make.category(name="城市建设")
    with pytest.raises(ValidationError) as refused:
        with transaction():
            db.session.add(Category(body=category.body, year=category.year, name="城市建设"))
    assert (refused.value.message, refused.value.field) == ("数据不符合约束，未保存。", None)
    assert db.session.scalar(select(func.count()).select_from(Category)) == 1


def test_a_row_changed_by_someone_else_meanwhile_is_a_conflict_and_nothing_is_kept(make, db):
    case = make.case(title="原标题")
    other = make.case(title="另一件")
    # another request saves the case after this one loaded it (the identity map keeps the old version)
    db.session.execute(update(Case).where(Case.id == case.id).values(version=Case.version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(Conflict, match="已被他人修改"):
        with transaction():
            other.title = "也改了"
            case.title = "新标题"
    db.session.expire_all()
    assert (db.session.get(Case, case.id).title, db.session.get(Case, other.id).title) == ("原标题", "另一件")


def test_a_refused_change_forgets_the_cases_it_marked(make, db):
    case = make.case()
    with pytest.raises(ValidationError):
        with transaction():
            facts.mark(case)
            raise ValidationError("不行")
    assert facts.DIRTY not in db.session.info  # the next transaction does not refresh this one's cases
