"""API tokens of one account: listed, made (the secret shown once, on this answer only) and revoked
by the account's owner or an administrator (the service decides who)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from caseflow.errors import ServiceError
from caseflow.extensions import db
from caseflow.models import User
from caseflow.services import api_tokens
from caseflow.web.forms import ChineseIntegerField, attach_error

bp = Blueprint("tokens", __name__)


class TokenForm(FlaskForm):
    name = StringField(_l("名称（用在哪个系统）"), validators=[DataRequired("请填写令牌名称。"), Length(max=50)])
    expires_days = ChineseIntegerField(_l("有效天数（留空为长期有效）"), validators=[
        Optional(), NumberRange(min=1, max=api_tokens.MAX_EXPIRY_DAYS, message="有效天数应在 1 到 3650 之间。")])


@bp.route("/account")
@login_required
def account():
    return redirect(url_for(".tokens", user_id=current_user.id))


@bp.route("/users/<int:user_id>/api-tokens", methods=["GET", "POST"])
@login_required
def tokens(user_id: int):
    owner = db.session.get(User, user_id)
    try:
        rows = api_tokens.tokens_of(current_user, user_id)
    except ServiceError:
        rows = None
    if owner is None or rows is None:
        abort(404)  # another person's tokens: as if there were no such page
    form, secret, status = TokenForm(), None, 200
    if form.validate_on_submit():
        try:
            _token, secret = api_tokens.create_token(current_user, user_id, form.name.data, form.expires_days.data)
        except ServiceError as e:
            attach_error(form, e)
        else:
            rows = api_tokens.tokens_of(current_user, user_id)
            form = TokenForm(formdata=None)
    if form.errors:
        status = 422
    return render_template("auth/tokens.html", owner=owner, rows=rows, form=form, secret=secret,
                           revoke=FlaskForm()), status


@bp.post("/users/<int:user_id>/api-tokens/<int:token_id>/revoke")
@login_required
def revoke(user_id: int, token_id: int):
    try:
        api_tokens.revoke_token(current_user, token_id)
    except ServiceError as e:
        flash(e.message, "danger")
    else:
        flash("令牌已吊销，使用它的请求将被拒绝。", "success")
    return redirect(url_for(".tokens", user_id=user_id))
