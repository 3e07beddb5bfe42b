"""caseflow: handling of 人大代表建议 and 政协提案 for a district government."""
from __future__ import annotations

from typing import Any

from flask import Flask

from caseflow.config import PROJECT_ROOT, from_environment


def create_app(config_override: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=None,
    )
    app.config.update(from_environment())
    app.config.update(config_override or {})

    from caseflow import cli, models  # noqa: F401  (models: register the tables)
    from caseflow.extensions import babel, configure_postgresql, configure_sqlite, csrf, db, login_manager, migrate
    from caseflow.api import register_api
    from caseflow.web import register_web
    from caseflow.workflow import engine

    engine.load_all()  # a broken workflow file stops the start with its file and line
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
        configure_postgresql(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    login_manager.init_app(app)
    register_web(app)
    if app.config["PROXY_COUNT"]:  # the client's address and scheme from the proxy's X-Forwarded-* headers
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    register_api(app)
    cli.register(app)
    return app


def _locale() -> str:
    """The language chosen with the header's button; Chinese outside a request (CLI, jobs)."""
    from flask import has_request_context, session

    return session.get("lang", "zh_CN") if has_request_context() else "zh_CN"
