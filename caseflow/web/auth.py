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
from caseflow.services import login_sessions, security_log
from caseflow.services.login_sessions import SESSION_TOKEN
from caseflow.services import users
from caseflow.workflow import engine

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码。")), Length(max=200)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired("请填写当前密码。"), Length(max=200)])
    password = PasswordField(_l("新密码"), validators=[DataRequired("请填写新密码。"), Length(max=200)],
                             description=_l("至少 8 位；修改后其他设备上的登录全部失效"))
    confirm = PasswordField(_l("再次输入新密码"), validators=[DataRequired("请再次输入新密码。"), Length(max=200)])


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
            user = users.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except ValidationError as e:
            form[e.field or "password"].errors.append(e.message)
        else:
            _fresh_session()
            session.permanent = True
            login_user(user)
            session[SESSION_TOKEN] = login_sessions.start(user, request.remote_addr or "")
            flash(_("欢迎，%(name)s。", name=user.name), "success")
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    security_log.record("logout", user=current_user)
    login_sessions.end(session.get(SESSION_TOKEN))
    logout_user()
    _fresh_session()
    flash(_("已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """The user's own password; every other session of the account ends, this one stays."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            users.change_password(current_user, form.current.data, form.password.data, form.confirm.data,
                                  keep=session.get(SESSION_TOKEN))
        except ValidationError as e:
            form[e.field or "password"].errors.append(e.message)
        else:
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(landing())
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


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
