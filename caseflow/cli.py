"""``flask`` commands: create-user, api-token, seed-demo, holidays, scheduler."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from caseflow.errors import ServiceError, ValidationError
from caseflow.extensions import db
from caseflow.models import Proposer, Unit
from caseflow.models.user import ROLES
from caseflow.scheduler import scheduler_command
from caseflow.suggest.cli import suggest_group
from caseflow.workflow import spec


def register(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(api_token_group)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(holidays_group)
    app.cli.add_command(workflow_group)
    app.cli.add_command(import_group)
    app.cli.add_command(report_group)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(stats_group)
    app.cli.add_command(suggest_group)


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--unit", "unit_name", help="承办单位名称 (handler / unit_leader)")
@click.option("--proposer", "proposer_name", help="代表/委员姓名 (proposer)")
@click.option("--email")
@click.password_option()
def create_user_command(username, name, role, unit_name, proposer_name, email, password):
    """Create a user account."""
    from caseflow.services.users import create_user

    unit = db.session.scalar(select(Unit).where(Unit.name == unit_name)) if unit_name else None
    if unit_name and unit is None:
        raise click.BadParameter(f"找不到承办单位“{unit_name}”。", param_hint="--unit")
    proposer = (
        db.session.scalar(select(Proposer).where(Proposer.name == proposer_name))
        if proposer_name
        else None
    )
    if proposer_name and proposer is None:
        raise click.BadParameter(f"找不到代表/委员“{proposer_name}”。", param_hint="--proposer")
    try:
        user = create_user(username=username, name=name, role=role, password=password,
                           unit=unit, proposer=proposer, email=email)
    except ValidationError as e:
        raise click.ClickException(e.message) from e
    click.echo(f"已创建用户 {user.username}（{user.role_label}）。")


@click.group("api-token")
def api_token_group():
    """API tokens (Authorization: Bearer)."""


@api_token_group.command("create")
@click.option("--user", "username", required=True, help="令牌所属的用户名")
@click.option("--name", default="命令行创建", show_default=True, help="令牌名称")
@click.option("--expires-days", type=click.IntRange(min=1), help="有效天数（不填则长期有效，可随时吊销）")
def api_token_create(username, name, expires_days):
    """Make a token acting as USERNAME; the secret is printed once, on the last line."""
    from caseflow.models import User
    from caseflow.services.api_tokens import create_token

    owner = db.session.scalar(select(User).where(User.username == username))
    if owner is None:
        raise click.BadParameter(f"找不到用户“{username}”。", param_hint="--user")
    try:
        token, secret = create_token(owner, owner.id, name, expires_days)
    except ServiceError as e:
        raise click.ClickException(e.message) from e
    expiry = token.expires_at.date().isoformat() if token.expires_at else "长期"
    click.echo(f"已为 {owner.username}（{owner.role_label}）创建令牌“{token.name}”，有效期至：{expiry}。只显示这一次：")
    click.echo(secret)


@click.command("seed-demo")
def seed_demo_command():
    """Load the demo district (idempotent) and print the demo logins."""
    from caseflow.demo.seed import DEMO_PASSWORD, seed_demo

    result = seed_demo()
    click.echo(f"演示数据：{result.cases} 件（新建 {result.created}）。")
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for username, label in result.logins:
        click.echo(f"  {username:<18} {label}")


@click.group("holidays")
def holidays_group():
    """The working-day calendar (Holiday table)."""


@holidays_group.command("import")
@click.option("--year", "years", type=int, multiple=True, help="默认：全部可用年份")
@click.option("--replace", is_flag=True, help="覆盖已有年份（管理员的修改会丢失）")
def holidays_import(years, replace):
    """Import holidays and 调休 workdays from the chinesecalendar package.

    Years that already have entries are kept (an admin may have edited them) unless --replace.
    """
    from caseflow.deadlines import CalendarDataMissing, supported_chinesecalendar_years
    from caseflow.services.holidays import import_chinesecalendar, years_with_entries

    years = list(years or supported_chinesecalendar_years())
    if not replace:
        kept = years_with_entries(years)
        years = [y for y in years if y not in kept]
        if kept:
            click.echo(f"已有数据、未覆盖的年份：{'、'.join(map(str, sorted(kept)))}")
    try:
        count = import_chinesecalendar(years)
    except CalendarDataMissing as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"已导入 {count} 条节假日/调休记录。")


@holidays_group.command("list")
@click.option("--year", type=int, required=True)
def holidays_list(year):
    """List the calendar entries of one year."""
    from caseflow.services.holidays import entries_of_year

    rows = entries_of_year(year)
    if not rows:
        click.echo(f"{year}年没有节假日数据：按周一至周五计算工作日。")
    for h in rows:
        click.echo(f"{h.day.isoformat()}  {'上班' if h.is_workday else '休息'}  {h.name}")


@click.group("workflow")
def workflow_group():
    """The workflows declared in workflows/*.yaml."""


@workflow_group.command("diagram")
@click.argument("name", type=click.Choice(spec.BODIES), required=False)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="默认输出到屏幕")
@click.option("--readme", is_flag=True, help="更新 README.md 中的流程图（全部流程）")
def workflow_diagram(name, output, readme):
    """Write the mermaid state diagrams of workflow NAME (generated from its YAML)."""
    from caseflow.config import PROJECT_ROOT
    from caseflow.workflow.diagram import markdown, update_readme

    if readme:
        update_readme(PROJECT_ROOT / "README.md")
        click.echo("已更新 README.md 中的流程图。")
        return
    if name is None:
        raise click.UsageError("请指定流程名称，或使用 --readme。")
    text = markdown(name)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"已写入 {output}")
    else:
        click.echo(text, nl=False)


@workflow_group.command("can")
@click.option("--user", "username", required=True, help="用户名")
@click.option("--case", "case_id", type=int, required=True, help="案件编号（系统内 id）")
@click.option("--assignment", "assignment_id", type=int, help="只看这一承办单位的操作")
def workflow_can(username, case_id, assignment_id):
    """Every action of the case's rule book for this user: ✓, or ✗ and the reason."""
    from caseflow.models import Case, User
    from caseflow.workflow.can import explain

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"找不到用户“{username}”。", param_hint="--user")
    case = db.session.get(Case, case_id)
    if case is None:
        raise click.BadParameter(f"找不到案件 {case_id}。", param_hint="--case")
    if assignment_id is not None and assignment_id not in {a.id for a in case.assignments}:
        raise click.BadParameter(f"案件 {case_id} 没有承办记录 {assignment_id}。", param_hint="--assignment")
    click.echo(f"{user.name}（{user.role_label}）· {case.session.name} {case.number_label} · {case.state_label}")
    for line in explain(user, case, assignment_id):
        click.echo(f"{'✓' if line.decision else '✗'} {line.label}{line.about}"
                   + ("" if line.decision else f"：{line.decision.reason}"))


@click.group("stats")
def stats_group():
    """The statistics' facts (one row per assignment, kept by the services)."""


@stats_group.command("rebuild")
@click.option("--check", is_flag=True, help="只比对，不重建；有差异时以非零状态退出")
@click.option("--missing", is_flag=True, help="只补算还没有事实数据的案件（升级后首次运行）")
def stats_rebuild(check, missing):
    """Recompute the facts from the event log and the source rows, or (--check) compare them."""
    from caseflow import facts

    if not check:
        click.echo(f"已计算 {facts.rebuild(missing_only=missing)} 条承办统计数据。")
        return
    found = facts.differences()
    for d in found:
        click.echo(f"承办 {d.assignment_id} · {d.column}：已存 {d.stored!r}，应为 {d.computed!r}")
    if found:
        raise click.ClickException(f"统计数据与事件记录不一致（{len(found)} 处{'以上' if len(found) >= 100 else ''}）。")
    click.echo("统计数据与事件记录一致。")


@click.group("import")
def import_group():
    """Import spreadsheets."""


@import_group.command("cases")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--session", "session_ref", required=True, help="届次：编号或名称")
@click.option("--as", "username", default="dispatcher", show_default=True, help="以哪个督查科账号导入")
@click.option("--dry-run", is_flag=True, help="仅检查，不导入")
def import_cases(path, session_ref, username, dry_run):
    """Import a 交办清单 (.xlsx): all rows or none; every bad row is listed."""
    from caseflow.models import Session, User
    from caseflow.services import importer

    session = db.session.scalar(select(Session).where(
        (Session.id == int(session_ref)) if session_ref.isdigit() else (Session.name == session_ref)))
    if session is None:
        raise click.BadParameter(f"找不到届次“{session_ref}”。", param_hint="--session")
    actor = db.session.scalar(select(User).where(User.username == username))
    if actor is None:
        raise click.BadParameter(f"找不到用户“{username}”。", param_hint="--as")
    try:
        with open(path, "rb") as fh:
            result = importer.run(actor, fh, session, dry_run=dry_run)
    except ServiceError as e:
        raise click.ClickException(e.message) from e
    for w in result.warnings:
        click.echo(f"提示：第{w.row}行 [{w.column}] {w.reason}")
    for e in result.errors:
        click.echo(f"第{e.row}行 [{e.column}] {e.reason}")
    if result.errors:
        raise click.ClickException(f"发现 {len(result.errors)} 处错误，未导入任何数据。")
    if dry_run:
        click.echo(f"检查通过：将导入 {len(result.planned)} 件（未保存）。")
    else:
        click.echo(f"已导入 {result.created} 件。新增提出人 {len(result.new_proposers)} 位。")


@click.group("report")
def report_group():
    """Write report PDFs."""


@report_group.command("unit")
@click.option("--unit", "unit_name", required=True, help="单位名称或简称")
@click.option("--year", type=int, required=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="默认：<年度>年办理工作总结-<单位>.pdf")
def report_unit(unit_name, year, output):
    """The unit's year-end summary (年度办理工作总结) as a PDF."""
    from caseflow.models import Unit
    from caseflow.reports import unit_summary

    unit = db.session.scalar(select(Unit).where((Unit.name == unit_name) | (Unit.short_name == unit_name)))
    if unit is None:
        raise click.BadParameter(f"找不到单位“{unit_name}”。", param_hint="--unit")
    _write_pdf(output or f"{year}年办理工作总结-{unit.name}.pdf",
               unit_summary.render({"unit_id": unit.id, "year": year}, lambda _: None))


@report_group.command("district")
@click.option("--year", type=int, required=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="默认：<年度>年建议提案办理情况报告.pdf")
def report_district(year, output):
    """The district report (全区办理情况报告) as a PDF."""
    from caseflow.reports import district

    _write_pdf(output or f"{year}年建议提案办理情况报告.pdf", district.render({"year": year}, lambda _: None))


def _write_pdf(path: str, pdf: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(pdf)
    click.echo(f"已写入 {path}")
