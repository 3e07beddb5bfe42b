from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from caseflow.errors import ValidationError
from caseflow.services.users import authenticate

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired("请填写用户名。"), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired("请填写密码。"), Length(max=200)])


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("cases.index")


def _fresh_session() -> None:
    """A new session at login and logout (no fixation); only the chosen language survives."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("cases.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except ValidationError as e:
            form[e.field or "password"].errors.append(e.message)
        else:
            _fresh_session()
            session.permanent = True
            login_user(user)
            flash(_("欢迎，%(name)s。", name=user.name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    _fresh_session()
    flash(_("已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    """Switch the UI language (Chinese by default; an English catalog exists)."""
    lang = request.form.get("lang")
    if lang in ("zh_CN", "en"):
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/")
def root():
    return redirect(url_for("cases.index" if current_user.is_authenticated else "auth.login"))
