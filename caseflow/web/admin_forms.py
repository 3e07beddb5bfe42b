"""Forms of the administration pages. Messages are Chinese; the services re-check everything."""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from caseflow.models.base import BODY_LABELS
from caseflow.models.security_event import SECURITY_EVENT_LABELS
from caseflow.models.unit import UNIT_KIND_LABELS
from caseflow.web.forms import REQUIRED, ChineseDateField, ChineseIntegerField, Radio, Select, VersionedForm, options
from caseflow.workflow import spec

HOLIDAY_KINDS = {"off": _l("休息（节假日）"), "work": _l("上班（调休）")}


def _year(label) -> ChineseIntegerField:
    return ChineseIntegerField(label, validators=[InputRequired(_("请填写年度（如 2025）。"))])


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=64,
                                                                                      message=_l("用户名过长（最多64字）。"))])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=50, message=_l("姓名过长（最多50字）。"))])
    role = Select(_l("角色"), choices=options([("", _l("请选择")), *((r, LazyString(spec.role_label,
                                                                               r)) for r in spec.roles())]),
                  validators=[DataRequired(_l("请选择角色。"))])
    unit = Select(_l("所属单位"), coerce=int, description=_l("经办人、单位负责人账号必选"))
    proposer = Select(_l("代表/委员"), coerce=int, description=_l("代表/委员账号必选"))
    email = StringField(_l("电子邮件（可选）"), validators=[Optional(), Email(_l("请输入有效的电子邮件地址。")), Length(max=120)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请填写密码。")), Length(max=200)],
                             description=_l("至少 8 位；请当面或电话告知本人"))


class SecurityFilterForm(FlaskForm):
    """The security log's filters (a GET form: they live in the URL)."""

    class Meta:
        csrf = False

    kind = Select(_l("类型"), choices=options([("", _l("全部"))]) + options(SECURITY_EVENT_LABELS), validators=[Optional()])
    username = StringField(_l("用户名 / 代表委员"), validators=[Optional(), Length(max=64)])
    address = StringField(_l("IP 地址"), validators=[Optional(), Length(max=64)])
    since = ChineseDateField(_l("起始日期"), validators=[Optional()])
    until = ChineseDateField(_l("截止日期"), validators=[Optional()])


class PasswordForm(VersionedForm):
    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请填写新密码。")), Length(max=200)],
                             description=_l("至少 8 位"))


class UnitForm(VersionedForm):
    name = StringField(_l("单位名称"), validators=[DataRequired(_l("请填写单位名称。")), Length(max=100,
                                                                                    message=_l("单位名称过长（最多100字）。"))])
    short_name = StringField(_l("简称（可选）"), validators=[Optional(), Length(max=50, message=_l("简称过长（最多50字）。"))])
    kind = Select(_l("类型"), choices=options(UNIT_KIND_LABELS), default="department",
                  validators=[DataRequired(_l("请选择单位类型。"))])


class SessionForm(FlaskForm):
    """A session; the edit page drops ``body`` (a session's body never changes)."""

    body = Select(_l("类别"), choices=options(BODY_LABELS), validators=[DataRequired(_l("请选择类别。"))])
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写届次名称。")),
                                             Length(max=100, message=_l("届次名称过长（最多100字）。"))],
                       description=_l("如：区政协十五届二次会议"))
    term = ChineseIntegerField(_l("届"), validators=[InputRequired(_l("请填写届（数字）。"))])
    meeting = ChineseIntegerField(_l("次"), validators=[InputRequired(_l("请填写次（数字）。"))])
    year = _year(_l("年度"))


class CategoryForm(FlaskForm):
    name = StringField(_l("分类名称"), validators=[DataRequired(_l("请填写分类名称。")),
                                               Length(max=50, message=_l("分类名称过长（最多50字）。"))])


class ResultClassForm(FlaskForm):
    """A result class; the rename form drops ``code`` (imports and statistics rely on it)."""

    code = StringField(_l("代码"), validators=[DataRequired(_l("请填写代码。")), Length(max=10, message=_l("代码过长（最多10字）。"))],
                       description=_l("如 A、B、C"))
    label = StringField(_l("结果分类名称"), validators=[DataRequired(_l("请填写结果分类名称。")),
                                                  Length(max=30, message=_l("结果分类名称过长（最多30字）。"))])
    adopted = BooleanField(_l("计入解决采纳率"))


class CopyYearForm(FlaskForm):
    to_year = _year(_l("复制到年度"))


class HolidayForm(FlaskForm):
    day = ChineseDateField(_l("日期"), validators=[InputRequired(REQUIRED)])
    kind = Radio(_l("这一天"), choices=options(HOLIDAY_KINDS), default="off", validators=[DataRequired(REQUIRED)])
    name = StringField(_l("名称（可选）"), validators=[Optional(), Length(max=30, message=_l("名称过长（最多30字）。"))],
                       description=_l("如：国庆节、国庆节调休。选与平常相同的情况（工作日上班、周末休息）即恢复为普通日。"))


class HolidayImportForm(FlaskForm):
    year = _year(_l("年度"))
    replace = BooleanField(_l("覆盖已有数据（管理员的修改会丢失）"))


class RulesForm(FlaskForm):
    class Meta:
        csrf = False  # a question in the URL, changes nothing

    username = StringField(_l("用户名"), validators=[DataRequired(REQUIRED), Length(max=64)])
    case_id = ChineseIntegerField(_l("案件 ID"), validators=[InputRequired(REQUIRED), NumberRange(min=1, max=2**31 - 1)])
