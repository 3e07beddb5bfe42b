"""Blueprints and the app-wide web wiring (login, errors, security headers)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from caseflow.errors import ServiceError
from caseflow.extensions import db, login_manager
from caseflow.models import User
from caseflow.models.case import CONSENT_LABELS
from caseflow.models.feedback import FOLLOW_UP_STAGE_LABELS, SATISFACTION_LABELS
from caseflow.workflow import engine, spec

ERROR_TITLES = {
    400: "请求有误",
    403: "没有权限",
    404: "页面不存在",
    409: "内容已被他人修改",
    413: "上传文件过大",
    500: "系统错误",
}

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def register_web(app: Flask) -> None:
    from flask_babel import get_locale

    from caseflow.web import admin, auth, cases, dashboard, proposer, public, reports, spreadsheets
    from caseflow.web.nav import nav_items

    app.register_blueprint(auth.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(spreadsheets.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(proposer.bp)
    app.add_template_global(nav_items)
    app.add_template_global(lambda page: engine.page_allowed(current_user, page), "may_open")
    app.add_template_global(get_locale)
    app.jinja_env.globals.update(consent_labels=CONSENT_LABELS, satisfaction_labels=SATISFACTION_LABELS,
                                 follow_up_labels=FOLLOW_UP_STAGE_LABELS)
    app.add_template_filter(lambda state, body: spec.state_label(body, "disclosure", state), "disclosure_label")

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id))

    def render_error(status: int, message: str | None = None):
        return (
            render_template("errors/error.html", status=status, title=ERROR_TITLES.get(status, "出错了"),
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
        return render_error(400, "表单已过期或来源无效，请刷新页面后重新提交。")

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
