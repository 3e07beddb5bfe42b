"""The API's payloads as pydantic models: they serialise the answers and are the OpenAPI document's
schemas (pydantic writes JSON Schema 2020-12, the dialect of OpenAPI 3.1)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ID = 2**31 - 1  # ids are 32-bit in the database; a larger one names nothing (404)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FieldError(BaseModel):
    field: str = Field(description="出错的字段（查询参数、请求体字段或表格的行列）")
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``detail`` is the sentence a clerk would read on the page."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class SessionOut(Out):
    id: int
    body: str
    name: str
    term: int
    meeting: int
    year: int


class UnitOut(Out):
    id: int
    name: str
    short_name: str
    kind: str
    active: bool


class CategoryOut(Out):
    id: int
    body: str
    year: int
    name: str


class ResultClassOut(Out):
    id: int
    body: str
    year: int
    code: str
    label: str
    adopted: bool


class Sessions(BaseModel):
    items: list[SessionOut]


class Units(BaseModel):
    items: list[UnitOut]


class Categories(BaseModel):
    items: list[CategoryOut]


class ResultClasses(BaseModel):
    items: list[ResultClassOut]


class UnitPart(BaseModel):
    unit_id: int
    role: str
    state: str
    due_date: date


class CaseSummary(BaseModel):
    """A case as the list shows it; ``fields`` may trim any of these keys."""

    model_config = ConfigDict(json_schema_extra=lambda schema: schema.pop("required", None))

    id: int
    body: str
    session_id: int
    number: int
    title: str
    state: str
    state_label: str
    category_id: int | None
    key_case: bool
    consent: str
    registered_at: datetime
    version: int
    units: list[UnitPart]


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int | None = Field(description="符合筛选条件的总数（count=true 时）")
    next_cursor: str | None = Field(description="下一页的 cursor；没有下一页时为 null")


class AssignmentOut(Out):
    id: int
    unit_id: int
    unit_name: str
    role: str
    state: str
    state_label: str
    assigned_at: datetime
    original_due_date: date
    due_date: date
    answered_at: datetime | None
    requested_due_date: date | None
    version: int


class ReplyOut(Out):
    id: int
    assignment_id: int
    ordinal: int
    doc_number: str
    contact_name: str
    contact_phone: str
    result_class_id: int | None
    text: str
    cc: str
    signed_at: datetime | None
    replied_at: datetime | None
    version: int
    letter: str | None = Field(description="答复函 PDF 的下载地址（不需要书面答复时为 null）")


class FeedbackOut(Out):
    id: int
    reply_id: int
    ordinal: int
    overall: str
    attitude: str | None
    result: str | None
    comment: str
    channel: str
    given_at: datetime


class FollowUpOut(Out):
    id: int
    assignment_id: int
    stage: str
    original_result_class_id: int | None
    current_result_class_id: int | None
    note: str
    recorded_at: datetime


class DisclosureOut(Out):
    id: int
    reply_id: int
    state: str
    scope: str | None
    published_text: str | None
    reason: str
    decided_at: datetime | None
    version: int


class EventOut(Out):
    id: int
    assignment_id: int | None
    actor_id: int | None
    at: datetime
    transition: str
    from_state: str | None
    to_state: str | None
    comment: str


class FileOut(Out):
    id: int
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    url: str


class ActionOut(BaseModel):
    action: str
    label: str
    target: Literal["case", "assignment", "disclosure"]
    target_id: int
    url: str = Field(description="POST 此地址执行（If-Match 填目标行的 version）")
    version: int | None = Field(description="If-Match 应填的版本；null 表示不需要")


class CaseDetail(BaseModel):
    id: int
    body: str
    session_id: int
    number: int
    title: str
    text: str
    state: str
    state_label: str
    category_id: int | None
    lead_proposer_id: int
    consent: str
    no_written_reply: bool
    key_case: bool
    merged_into_id: int | None
    registered_at: datetime
    version: int
    assignments: list[AssignmentOut]
    drafts: list[ReplyOut]
    replies: list[ReplyOut]
    feedback: list[FeedbackOut]
    follow_ups: list[FollowUpOut]
    disclosures: list[DisclosureOut]
    events: list[EventOut]
    files: list[FileOut]
    actions: list[ActionOut] = Field(description="令牌用户现在可以执行的操作（规则手册的回答）")


class InboxItem(BaseModel):
    case_id: int
    case_number: int
    case_title: str
    session_id: int
    assignment: AssignmentOut


class InboxPage(BaseModel):
    items: list[InboxItem]
    total: int | None = Field(description="本单位待办总数（count=true 时）")
    next_cursor: str | None


class FigureOut(BaseModel):
    key: str
    label: str
    kind: Literal["rate", "count", "days"]
    value: float | None = Field(description="比率为 0–1 的小数，件数为整数，天数为小数；无数据为 null")
    numerator: int | None
    denominator: int | None
    cases: str = Field(description="该数字背后的案件（案件列表的统计口径筛选）")


class UnitFiguresOut(BaseModel):
    unit_id: int
    unit_name: str
    figures: list[FigureOut]


class FiguresOut(BaseModel):
    year: int
    body: str | None
    session_id: int | None
    unit_id: int | None
    total: list[FigureOut]
    units: list[UnitFiguresOut]


class ImportOut(BaseModel):
    dry_run: bool
    sheet: str
    planned: int
    created: list[int] = Field(description="新登记案件的 id（按表格顺序）")
    new_proposers: list[str]
    warnings: list[FieldError]
    errors: list[FieldError] = Field(description="有错误时一件也不导入；每处错误给出行和列")
    refused: str | None = Field(description="整个文件被拒绝的原因（如届次已关闭），否则为 null")


class JobOut(BaseModel):
    """A background job (the 交办清单 import): poll ``url`` until ``state`` is done or failed."""
    id: int
    kind: Literal["unit", "district", "import"]
    state: Literal["queued", "running", "done", "failed"]
    progress: int = Field(ge=0, le=100)
    url: str
    error: str | None = Field(description="失败的原因（state 为 failed 时）")
    result: ImportOut | None = Field(description="导入的结果（导入完成后）")
    file_url: str | None = Field(description="标出错误单元格的原表格（导入有错误时）")