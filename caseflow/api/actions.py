"""Every people's action of the rule book through one shape,
``POST /api/v1/cases/{id}[/assignments|/disclosures/{row}]/actions/{action}``: the JSON body fills the
action's page form (web/case_actions.py OFFERS), which is validated and handed to the same service
as on the case page. Registration and the 交办清单 import too."""
from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Annotated, Any, Literal

from flask import request
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field, create_model
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField, DateField, FieldList, FileField, IntegerField, MultipleFileField, RadioField, SelectField,
    SelectMultipleField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from caseflow.access import get_visible_case
from caseflow.api import schemas as s
from caseflow.api.core import (
    OPERATIONS, ApiError, Operation, bp, form_errors, json_response, openapi_path, operation, parse_json, problem,
    service_problem, validate_json,
)
from caseflow.api.jobs import job_out
from caseflow.api.resources import case_response, expected_version
from caseflow.errors import ServiceError
from caseflow.extensions import db
from caseflow.models import Session
from caseflow.models.base import BODIES
from caseflow.services import import_jobs
from caseflow.services.cases import register_case
from caseflow.web import case_actions
from caseflow.web.cases import case_input, register_choices
from caseflow.web.forms import RegisterForm
from caseflow.workflow import engine, spec

HIDDEN = {"version", "reply_id", "csrf_token"}  # filled from If-Match and the row, as the page does


def _field_type(unbound: UnboundField) -> tuple[Any, dict[str, Any]]:
    """A form field's JSON type and constraints."""
    cls, kwargs = unbound.field_class, unbound.kwargs
    checks = kwargs.get("validators", [])
    length = next((v.max for v in checks if isinstance(v, Length) and v.max != -1), None)
    limits = next(((v.min, v.max) for v in checks if isinstance(v, NumberRange)), (None, None))
    if issubclass(cls, BooleanField):
        return bool, {}
    if issubclass(cls, DateField):
        return date, {}
    if issubclass(cls, SelectMultipleField):
        return list[Annotated[int, Field(ge=1, le=s.MAX_ID)]], {"max_length": 200}
    if issubclass(cls, RadioField):
        return Literal[tuple(c.value for c in kwargs["choices"])], {}
    if issubclass(cls, SelectField) or issubclass(cls, IntegerField):
        low = limits[0] if limits[0] is not None else (1 if issubclass(cls, SelectField) else -s.MAX_ID)
        return int, {"ge": low, "le": limits[1] if limits[1] is not None else s.MAX_ID}
    if issubclass(cls, FieldList):
        inner = unbound.args[0]
        inner_length = next((v.max for v in inner.kwargs.get("validators", []) if isinstance(v, Length)), None)
        return list[Annotated[str, Field(max_length=inner_length)]], {"max_length": kwargs.get("max_entries") or 50}
    return str, {"max_length": length} if length else {}


def input_model(form_class: type, name: str, extra: dict[str, Any] | None = None) -> type[BaseModel]:
    """The JSON body of a form: its fields (files and hidden ones left out), strictly typed, no others."""
    fields: dict[str, Any] = dict(extra or {})
    unbound = sorted(((n, f) for n in dir(form_class) if isinstance(f := getattr(form_class, n), UnboundField)),
                     key=lambda nf: nf[1].creation_counter)
    for field_name, f in unbound:
        if field_name in HIDDEN or issubclass(f.field_class, FileField):
            continue
        kind, constraints = _field_type(f)
        required = any(isinstance(v, (DataRequired, InputRequired)) for v in f.kwargs.get("validators", []))
        label = f.args[0] if f.args and isinstance(f.args[0], str) else getattr(f.args[0] if f.args else None, "_args",
                                                                                ("",))[0]
        fields[field_name] = (kind, Field(..., description=label, **constraints)) if required else \
            (kind | None, Field(None, description=label, **constraints))
    return create_model(name, __config__=ConfigDict(extra="forbid", strict=True), **fields)


@cache
def action_models() -> dict[str, type[BaseModel]]:
    return {name: input_model(offer.form, "".join(p.title() for p in name.split("_")) + "Input")
            for name, offer in case_actions.OFFERS.items()}


def _formdata(prefix: str, values: dict[str, Any]) -> MultiDict:
    data = MultiDict()
    for name, value in values.items():
        if value is None or value is False:
            continue
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            key = f"{prefix}{name}-{i}" if name == "cosigners" else f"{prefix}{name}"
            data.add(key, "y" if item is True else item.isoformat() if isinstance(item, date) else str(item))
    return data


def _file_fields(form_class: type) -> set[str]:
    return {n for n in dir(form_class) if isinstance(f := getattr(form_class, n), UnboundField)
            and issubclass(f.field_class, FileField)}


def _body_and_files(model: type[BaseModel], file_fields: set[str]) -> tuple[BaseModel, MultiDict]:
    """An action's input: its JSON body, or for an action that takes files a multipart body whose
    part ``data`` is that JSON and whose file parts are named as the form's file fields."""
    if not (file_fields and request.mimetype == "multipart/form-data"):
        return parse_json(model), MultiDict()
    unknown = (set(request.form) - {"data"}) | (set(request.files) - file_fields)
    if unknown:
        raise ApiError(422, "输入无效：" + "、".join(sorted(unknown)) + "。",
                       [s.FieldError(field=name, detail="不认识的字段。") for name in sorted(unknown)])
    return validate_json(model, request.form.get("data") or "{}"), request.files


def _multipart_schema(form_class: type, model: type[BaseModel]) -> dict[str, Any] | None:
    """The multipart alternative of a file-taking action's body, for the OpenAPI document."""
    if not (file_fields := _file_fields(form_class)):
        return None
    binary = {"type": "string", "contentMediaType": "application/octet-stream"}
    many = {n for n in file_fields if issubclass(getattr(form_class, n).field_class, MultipleFileField)}
    return {"type": "object", "additionalProperties": False, "properties": {
        "data": {"type": "string", "contentMediaType": "application/json",
                 "description": f"与 application/json 请求体相同的 JSON（{model.__name__}）"},
        **{n: {"type": "array", "items": binary} if n in many else binary for n in sorted(file_fields)}}}


def _if_match(expected: int | None) -> int | None:
    """The version in If-Match: required (428) when the action has one, 412 when stale."""
    if expected is None:
        return None
    header = request.headers.get("If-Match")
    if not header:
        raise ApiError(428)
    version = re.fullmatch(r'(?:W/)?"?([0-9]{1,10})"?', header.strip())
    if version is None:
        raise ApiError(400, "If-Match 应为记录的 version，如 \"3\"。")
    if int(version[1]) != expected:
        raise ApiError(412, f"该记录已被修改（当前版本 {expected}），请重新读取后再试。")
    return expected


KINDS = {"case": "", "assignment": "/assignments/<int:target_id>", "disclosure": "/disclosures/<int:target_id>"}


def act(case_id: int, action: str, target_id: int | None = None, kind: str = "case"):
    """One action on the case or one of its rows, exactly as the page's form would post it."""
    if case_id > s.MAX_ID or (target_id or 0) > s.MAX_ID:
        raise ApiError(404)
    case = get_visible_case(current_user, case_id)
    offer = case_actions.OFFERS.get(action)
    if offer is None or engine.action(case.body, action)["acts_on"] != kind:
        raise ApiError(404, "没有这个操作。")
    row = case_actions.target_of(case, action, case.id if target_id is None else target_id)
    if row is None:
        raise ApiError(404)
    body, files = _body_and_files(action_models()[action], _file_fields(offer.form))
    decision = engine.allowed(current_user, action, case=case, **case_actions.rows_of(row))
    if not decision:
        return service_problem(decision.error())
    expected = expected_version(action, case, row, current_user)
    version = _if_match(expected)
    hidden = {"version": version}
    if offer.prefill and "reply_id" in (pre := offer.prefill(case, row, current_user)):
        hidden["reply_id"] = pre["reply_id"]
    prefix = f"{action}-{row.id}-"
    formdata = _formdata(prefix, {**body.model_dump(), **hidden})
    for name, upload in files.items(multi=True):
        formdata.add(prefix + name, upload)
    form = case_actions.build_form(action, case, row, current_user, formdata=formdata)
    if not form.validate():
        db.session.rollback()
        return problem(422, "输入无效。", form_errors(form))
    try:
        offer.run(current_user, case, row, form)
    except ServiceError as e:
        return service_problem(e)
    db.session.expire_all()
    return case_response(get_visible_case(current_user, case_id))


def _register_action_routes() -> None:

    for kind, middle in KINDS.items():
        rule = f"/cases/<int:case_id>{middle}/actions/<action>"
        bp.add_url_rule(rule, f"act_{kind}", lambda kind=kind, **kw: act(kind=kind, **kw), methods=["POST"])
    for name, offer in case_actions.OFFERS.items():
        kind = engine.action(spec.BODIES[0], name)["acts_on"]
        path, params = openapi_path(f"/cases/<int:case_id>{KINDS[kind]}/actions/{name}")
        OPERATIONS.append(Operation(
            path, "post", f"{spec.action_label(name)}（{name}）", "actions", body=action_models()[name],
            multipart=_multipart_schema(offer.form, action_models()[name]), ok=s.CaseDetail,
            errors=(403, 404, 409), if_match=hasattr(offer.form, "version"), path_params=params,
            description=f"规则手册的操作 {name}：谁、在什么状态下可以执行，见 workflows/base.yaml；被拒绝时 detail 为规则手册给出的理由。"
                        "成功时返回更新后的案件。"))


_register_action_routes()


# -- registration and import -----------------------------------------------------------------------

RegisterInput = input_model(RegisterForm, "RegisterInput", {"body": (Literal[BODIES], Field(..., description="类别"))})


@operation("/cases", "POST", summary="登记", tag="actions", body=RegisterInput, ok=s.CaseDetail, status=201,
           errors=(403, 409))
def register(body: BaseModel):
    """与网页登记相同的表单校验和服务；联名人按姓名给出。"""
    if not engine.may_take(current_user, "register"):
        raise ApiError(403, "只有督查科可以登记。")
    values = body.model_dump()
    kind = values.pop("body")
    form = RegisterForm(formdata=_formdata("", values), meta={"csrf": False})
    register_choices(form, kind)
    if not form.validate():
        return problem(422, "输入无效。", form_errors(form))
    try:
        case = register_case(current_user, case_input(form, kind), uploads=[])
    except ServiceError as e:
        return service_problem(e)
    return case_response(case, 201)


IMPORT_FORM = {
    "type": "object", "additionalProperties": False, "required": ["file", "session_id"],
    "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream",
                            "description": "交办清单 .xlsx"},
                   "session_id": {"type": "integer", "minimum": 1, "maximum": s.MAX_ID},
                   "dry_run": {"type": "boolean", "default": False, "description": "只检查，不导入"}},
}


@operation("/imports", "POST", summary="导入交办清单", tag="actions", multipart=IMPORT_FORM, ok=s.JobOut, status=202,
           errors=(403, 413, 415))
def import_cases():
    """与网页相同的后台导入：立即返回 202 和任务（Location），轮询任务直到完成；
    全部成功或一件不导入，每个错误给出行和列。"""
    if not engine.page_allowed(current_user, "import_cases"):
        raise ApiError(403, "只有督查科可以导入交办清单。")
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "请求体应为 multipart/form-data。")
    unknown = (set(request.form) | set(request.files)) - set(IMPORT_FORM["properties"])
    errors = [s.FieldError(field=name, detail="不认识的字段。") for name in sorted(unknown)]
    upload = request.files.get("file")
    if upload is None:
        errors.append(s.FieldError(field="file", detail="请选择要导入的 .xlsx 文件。"))
    raw_session = request.form.get("session_id", "")
    session = db.session.get(Session, int(raw_session)) if raw_session.isdigit() and int(raw_session) <= s.MAX_ID \
        else None
    if session is None:
        errors.append(s.FieldError(field="session_id", detail="请选择届次。"))
    dry_run = request.form.get("dry_run", "false").lower()
    if dry_run not in ("true", "false", "1", "0"):
        errors.append(s.FieldError(field="dry_run", detail="应为 true 或 false。"))
    if errors:
        raise ApiError(422, "输入无效：" + "、".join(e.field for e in errors) + "。", errors)
    try:
        job = import_jobs.start(current_user, upload.stream, upload.filename or "", session,
                                dry_run=dry_run in ("true", "1"))
    except ServiceError as e:
        return service_problem(e)
    out = job_out(job)
    return json_response(out.model_dump(), 202, headers={"Location": out.url})
