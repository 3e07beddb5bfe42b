"""The OpenAPI 3.1 document, written from the registered operations and their pydantic models, and
the documentation page (Swagger UI from the pinned flask-swagger-ui package: no network needed)."""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import abort, render_template, send_from_directory
from pydantic.json_schema import models_json_schema

from caseflow.api import schemas as s
from caseflow.api.core import DETAILS, OPERATIONS, PREFIX, PROBLEM, TITLES, bp, json_response

REF = "#/components/schemas/{model}"
COMMON_ERRORS = (400, 401, 404, 405, 422)
SWAGGER_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
SWAGGER_FILES = {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"}


def _ref(model) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


@cache
def document() -> dict[str, Any]:
    models = {s.Problem}
    for op in OPERATIONS:
        models.update(m for m in (op.query, op.body, op.ok) if m is not None)
    _, schemas = models_json_schema([(m, "serialization" if m not in _inputs() else "validation")
                                     for m in sorted(models, key=lambda m: m.__name__)], ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(PREFIX + op.path, {})[op.method] = _operation(op, schemas["$defs"])
    for op in OPERATIONS:
        if links := _links(op):
            paths[PREFIX + op.path][op.method]["responses"][str(op.ok_status)]["links"] = links
    return {
        "openapi": "3.1.0",
        "info": {"title": "caseflow API", "version": "1",
                 "description": "人大代表建议、政协提案办理系统的 JSON 接口。令牌在“API 令牌”页面或用 "
                                "`flask api-token create` 创建，以 `Authorization: Bearer <令牌>` 调用；"
                                "令牌的权限与其用户完全相同。错误为 application/problem+json（RFC 9457）。"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": schemas["$defs"],
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


@cache
def _inputs() -> set:
    return {op.query for op in OPERATIONS if op.query} | {op.body for op in OPERATIONS if op.body}


def _parameters(op, defs: dict[str, Any]) -> list[dict[str, Any]]:
    an_id = {"type": "integer", "minimum": 1, "maximum": s.MAX_ID}
    params = [{"name": name, "in": "path", "required": True, "schema": an_id if kind == "int" else {"type": "string"}}
              for name, kind in op.path_params.items()]
    if op.query:
        schema = defs[op.query.__name__]
        for name, prop in schema["properties"].items():
            params.append({"name": name, "in": "query", "required": name in schema.get("required", []),
                           "schema": prop, **({"description": prop["description"]} if "description" in prop else {})})
    if op.if_match:
        params.append({"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string",
                       "pattern": r'^(W/)?"?[0-9]{1,10}"?$'},
                       "description": "目标行的 version（见案件的 actions[].version）；缺少为 428，过期为 412"})
    return params


def _operation(op, defs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "operationId": _operation_id(op),
                           "parameters": _parameters(op, defs)}
    if op.description:
        out["description"] = op.description
    content = {**({"application/json": {"schema": _ref(op.body)}} if op.body else {}),
               **({"multipart/form-data": {"schema": op.multipart}} if op.multipart else {})}
    if content:
        out["requestBody"] = {"required": True, "content": content}
    ok: dict[str, Any] = {"description": "成功"}
    if op.ok:
        ok["content"] = {"application/json": {"schema": _ref(op.ok)}}
    else:
        ok["content"] = {op.media: {"schema": {"type": "string", "contentMediaType": op.media}}}
    codes = set(COMMON_ERRORS) | set(op.errors)
    if op.body or op.multipart:
        codes |= {415}
    if op.if_match:
        codes |= {409, 412, 428}
    responses = {str(op.ok_status): ok}
    for code in sorted(codes):
        responses[str(code)] = {"description": f"{TITLES[code]}：{DETAILS[code]}",
                                "content": {PROBLEM: {"schema": _ref(s.Problem)}}}
    out["responses"] = responses
    return out


def _links(op) -> dict[str, Any]:
    """Where an answer leads (OpenAPI links; Schemathesis follows them): from an import to its job,
    from a case list or a new case to the case, from a case to its files, letters and every action on its rows, with the
    row's version as If-Match."""
    case_ids = {"get /cases": "$response.body#/items/0/id", "post /cases": "$response.body#/id",
                "get /cases/{case_id}": "$response.body#/id"}
    if (op.method, op.path) == ("post", "/imports"):
        return {"job": {"operationId": "get_jobs_job_id", "parameters": {"job_id": "$response.body#/id"}}}
    case_id = case_ids.get(f"{op.method} {op.path}")
    if case_id is None:
        return {}
    if op.path != "/cases/{case_id}":
        return {"case": {"operationId": "get_cases_case_id", "parameters": {"case_id": case_id}}}
    rows = {"assignment": "assignments", "disclosure": "disclosures", "file": "files", "reply": "replies"}
    out = {}
    for other in OPERATIONS:
        if not other.path.startswith("/cases/{case_id}/") or other.path.endswith("/actions/{action}"):
            continue
        params: dict[str, str] = {"case_id": case_id}
        for name in other.path_params:
            if name in ("target_id", "file_id", "reply_id"):
                kind = {"file_id": "files", "reply_id": "replies"}.get(name) or next(
                    rows[k] for k in ("assignment", "disclosure") if f"/{rows[k]}/" in other.path)
                params[name] = f"$response.body#/{kind}/0/id"
        if other.if_match:
            version = next((f"$response.body#/{rows[k]}/0/version" for k in ("assignment", "disclosure")
                            if f"/{rows[k]}/" in other.path), "$response.body#/version")
            params["header.If-Match"] = version
        out[_operation_id(other)] = {"operationId": _operation_id(other), "parameters": params}
    return out


def _operation_id(op) -> str:
    words = [p.strip("{}") for p in op.path.split("/") if p]
    return op.method + "_" + "_".join(w.replace("-", "_").replace(".", "_") for w in words)


@bp.route("/openapi.json")
def openapi():
    return json_response(document())


@bp.route("/docs")
def docs():
    return render_template("api/docs.html", spec_url=f"{PREFIX}/openapi.json")


@bp.route("/docs/assets/<name>")
def docs_asset(name: str):
    if name not in SWAGGER_FILES:
        abort(404)
    return send_from_directory(SWAGGER_DIST, name, max_age=86400)
