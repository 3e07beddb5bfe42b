"""API tokens in the service: whose tokens one may manage, what a name and a lifetime may be, which
secret still finds its user, and how often a token's use is written down."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from caseflow import clock
from caseflow.errors import NotFound, PermissionDenied, ValidationError
from caseflow.models import ApiToken
from caseflow.services import api_tokens


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ApiToken))


def test_only_the_owner_and_an_administrator_see_and_make_tokens(make, db, frozen_clock):
    owner, other, admin = make.user("handler"), make.user("dispatcher"), make.user("admin")
    frozen_clock(clock.now())
    older, _ = api_tokens.create_token(owner, owner.id, "甲")
    frozen_clock(clock.now() + timedelta(minutes=1))
    newer, _ = api_tokens.create_token(admin, owner.id, "乙")
    assert [t.id for t in api_tokens.tokens_of(owner, owner.id)] == [newer.id, older.id]  # newest first
    assert [t.id for t in api_tokens.tokens_of(admin, owner.id)] == [newer.id, older.id]
    assert api_tokens.tokens_of(other, other.id) == []
    with pytest.raises(PermissionDenied, match="只能查看自己的"):
        api_tokens.tokens_of(other, owner.id)
    with pytest.raises(PermissionDenied, match="只能为自己创建"):
        api_tokens.create_token(other, owner.id, "冒名")
    assert count(db) == 2


@pytest.mark.parametrize("name, days, field", [
    ("   ", None, "name"),
    ("名" * 51, None, "name"),
    ("令牌", 0, "expires_days"),
    ("令牌", api_tokens.MAX_EXPIRY_DAYS + 1, "expires_days"),
])
def test_a_bad_name_or_lifetime_makes_no_token(make, db, name, days, field):
    user = make.user("dispatcher")
    with pytest.raises(ValidationError) as refused:
        api_tokens.create_token(user, user.id, name, days)
    assert refused.value.field == field and count(db) == 0


def test_the_limits_themselves_are_accepted(make, frozen_clock):
    user = make.user("dispatcher")
    frozen_clock(clock.now())
    token, secret = api_tokens.create_token(user, user.id, f" {'名' * 50} ", api_tokens.MAX_EXPIRY_DAYS)
    assert token.name == "名" * 50 and token.hint == secret[:10] and secret.startswith("cf_")
    assert token.expires_at == clock.now() + timedelta(days=api_tokens.MAX_EXPIRY_DAYS)
    assert api_tokens.create_token(user, user.id, "一天", 1)[0].expires_at == clock.now() + timedelta(days=1)
    assert api_tokens.create_token(user, user.id, "不过期")[0].expires_at is None


def test_a_deactivated_account_gets_no_new_token_and_its_tokens_stop_working(make, db):
    admin, user = make.user("admin"), make.user("handler")
    _, secret = api_tokens.create_token(user, user.id, "旧令牌")
    assert api_tokens.user_of(secret) is user
    user.active = False
    db.session.commit()
    with pytest.raises(ValidationError, match="已停用") as refused:
        api_tokens.create_token(admin, user.id, "新令牌")
    assert refused.value.field == "user" and count(db) == 1
    assert api_tokens.user_of(secret) is None


def test_revoking_keeps_the_first_moment_and_hides_others_tokens(make, db, frozen_clock):
    owner, other, admin = make.user("handler"), make.user("handler"), make.user("admin")
    frozen_clock(clock.now())
    token, secret = api_tokens.create_token(owner, owner.id, "令牌")
    with pytest.raises(NotFound):
        api_tokens.revoke_token(other, token.id)  # someone else's token is as unknown as a missing one
    with pytest.raises(NotFound):
        api_tokens.revoke_token(admin, token.id + 1000)
    assert token.revoked_at is None and api_tokens.user_of(secret) is owner
    revoked_at = api_tokens.revoke_token(admin, token.id).revoked_at
    assert revoked_at == clock.now()
    frozen_clock(clock.now() + timedelta(days=1))
    assert api_tokens.revoke_token(owner, token.id).revoked_at == revoked_at
    assert api_tokens.user_of(secret) is None


def test_only_a_known_secret_finds_its_user_and_junk_costs_no_query(make, db):
    user = make.user("dispatcher")
    _, secret = api_tokens.create_token(user, user.id, "令牌")
    assert api_tokens.user_of(secret) is user
    assert api_tokens.user_of(secret + "x") is None                   # unknown: looked up, not found
    sent = []

    def record(_conn, _cursor, statement, *_):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert api_tokens.user_of(secret[3:]) is None                 # without the cf_ prefix
        assert api_tokens.user_of("cf_" + "x" * 98) is None           # longer than any secret (101)
        assert sent == []
        assert api_tokens.user_of("cf_" + "x" * 97) is None           # 100 characters: looked up
        assert len(sent) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_a_tokens_use_is_written_at_most_every_five_minutes(make, frozen_clock):
    user = make.user("dispatcher")
    start = clock.now()
    frozen_clock(start)
    token, secret = api_tokens.create_token(user, user.id, "令牌")
    assert token.last_used_at is None
    api_tokens.user_of(secret)
    assert token.last_used_at == start
    frozen_clock(start + timedelta(minutes=5))
    api_tokens.user_of(secret)
    assert token.last_used_at == start  # five minutes later: not yet written again
    frozen_clock(start + timedelta(minutes=5, seconds=1))
    api_tokens.user_of(secret)
    assert token.last_used_at == start + timedelta(minutes=5, seconds=1)
