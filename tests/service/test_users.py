from __future__ import annotations

import pytest
from click.testing import CliRunner

from caseflow.errors import ValidationError
from caseflow.models import User
from caseflow.services.users import create_user


def test_handler_without_unit_is_refused_with_message(db):
    with pytest.raises(ValidationError) as e:
        create_user(username="h1", name="经办人", role="handler", password="long-enough-1")
    assert e.value.field == "unit" and "承办单位" in e.value.message
    assert db.session.query(User).filter_by(username="h1").count() == 0


def test_proposer_account_needs_a_proposer(db):
    with pytest.raises(ValidationError, match="代表或委员"):
        create_user(username="p1", name="委员", role="proposer", password="long-enough-1")


def test_duplicate_username_and_short_password(db, make):
    make.user("dispatcher", username="taken")
    with pytest.raises(ValidationError, match="已存在"):
        create_user(username="taken", name="x", role="dispatcher", password="long-enough-1")
    with pytest.raises(ValidationError, match="至少"):
        create_user(username="fresh", name="x", role="dispatcher", password="short")


def test_create_user_command(app, db, make):
    unit = make.unit("区民政局测试")
    result = CliRunner().invoke(app.cli, ["create-user", "--username", "mz", "--name", "韩雪", "--role", "handler",
                                          "--unit", "区民政局测试", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    assert "已创建用户 mz" in result.output
    assert db.session.query(User).filter_by(username="mz").one().unit_id == unit.id


def test_create_user_command_reports_errors(app, db):
    result = CliRunner().invoke(app.cli, ["create-user", "--username", "mz", "--role", "handler",
                                          "--password", "long-enough-1"])
    assert result.exit_code != 0 and "承办单位" in result.output
