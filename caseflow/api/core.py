"""The API's plumbing: the blueprint, token authentication, problem details, input parsing and the
registry of operations from which the OpenAPI document is written (caseflow/api/openapi.py)."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from werkzeug.exceptions import HTTPException

from caseflow.api.schemas import MAX_ID, FieldError, Problem
from caseflow.errors import ServiceError, ValidationError
from caseflow.extensions import db
from caseflow.services import api_tokens

PREFIX = "/api/v1"
PROBLEM = "application/problem+json"
bp = Blueprint("api", __name__, url_prefix=PREFIX)

TITLES = {
    400: "请求有误", 401: "未认证", 403: "没有权限", 404: "不存在", 405: "不支持的请求方法", 409: "状态冲突",
    412: "版本已过期", 413: "请求过大", 415: "不支持的内容类型", 422: "输入无效", 428: "缺少 If-Match", 500: "系统错误",
}
DETAILS = {
    400: "请求格式有误。", 401: "缺少有效的 API 令牌（Authorization: Bearer …），或令牌已吊销、已过期。",
    403: "没有执行此操作的权限。", 404: "记录不存在，或您无权查看。", 405: "此地址不支持该请求方法。",
    409: "该记录已被他人修改，请重新读取后再试。", 412: "If-Match 中的版本已过期：该记录已被修改，请重新读取。",
    413: "上传的文件过大。", 415: "请求体应为 application/json。", 422: "输入无效。",
    428: "此操作需要在 If-Match 请求头中给出目标记录的 version。", 500: "系统错误，请稍后再试。",
}
# pydantic's error types → what a clerk reads (the field is named beside it)
MESSAGES = {
    "missing": "此项必填。", "extra_forbidden": "不认识的字段。", "json_invalid": "JSON 格式有误。",
    "model_type": "请求体应为 JSON 对象。", "model_attributes_type": "请求体应为 JSON 对象。",
    "int_type": "应为整数。", "int_parsing": "应为整数。", "int_from_float": "应为整数。",
    "bool_type": "应为 true 或 false。", "bool_parsing": "应为 true 或 false。", "string_type": "应为字符串。",
    "string_too_long": "内容过长。", "string_too_short": "内容过短。", "string_pattern_mismatch": "格式不正确。",
    "less_than_equal": "超出允许的范围。", "greater_than_equal": "超出允许的范围。",
    "date_type": "请输入有效日期（如 2025-03-01）。", "date_parsing": "请输入有效日期（如 2025-03-01）。",
    "date_from_datetime_parsing": "请输入有效日期（如 2025-03-01）。", "literal_error": "请从列表中选择。",
    "enum": "请从列表中选择。", "list_type": "应为数组。", "too_long": "项数过多。",
}


class ApiError(Exception):
    def __init__(self, status: int, detail: str | None = None, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers or {}


def problem(status: int, detail: str | None = None, errors: list[FieldError] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body = Problem(title=TITLES.get(status, "出错了"), status=status, detail=detail or DETAILS.get(status, "出错了。"),
                   errors=errors)
    return Response(body.model_dump_json(exclude_none=True), status, headers=headers, mimetype=PROBLEM)


def is_api_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def service_problem(e: ServiceError) -> Response:
    """A service's refusal: bad input is 422 with its field, the rest keep their status."""
    db.session.rollback()
    if isinstance(e, ValidationError):
        return problem(422, e.message, [FieldError(field=e.field, detail=e.message)] if e.field else None)
    return problem(e.status, e.message)


def field_errors(e: PydanticError) -> list[FieldError]:
    return [FieldError(field=".".join(str(p) for p in err["loc"]) or "body", detail=MESSAGES.get(err["type"], "输入无效。"))
            for err in e.errors()]


def form_errors(form) -> list[FieldError]:
    """A WTForms form's errors (the page's own messages), by the API's field names."""
    out = []
    for f in form:
        for message in f.errors if isinstance(f.errors, list) else [m for ms in f.errors for m in ms]:
            out.append(FieldError(field=f.short_name, detail=str(message)))
    out += [FieldError(field="body", detail=str(m)) for m in form.form_errors]
    return out


# -- authentication: a token, never the session cookie ------------------------------------------

PUBLIC = {"api.openapi", "api.docs", "api.docs_asset"}


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    user = api_tokens.user_of(secret.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        return problem(401, headers={"WWW-Authenticate": 'Bearer realm="caseflow"'})
    g._login_user = user  # Flask-Login's current user for this request: the token's, not the cookie's
    return None


@bp.errorhandler(ApiError)
def api_error(e: ApiError):
    db.session.rollback()
    return problem(e.status, e.detail, e.errors, e.headers)


@bp.errorhandler(ServiceError)
def service_error(e: ServiceError):
    return service_problem(e)


def http_problem(e: HTTPException) -> Response:
    headers = {"Allow": ", ".join(e.valid_methods)} if getattr(e, "valid_methods", None) else None
    return problem(e.code or 500, headers=headers)


for _status in TITLES:
    if _status != 500:
        bp.register_error_handler(_status, http_problem)


@bp.errorhandler(Exception)
def unexpected(e: Exception):
    if isinstance(e, HTTPException):
        return http_problem(e)
    db.session.rollback()
    current_app.logger.exception("API error")
    return problem(500)


# -- input ----------------------------------------------------------------------------------------

def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string as ``model`` (unknown parameters refused); 422 with the parameters' names."""
    try:
        return model.model_validate({k: request.args.get(k) for k in request.args})
    except PydanticError as e:
        errors = field_errors(e)
        raise ApiError(422, "查询参数有误：" + "、".join(dict.fromkeys(x.field for x in errors)) + "。", errors) from None


def parse_json(model: type[BaseModel]) -> BaseModel:
    """The JSON body as ``model`` (strict types, unknown fields refused): 400 when it is not JSON,
    415 for another content type, 422 with the fields' names otherwise."""
    if request.mimetype != "application/json":
        raise ApiError(415)
    return validate_json(model, request.get_data() or b"")


def validate_json(model: type[BaseModel], raw: bytes | str) -> BaseModel:
    """``raw`` JSON as ``model``: 400 when it is not JSON, 422 with the fields' names otherwise."""
    try:
        return model.model_validate_json(raw, strict=True)
    except PydanticError as e:
        if any(err["type"] == "json_invalid" for err in e.errors()):
            raise ApiError(400, "请求体不是有效的 JSON。") from None
        errors = field_errors(e)
        raise ApiError(422, "输入无效：" + "、".join(dict.fromkeys(x.field for x in errors)) + "。", errors) from None


# -- the operations (each route and what the OpenAPI document says of it) -------------------------

@dataclass
class Operation:
    path: str  # the OpenAPI path, e.g. /cases/{case_id}
    method: str
    summary: str
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    multipart: dict[str, Any] | None = None  # a multipart body's JSON schema
    ok: type[BaseModel] | None = None
    ok_status: int = 200
    media: str = "application/json"  # for a download: its type
    errors: tuple[int, ...] = ()
    if_match: bool = False
    description: str = ""
    path_params: dict[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def openapi_path(rule: str) -> tuple[str, dict[str, str]]:
    params: dict[str, str] = {}
    parts = []
    for part in rule.split("/"):
        if part.startswith("<") and part.endswith(">"):
            kind, _, name = part[1:-1].rpartition(":")
            params[name] = kind or "string"
            part = "{" + name + "}"
        parts.append(part)
    return "/".join(parts), params


def operation(rule: str, method: str = "GET", *, summary: str, tag: str, query: type[BaseModel] | None = None,
              body: type[BaseModel] | None = None, ok: type[BaseModel] | None = None, status: int = 200,
              media: str = "application/json", errors: tuple[int, ...] = (), description: str = "",
              multipart: dict[str, Any] | None = None, document: bool = True) -> Callable:
    """Route ``rule`` under /api/v1 and document it; the view gets ``query=``/``body=`` parsed and
    returns a model (serialised with ``status``) or a response."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(**kwargs):
            if any(isinstance(v, int) and v > MAX_ID for v in kwargs.values()):
                raise ApiError(404)
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = parse_json(body)
            result = view(**kwargs)
            if isinstance(result, BaseModel):
                return Response(result.model_dump_json(), status, mimetype="application/json")
            return result

        bp.add_url_rule(rule, view.__name__, wrapped, methods=[method])
        if document:
            path, params = openapi_path(rule)
            OPERATIONS.append(Operation(path, method.lower(), summary, tag, query, body, multipart, ok, status, media,
                                        errors, description=description or (view.__doc__ or "").strip(),
                                        path_params=params))
        return wrapped

    return decorator


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False, default=str), status, headers=headers,
                    mimetype="application/json")
