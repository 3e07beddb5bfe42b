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
from caseflow.workflow import engine

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired("请填写用户名。"), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired("请填写密码。"), Length(max=200)])


def safe_next(target: str | None) -> str:
    """Only same-site relative paths, never an open redirect; by default the user's landing page."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return landing()


def landing() -> str:
    """Where a user starts: a unit's people from their 待办, everyone else from the case list."""
    return url_for("cases.inbox" if engine.page_allowed(current_user, "inbox") else "cases.index")


def _fresh_session() -> None:
    """A new session at login and logout (no fixation); only the chosen language survives."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(landing())
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
            return redirect(safe_next(request.args.get("next")))
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
    return redirect(safe_next(request.form.get("next")))


@bp.route("/")
def root():
    return redirect(landing() if current_user.is_authenticated else url_for("auth.login"))
