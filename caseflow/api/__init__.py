"""The JSON API under /api/v1: token-authenticated, CSRF-exempt, the same access filters, rule book
and services as the pages; its OpenAPI 3.1 document at /api/v1/openapi.json."""
from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import HTTPException

from caseflow.api import actions, jobs, openapi, resources  # noqa: F401  (register the routes)
from caseflow.api.core import bp, http_problem, is_api_request
from caseflow.extensions import csrf


def register_api(app: Flask) -> None:
    csrf.exempt(bp)  # a token in a header, never a cookie: nothing for a forged form to ride on
    app.register_blueprint(bp)

    @app.errorhandler(HTTPException)
    def api_or_default(e: HTTPException):
        """Errors outside any view (an unknown /api/v1 path, a wrong method) as problem details there."""
        return http_problem(e) if is_api_request() else e
