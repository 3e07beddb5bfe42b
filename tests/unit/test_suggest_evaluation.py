"""The CSV readers and the cross-validation harness, on tiny files written here (not the shared data)."""
import csv
import json

import pytest

from caseflow.suggest.evaluation import evaluate_duplicates, evaluate_routing
from caseflow.suggest.history_csv import CsvError, read_groups, read_routing
from caseflow.suggest.model import GRID

ROUTING_HEADER = ["source", "year", "body", "number", "title", "text", "category", "lead_units", "co_units"]
# every title of a unit carries its marker (学校 / 公交 / 医院) among words all three units share
PLACES = ["城南", "城北", "东部", "西部", "新区", "老城", "沿山", "滨海"]
THINGS = ["配套", "管理", "安全", "建设", "服务", "改造", "布局", "提升"]
UNITS = {"学校": "市教育局", "公交": "市交通运输局", "医院": "市卫生健康局"}


def _write(path, header, rows, bom=False):
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def routing_csv(tmp_path):
    rows, n = [], 0
    for marker, unit in UNITS.items():
        for i, (place, thing) in enumerate(zip(PLACES, THINGS[3:] + THINGS[:3])):
            n += 1
            co = "市财政局、市委统战部（侨办、台办）" if i % 2 else ""
            rows.append(["test", 2017, "npc_suggestion", n, f"关于{place}{marker}{thing}的建议", "", "其他", unit, co])
    # the only case of its unit: in every split its unit is unseen in training, so it can never be hit
    rows.append(["test", 2017, "npc_suggestion", n + 1, "关于档案数字化的建议", "", "其他", "市档案馆", ""])
    return _write(tmp_path / "routing.csv", ROUTING_HEADER, rows, bom=True)


def test_routing_reader_normalises_and_splits_units(routing_csv):
    items = read_routing(routing_csv)
    assert len(items) == 25
    second = items[1]
    assert second.title == "关于城北学校服务的建议"  # THINGS rotated by three
    assert second.leads == ("市教育局",)
    assert second.cos == ("市财政局", "市委统战部(侨办、台办)")  # 、 inside the brackets kept, width folded
    assert second.ref == "2"


def test_routing_reader_refuses_a_file_with_bad_rows_and_names_them(tmp_path):
    path = _write(tmp_path / "bad.csv", ROUTING_HEADER, [
        ["t", 2017, "npc_suggestion", 1, " ", "", "其他", "市教育局", ""],
        ["t", 2017, "npc_suggestion", 2, "关于学校的建议", "", "其他", "", ""],
    ])
    with pytest.raises(CsvError) as e:
        read_routing(path)
    assert "第2行：标题为空" in str(e.value) and "第3行：主办单位为空" in str(e.value)


def test_routing_reader_refuses_a_file_without_the_unit_column(tmp_path):
    path = _write(tmp_path / "nounits.csv", ["title", "category"], [["关于学校的建议", "其他"]])
    with pytest.raises(CsvError, match="缺少列 lead_units"):
        read_routing(path)


def test_routing_reader_refuses_other_encodings(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("title,lead_units\n关于学校的建议,市教育局\n".encode("gbk"))
    with pytest.raises(CsvError, match="UTF-8"):
        read_routing(path)


def test_routing_evaluation_hits_every_learnable_case_and_never_the_unseen_unit(routing_csv):
    r = evaluate_routing(read_routing(routing_csv), folds=5, seed=0)
    # 24 cases carry their unit's marker and share everything else; the 25th unit is never in training
    assert r["model"]["top1"] == pytest.approx(24 / 25)
    assert r["model"]["top3"] == pytest.approx(24 / 25)
    assert r["baseline"]["top3"] <= 24 / 25  # the baseline cannot know the unseen unit either
    assert len(r["model"]["chosen_per_fold"]) == 5
    assert r["items"] == 25 and r["units"] == 4


def test_routing_evaluation_is_repeatable_with_its_seed(routing_csv):
    items, grid = read_routing(routing_csv), GRID[:2]  # two parameter sets keep it quick
    first, second = (evaluate_routing(items, folds=3, seed=7, grid=grid) for _ in range(2))
    assert (first["model"], first["baseline"]) == (second["model"], second["baseline"])


GROUP_HEADER = ["registration_no", "title", "category", "first_review", "bingan_group"]
UNRELATED = ["发展乡村旅游", "扶持小微企业融资", "完善养老服务体系", "保护历史文化街区", "提高教师待遇",
             "治理河道污染", "规范外卖骑手交通", "建设智慧医疗平台"]


@pytest.fixture
def groups_csv(tmp_path):
    rows = [
        [1, "关于解决城区停车难问题的建议", "", "并案", "1"],
        [2, "关于解决城区停车难问题的建议 ", "", "立案", "1"],
        [3, "关于推进垃圾分类的建议", "", "并案", "3"],
        [4, "关于推进垃圾分类的建议", "", "立案", "3"],
        [5, "关于解决城区停车难问题的建议", "", "不予立案", ""],  # same title, but never a merge candidate
    ]
    rows += [[6 + i, f"关于{t}的建议", "", "立案", ""] for i, t in enumerate(UNRELATED)]
    return _write(tmp_path / "groups.csv", GROUP_HEADER, rows)


def test_group_reader_marks_the_reviewed_proposals(groups_csv):
    rows = read_groups(groups_csv)
    assert [r.group for r in rows[:5]] == ["1", "1", "3", "3", ""]
    assert [r.reviewed for r in rows[:5]] == [True, True, True, True, False]
    assert rows[1].item.title == "关于解决城区停车难问题的建议" and rows[1].item.ref == "2"


def test_group_reader_needs_a_group(tmp_path):
    path = _write(tmp_path / "nogroups.csv", GROUP_HEADER, [[1, "关于学校的建议", "", "立案", ""]])
    with pytest.raises(CsvError, match="没有并案组"):
        read_groups(path)


def test_duplicate_evaluation_counts_hits_and_pairs(groups_csv):
    r = evaluate_duplicates(read_groups(groups_csv), folds=3, seed=0)
    reviewed, every = r["reviewed"], r["all_rows"]
    # reviewed: the two identical pairs are each other's nearest and the only pairs flagged
    assert (reviewed["proposals"], reviewed["grouped"], reviewed["true_pairs"]) == (12, 4, 2)
    assert reviewed["model"]["top1"] == 1.0 and reviewed["model"]["top3"] == 1.0
    assert reviewed["model"]["pair_precision"] == 1.0 and reviewed["model"]["pair_recall"] == 1.0
    # all rows: the rejected copy of 停车难 adds two flagged pairs that are not in a group: 2 of 4
    assert every["proposals"] == 13 and every["model"]["flagged_pairs"] == 4
    assert every["model"]["pair_precision"] == 0.5 and every["model"]["pair_recall"] == 1.0
    assert every["model"]["top3"] == 1.0


def test_cli_prints_both_figures_and_writes_json(app, routing_csv, groups_csv, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "results" / "routing.json"
    result = runner.invoke(args=["suggest", "evaluate", "--history", str(routing_csv), "--folds", "5",
                                 "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "本模型" in result.output and "基线（同一次运行）" in result.output and "96.0 %" in result.output
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["model"]["top1"] == pytest.approx(0.96) and saved["file"] == "routing.csv"
    result = runner.invoke(args=["suggest", "evaluate-duplicates", "--file", str(groups_csv), "--folds", "3"])
    assert result.exit_code == 0, result.output
    assert "配对精确率" in result.output and "100.0 %" in result.output


def test_cli_refuses_a_bad_file_with_its_reason(app, tmp_path):
    path = _write(tmp_path / "bad.csv", ["title"], [["关于学校的建议"]])
    result = app.test_cli_runner().invoke(args=["suggest", "evaluate", "--history", str(path)])
    assert result.exit_code != 0 and "缺少列 lead_units" in result.output
