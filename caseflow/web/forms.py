"""WTForms forms of the case pages. Messages are Chinese; services re-check everything."""
from __future__ import annotations

from flask import request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import validate_csrf
from flask_wtf.file import FileField, MultipleFileField
from sqlalchemy import select
from wtforms import (
    BooleanField,
    FieldList,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError as WTFormsValidationError
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from caseflow import figures
from caseflow.errors import Conflict, ServiceError, ValidationError
from caseflow.extensions import db
from caseflow.i18n import Labels, join
from caseflow.models import Session
from caseflow.models.attachment import MAX_ATTACHMENT_BYTES
from caseflow.models.case import CONSENT_LABELS
from caseflow.models.contact import CONTACT_KIND_LABELS
from caseflow.models.disclosure import DISCLOSURE_SCOPE_LABELS
from caseflow.models.feedback import FOLLOW_UP_STAGE_LABELS, SATISFACTION_LABELS
from caseflow.services.attachments import ALLOWED_KINDS

REQUIRED = _l("此项必填。")
DATE_INVALID = _l("请输入有效日期（如 2025-03-01）。")
CHOICE_INVALID = _l("请从列表中选择。")
NUMBER_INVALID = _l("请输入整数。")
NUMBER_TOO_LARGE = _l("数字超出范围。")
# the database's INTEGER (PostgreSQL int4): a larger number in a URL, a query or a form is refused
# (404, dropped or a field error), never handed to the database
MAX_INT = 2**31 - 1


def db_int(value: object) -> int:
    """A plain decimal integer that fits the database's INTEGER, else ValueError (for ``args.get(type=)``)."""
    text = str(value).strip()
    if not (text.isascii() and text.lstrip("-").isdigit()):  # int() would take '²', '1_000', '٣'
        raise ValueError(NUMBER_INVALID)
    number = int(text)
    if not -MAX_INT <= number <= MAX_INT:
        raise ValueError(NUMBER_TOO_LARGE)
    return number


def session_years() -> list[int]:
    """The years that have sessions, newest first (the year filters' choices)."""
    return db.session.scalars(select(Session.year).distinct().order_by(Session.year.desc())).all()


def options(pairs) -> list[SelectChoice]:
    """Choices from (value, label) pairs or a {value: label} dict; the labels of
    :class:`~caseflow.i18n.Labels` are read when the form is shown (in its language)."""
    if isinstance(pairs, Labels):
        return [SelectChoice(value, LazyString(pairs.__getitem__, value)) for value in pairs]
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


class _ChineseChoices:
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_choice_message", CHOICE_INVALID)
        kwargs.setdefault("invalid_value_message", CHOICE_INVALID)
        super().__init__(*args, **kwargs)


class Select(_ChineseChoices, SelectField):
    pass


class MultiSelect(_ChineseChoices, SelectMultipleField):
    pass


class Radio(_ChineseChoices, RadioField):
    pass


class ChineseDateField(DateField):
    """A date input whose parse error is a Chinese sentence."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(DATE_INVALID) from None


class ChineseIntegerField(IntegerField):
    """An integer input within the database's range whose parse error is a Chinese sentence."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = db_int(valuelist[0])
        except ValueError:
            self.data = None
            raise


def _date(label, required=False) -> ChineseDateField:
    return ChineseDateField(label, validators=[InputRequired(REQUIRED)] if required else [Optional()])


def upload(label, multiple: bool = False, only_pdf: bool = False) -> FileField:
    """A file input that says its limits, and (with script) refuses a too large file at once."""
    limit = MAX_ATTACHMENT_BYTES // 1024 // 1024
    kinds = "PDF" if only_pdf else LazyString(join, ALLOWED_KINDS)
    field = MultipleFileField if multiple else FileField
    return field(label, description=_l("%(kinds)s，每个文件不超过 %(mb)s MB", kinds=kinds, mb=limit),
                 render_kw={"multiple": multiple, "data-max-bytes": MAX_ATTACHMENT_BYTES,
                            "data-too-big": _l("以下文件超过 %(mb)s MB，请压缩或拆分后再上传：", mb=limit)})


class VersionedForm(FlaskForm):
    """Every action form carries the version the user saw (a stale one answers 409)."""

    version = HiddenField()


def hidden_int(field) -> int:
    """A number the page put in a hidden field (a row's id or version); a tampered or missing one
    is refused as an incomplete page."""
    try:
        return db_int(field.data)
    except ValueError:
        raise ValidationError(_("页面数据不完整，请刷新后重试。")) from None


def version_of(form: FlaskForm) -> int:
    """The row version the form was drawn with, from its hidden field."""
    return hidden_int(form.version)


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form: filters live in the URL

    q = StringField(_l("标题/编号"), validators=[Optional(), Length(max=100)])
    body = Select(_l("类别"), validators=[Optional()])
    session_id = Select(_l("届次"), validators=[Optional()])
    unit_id = Select(_l("承办单位"), validators=[Optional()])
    state = Select(_l("状态"), validators=[Optional()])
    category_id = Select(_l("分类"), validators=[Optional()])
    overdue = BooleanField(_l("已超期"))
    key_case = BooleanField(_l("重点督办"))
    # set by the dashboard's links: the cases behind one of its figures (caseflow.stats.cases_behind)
    figure = Select(_l("统计口径"), choices=options(Labels({"": "", **figures.case_lists()})), validators=[Optional()])
    year = ChineseIntegerField(_l("年度"), validators=[Optional()])


class UnitPicker(MultiSelect):
    """Units as a list of check boxes (no Ctrl-click), with a search box when the page has script."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RegisterForm(FlaskForm):
    """登记 of one body's item: its sessions, categories and proposers only (the body is in the URL)."""

    session_id = Select(_l("届次"), coerce=int, validators=[DataRequired(REQUIRED)])
    number = ChineseIntegerField(_l("编号"), validators=[InputRequired(_l("请填写编号（数字）。")),
                                                   NumberRange(min=1, message=_l("编号必须是正整数。"))])
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题。")), Length(max=300, message=_l("标题过长（最多300字）。"))])
    text = TextAreaField(_l("正文"), validators=[Optional(), Length(max=50000)], render_kw={"rows": 6})
    category_id = Select(_l("分类"), coerce=int, validators=[Optional()])
    lead_proposer_id = Select(_l("领衔代表/提案者"), coerce=int, validators=[DataRequired(_l("请指定领衔代表/提案者。"))])
    cosigners = FieldList(StringField(_l("联名人"), validators=[Optional(), Length(max=120)]),
                          label=_l("联名（按顺序，每格一位）"), min_entries=4, max_entries=50)
    consent = Radio(_l("公开意愿"), choices=options(CONSENT_LABELS), default="full",
                         validators=[DataRequired(_l("请选择公开意愿。"))])
    no_written_reply = BooleanField(_l("不需要书面答复"))
    key_case = BooleanField(_l("重点督办"))
    attachments = upload(_l("附件"), multiple=True)


class AssignForm(VersionedForm):
    lead_unit_ids = UnitPicker(_l("主办单位"), coerce=int)
    split = BooleanField(_l("多个主办单位分别答复（分办）"))
    co_unit_ids = UnitPicker(_l("会办单位"), coerce=int)
    assigned_on = _date(_l("交办日期"), required=True)
    reply_due = _date(_l("答复期限（留空按规则计算）"))
    co_due = _date(_l("会办期限（留空按规则计算）"))
    due_reason = StringField(_l("调整期限的理由"), validators=[Optional(), Length(max=200)])


class CommentForm(VersionedForm):
    comment = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class ReasonForm(VersionedForm):
    comment = TextAreaField(_l("理由"), validators=[DataRequired(_l("请填写理由。")), Length(max=2000)],
                            render_kw={"rows": 2})


class ExtensionRequestForm(ReasonForm):
    requested_due = _date(_l("申请延期至"), required=True)


class ExtensionDecisionForm(CommentForm):
    new_due = _date(_l("延期至（留空则同意所申请的日期）"))


class KeyCaseForm(CommentForm):
    key_case = BooleanField(_l("重点督办"))


class SimilarForm(FlaskForm):
    """查找相似件: what 登记 has typed so far (the title at least)."""

    session_id = IntegerField(validators=[DataRequired(REQUIRED)])
    title = StringField(validators=[DataRequired("请先填写标题。"), Length(max=300, message="标题过长（最多300字）。")])
    text = TextAreaField(validators=[Optional(), Length(max=50000)])
    category_id = IntegerField(validators=[Optional()])


class MergeForm(ReasonForm):
    into_number = ChineseIntegerField(_l("并入同届次的编号"), validators=[InputRequired(_l("请填写要并入的编号。"))])


class ContactForm(FlaskForm):
    kind = Radio(_l("方式"), choices=options(CONTACT_KIND_LABELS), default="meeting",
                      validators=[DataRequired(_l("请选择沟通方式。"))])
    contacted_on = _date(_l("日期"), required=True)
    note = TextAreaField(_l("内容"), validators=[DataRequired(_l("请填写沟通内容。")), Length(max=2000)],
                         render_kw={"rows": 2})


class CoOpinionForm(VersionedForm):
    text = TextAreaField(_l("会办意见"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 4})
    attachment = upload(_l("附件（可选）"))


class ReplyForm(FlaskForm):
    reply_id = HiddenField()
    version = HiddenField()
    doc_number = StringField(_l("文号"), validators=[Optional(), Length(max=50)])
    contact_name = StringField(_l("联系人"), validators=[DataRequired(_l("请填写联系人。")), Length(max=50)])
    contact_phone = StringField(_l("联系电话"), validators=[DataRequired(_l("请填写联系电话。")), Length(max=30)])
    result_class_id = Select(_l("办理结果分类"), coerce=int, validators=[DataRequired(_l("请选择办理结果分类。"))])
    text = TextAreaField(_l("答复正文"), validators=[Optional(), Length(max=50000)], render_kw={"rows": 8})
    attachment = upload(_l("答复函 PDF（可选）"), only_pdf=True)
    cc = StringField(_l("抄送"), validators=[Optional(), Length(max=200)])


class Confirmation(BooleanField):
    """A box the user ticks to say they read what they act on; it gates the action, it is not data."""


class SignForm(VersionedForm):
    """签发 of the unit's open draft, at the version the leader read."""

    reply_id = HiddenField()
    confirm = Confirmation(_l("我已阅读答复稿和答复函预览，同意签发"),
                           validators=[DataRequired(_l("请确认已阅读答复稿和答复函预览。"))])


class ReturnDraftForm(VersionedForm):
    """退回修改 of the unit's open draft, with what the handler is to change."""

    reply_id = HiddenField()
    comment = TextAreaField(_l("需要修改的地方"), validators=[DataRequired(_l("请写明需要修改的地方。")), Length(max=2000)],
                            render_kw={"rows": 3})


class AddFilesForm(FlaskForm):
    files = upload(_l("附件"), multiple=True)
    comment = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class FeedbackForm(VersionedForm):
    overall = Radio(_l("总体评价"), choices=options(SATISFACTION_LABELS),
                         validators=[DataRequired(_l("请选择满意、基本满意或不满意。"))])
    attitude = Radio(_l("办理态度（可选）"), choices=options(SATISFACTION_LABELS), validators=[Optional()])
    result = Radio(_l("办理结果（可选）"), choices=options(SATISFACTION_LABELS), validators=[Optional()])
    comment = TextAreaField(_l("意见"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3},
                            description=_l("选择“不满意”时请写明原因，承办单位将重新办理。"))


class FollowUpForm(FlaskForm):
    stage = Radio(_l("阶段"), choices=options(FOLLOW_UP_STAGE_LABELS), default="after",
                       validators=[DataRequired(_l("请选择回头看阶段。"))])
    current_result_class_id = Select(_l("目前办理结果分类"), coerce=int, validators=[Optional()])
    note = TextAreaField(_l("回头看情况"), validators=[DataRequired(_l("请填写回头看情况。")), Length(max=5000)],
                         render_kw={"rows": 3})


class RedactedText(TextAreaField):
    """A text to be published: when refused, the form shows it with the contact data marked."""


class PublishForm(VersionedForm):
    scope = Radio(_l("公开方式"), choices=options(DISCLOSURE_SCOPE_LABELS), default="full",
                       validators=[DataRequired(_l("请选择公开方式。"))])
    published_text = RedactedText(_l("公开文本（已去除联系方式）"),
                                   validators=[Optional(), Length(max=50000)], render_kw={"rows": 6})


EXPIRED = _l("页面已过期或来自其他页面，您填写的内容已保留，请核对后再次提交。")


def keep_expired(form: FlaskForm) -> None:
    """A form whose token failed (the login ended and began again, another tab): say so above the
    form, whose fields keep what was typed, instead of an error page that loses it. The view is
    exempt from the app-wide check, so its form's own token check is the one that counts."""
    if form.meta.csrf and form.csrf_token.errors:
        form.csrf_token.errors = []
        form.form_errors.append(EXPIRED)


def token_ok() -> bool:
    """The page's CSRF token, for a view that checks it itself (exempt from the app-wide check)."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except WTFormsValidationError:
        return False
    return True


def attach_error(form: FlaskForm, e: ServiceError) -> None:
    """Show a service's refusal next to its field (or above the form), keeping what was typed;
    the page then answers 409 if the row changed meanwhile, else 422."""
    form.stale = isinstance(e, Conflict)
    field = getattr(form, e.field, None) if e.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, e.message] if isinstance(field.errors, list) else [e.message]
    else:
        form.form_errors.append(e.message)


def status_of(*forms: FlaskForm | None) -> int:
    """A page's status: 200, or the refusal of one of its forms (409 stale, 422 invalid input)."""
    shown = [f for f in forms if f is not None and (f.errors or f.form_errors)]
    if not shown:
        return 200
    return 409 if any(getattr(f, "stale", False) for f in shown) else 422
