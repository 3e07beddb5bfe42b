"""Blueprints and the app-wide web wiring (login, errors, security headers)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, render_template, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.routing import IntegerConverter

from caseflow import redaction
from caseflow.api.core import is_api_request, problem
from caseflow.errors import ServiceError
from caseflow.extensions import db, login_manager
from caseflow.models import User
from caseflow.models.base import BODY_SHORT_LABELS
from caseflow.models.case import CONSENT_LABELS
from caseflow.models.feedback import FOLLOW_UP_STAGE_LABELS, SATISFACTION_LABELS
from caseflow.services import login_sessions
from caseflow.services.admin import YEARS
from caseflow.services.login_sessions import SESSION_TOKEN
from caseflow.web.forms import MAX_INT
from caseflow.workflow import engine, spec


class BoundedInt(IntegerConverter):
    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_INT, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)


class Year(IntegerConverter):
    """``<year:year>``: a year the system keeps (admin.YEARS); any other number is a 404."""

    def __init__(self, url_map):
        super().__init__(url_map, min=YEARS[0], max=YEARS[-1])


ERROR_TITLES = {
    400: _l("请求有误"),
    403: _l("没有权限"),
    404: _l("页面不存在"),
    409: _l("内容已被他人修改"),
    413: _l("上传文件过大"),
    500: _l("系统错误"),
}

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def register_web(app: Flask) -> None:
    from flask_babel import get_locale

    from caseflow.web import admin, auth, cases, dashboard, jobs, proposer, public, reports, spreadsheets, tokens
    from caseflow.web.nav import nav_items

    # every <int:…> in a URL stops at the database's INTEGER: a larger number is a 404, not a 500
    app.url_map.converters["int"] = BoundedInt
    app.url_map.converters["year"] = Year
    app.register_blueprint(auth.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(spreadsheets.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(jobs.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(proposer.bp)
    app.register_blueprint(tokens.bp)
    app.add_template_global(nav_items)
    app.add_template_global(lambda page: engine.page_allowed(current_user, page), "may_open")
    app.add_template_global(get_locale)
    app.jinja_env.globals.update(consent_labels=CONSENT_LABELS, satisfaction_labels=SATISFACTION_LABELS,
                                 follow_up_labels=FOLLOW_UP_STAGE_LABELS, body_short_labels=BODY_SHORT_LABELS)
    app.add_template_filter(redaction.marked, "redaction_marks")
    app.add_template_filter(lambda state, body: spec.state_label(body, "disclosure", state), "disclosure_label")

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"  # a msgid: translated when flashed
    login_manager.localize_callback = _
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # the signed cookie is not enough: its server-side session must still be open
        return login_sessions.user_for(user_id, session.get(SESSION_TOKEN))

    def render_error(status: int, message: str | None = None):
        if is_api_request():  # an /api/v1 address no view answered: problem details, not a page
            return problem(status, message)
        return (
            render_template("errors/error.html", status=status, title=ERROR_TITLES.get(status, _("出错了")),
                            message=message, back=_way_back()),
            status,
        )

    def _way_back() -> str | None:
        """The page the user came from on this site (to try again, the browser keeps what was typed)."""
        referrer = urlsplit(request.referrer or "")
        if referrer.netloc != request.host or (referrer.path == request.path and request.method == "GET"):
            return None
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")

    for status in ERROR_TITLES:
        app.register_error_handler(status, lambda e, s=status: render_error(s))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(400, _("表单已过期或来源无效，请刷新页面后重新提交。"))

    @app.errorhandler(ServiceError)
    def service_error(e: ServiceError):
        db.session.rollback()
        return render_error(e.status, e.message)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
