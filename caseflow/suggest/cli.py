"""``flask suggest …``: the evaluations of issue #20 and the hit rate of suggestions in use."""
from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("suggest")
def suggest_group():
    """智能交办 and 并案 hints."""


def _write_json(path: str | None, result: dict) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        click.echo(f"已写入 {path}")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:5.1f} %"


def _versus_aim(value: float, aim: float | None) -> str:
    if aim is None:
        return ""
    return "  达到目标" if value >= aim else f"  未达目标（差 {100 * (aim - value):.1f} 个百分点）"


def _evaluation(name: str, file_option: str, file_help: str, reader: str, evaluator: str, format_result, doc: str):
    """One ``flask suggest`` evaluation: read the CSV (a bad file is refused with its reasons),
    cross-validate, print, and save the JSON when asked."""

    @suggest_group.command(name, help=doc)
    @click.option(file_option, "path", required=True, type=click.Path(exists=True, dir_okay=False), help=file_help)
    @click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
    @click.option("--seed", default=0, show_default=True, type=int)
    @click.option("--json", "json_path", type=click.Path(dir_okay=False), help="结果另存为 JSON")
    def command(path, folds, seed, json_path):
        from caseflow.suggest import evaluation, history_csv

        try:
            rows = getattr(history_csv, reader)(path)
        except history_csv.CsvError as e:
            raise click.ClickException(str(e)) from e
        result = getattr(evaluation, evaluator)(rows, folds=folds, seed=seed)
        click.echo(format_result(result, path))
        _write_json(json_path, {"file": Path(path).name, **result})

    return command


def format_routing(r: dict, path: str) -> str:
    m, b, issue, aims = r["model"], r["baseline"], r["issue_baseline"], r["aims"]
    lines = [
        f"主办单位建议：{Path(path).name}，{r['items']} 件，{r['units']} 个主办单位，"
        f"{r['folds']} 折交叉验证（按件打乱，seed={r['seed']}），用时 {r['seconds']} 秒",
        f"{'':22}{'第一建议命中':>10}{'前三建议命中':>12}",
        f"{'本模型':20}{_pct(m['top1']):>12}{_pct(m['top3']):>14}",
        f"{'基线（同一次运行）':16}{_pct(b['top1']):>12}{_pct(b['top3']):>14}",
        f"{'基线（issue 所列）':16}{_pct(issue['top1']):>12}{_pct(issue['top3']):>14}",
        f"目标：第一建议 ≥ {_pct(aims['top1']).strip()}{_versus_aim(m['top1'], aims['top1'])}；"
        f"前三 ≥ {_pct(aims['top3']).strip()}{_versus_aim(m['top3'], aims['top3'])}",
        "各折内层交叉验证选定的参数：",
    ]
    lines += [f"  第{i}折：C={c['C']} 类别权重={c['category_weight']} 会办权重={c['co_weight']} "
              f"温度={c['temperature']}" for i, c in enumerate(m["chosen_per_fold"], 1)]
    return "\n".join(lines)


def format_duplicates(r: dict, path: str) -> str:
    issue, aims = r["issue_baseline"], r["aims"]
    lines = [f"并案提示：{Path(path).name}，{r['rows']} 件，{r['folds']} 折交叉验证（seed={r['seed']}），用时 {r['seconds']} 秒"]
    for key, label in (("all_rows", "全部提案"), ("reviewed", "经初审立案/并案的提案（不予立案、未初审的不是并案对象）")):
        p = r[key]
        m, b = p["model"], p["baseline"]
        lines += [
            f"{label}：{p['proposals']} 件，{p['groups']} 个并案组共 {p['grouped']} 件，组内配对 {p['true_pairs']} 对",
            f"  {'':20}{'最相似1件同组':>10}{'最相似3件含同组':>12}{'配对精确率':>10}{'配对召回率':>10}",
            f"  {'本模型':18}{_pct(m['top1']):>12}{_pct(m['top3']):>14}{_pct(m['pair_precision']):>14}"
            f"{_pct(m['pair_recall']):>13}  （提示 {m['flagged_pairs']} 对）",
            f"  {'基线（同一次运行）':14}{_pct(b['top1']):>12}{_pct(b['top3']):>14}",
            f"  目标：前三 ≥ {_pct(aims['top3']).strip()}{_versus_aim(m['top3'], aims['top3'])}；配对精确率 ≥ "
            f"{_pct(aims['pair_precision']).strip()}{_versus_aim(m['pair_precision'], aims['pair_precision'])}",
            "  各折在训练折上选定的类别权重 / 相似度阈值：" + "，".join(
                f"{c['category_weight']} / {c['threshold']}" for c in m["chosen_per_fold"]),
        ]
    lines.append(f"issue 所列基线：最相似1件 {_pct(issue['top1']).strip()}，最相似3件 {_pct(issue['top3']).strip()}")
    return "\n".join(lines)


evaluate_command = _evaluation(
    "evaluate", "--history", "CSV，列同 cixi_2017_routing.csv（title, category, text, lead_units, co_units）",
    "read_routing", "evaluate_routing", format_routing,
    "Cross-validate the lead-unit suggestions against the baseline, on the same folds.")
evaluate_duplicates_command = _evaluation(
    "evaluate-duplicates", "--file", "CSV，列同 cixi_2018_cppcc_bingan.csv（title, category, bingan_group, first_review）",
    "read_groups", "evaluate_duplicates", format_duplicates,
    "Top-1/top-3 of the similar-case hint for merged proposals, and the pairs it would flag.")


@suggest_group.command("hit-rate")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="交办日期起（含）")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="交办日期止（含）")
@click.option("--body", type=click.Choice(["npc_suggestion", "cppcc_proposal"]))
def hit_rate_command(since, until, body):
    """How often 交办 chose a suggested lead unit."""
    from caseflow.services.suggestion_log import hit_rate

    r = hit_rate(since.date() if since else None, until.date() if until else None, body)
    click.echo(f"已交办的建议 {r.decided} 件：第一建议被采用 {r.top1} 件（{_pct(r.top1_rate).strip()}），"
               f"前三建议含所选主办单位 {r.top3} 件（{_pct(r.top3_rate).strip()}）。")
