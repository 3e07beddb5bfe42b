"""Mutation testing (issue 21): how many small changes to the rule-holding modules the tests notice.

For each module, mutmut (requirements-mutate.txt) mutates it in a copy of the repository under
``mutants/<module>/`` and runs, for each mutant, those of the module's tests that reach the
mutated function. Killed / survived / other counts per module go to
``benchmarks/results/mutation.json`` (a module not run this time keeps its last figures).
Surviving mutants and why they are left: benchmarks/README.md.

    python -m benchmarks.mutation [deadlines stats workflow services] [--minutes N]   (make mutate: all four)
    python -m benchmarks.mutation workflow --survivors      (only the last run's survivors, again)
    python -m benchmarks.mutation services --sample 60      (a random sample of the mutants, seed fixed)
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from fnmatch import fnmatch
from pathlib import Path

from benchmarks.common import RESULTS

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants"
# module → (what is mutated, the tests that cover it: fast subsets, not the whole suite)
MODULES = {
    "deadlines": ("caseflow/deadlines.py", ["tests/unit/test_deadlines.py", "tests/service/test_due_dates.py"]),
    "stats": ("caseflow/stats.py", ["tests/service/test_stats.py"]),
    # the rule book's files and matrix, and the two walks that look at 同意先行答复 and a unit's own part
    "workflow": ("caseflow/workflow/*.py", [
        "tests/unit/test_workflow_spec.py", "tests/service/test_rulebook.py",
        "tests/service/test_lifecycle.py::test_reply_waits_for_co_opinions_unless_overridden",
        "tests/service/test_lifecycle.py::test_each_split_unit_records_its_follow_up_on_its_own_part"]),
    # every service test: mutmut runs, per mutant, only those that reach its function
    "services": ("caseflow/services/*.py", ["tests/service"]),
}
SKIP = {".venv", ".git", "mutants", "instance", "__pycache__", ".pytest_cache", "test-artifacts"}
STATUS = {1: "killed", 3: "killed", 0: "survived", 33: "no tests", 5: "no tests", 36: "timeout", 24: "timeout",
          -24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def prepare(name: str) -> Path:
    """A copy of the repository whose setup.cfg tells mutmut what to mutate and which tests to run."""
    target, tests = MODULES[name]
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(ROOT, work, ignore=lambda folder, names: [n for n in names if n in SKIP])
    others = sorted(p.name for p in ROOT.iterdir() if p.name not in SKIP | {"caseflow", "setup.cfg"})
    lines = "\n    ".join
    with (work / "setup.cfg").open("a") as cfg:
        cfg.write(f"\n[mutmut]\nsource_paths = caseflow\nonly_mutate = {target}\n"
                  f"also_copy =\n    {lines(others)}\n"
                  f"pytest_add_cli_args =\n    -p\n    no:randomly\n    -q\n"
                  # CPU seconds a mutant's tests may take beyond 15x their clean run: the fixtures
                  # (a migrated database, a district of cases) are not in the per-test durations
                  f"timeout_constant = 60\n"
                  f"pytest_add_cli_args_test_selection =\n    {lines(tests)}\n")
    return work


def run(name: str, children: int, minutes: float | None) -> dict:
    work = prepare(name)
    started = time.perf_counter()
    mutmut = subprocess.Popen([str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", str(children)],
                              cwd=work, start_new_session=True)
    try:
        mutmut.wait(timeout=minutes and minutes * 60)
    except subprocess.TimeoutExpired:  # out of time: what was decided so far counts, the rest is "not checked"
        os.killpg(mutmut.pid, signal.SIGTERM)
        mutmut.wait()
    return {**collect(name), "minutes": round((time.perf_counter() - started) / 60, 1)}


def statuses(name: str) -> dict[str, str]:
    """Each mutant of the module's last run and what became of it, from mutmut's files under
    mutants/<module>/."""
    work = WORK / name
    found = {}
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        if not fnmatch(str(meta.relative_to(work / "mutants")).removesuffix(".meta"), MODULES[name][0]):
            continue
        for mutant, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            found[mutant] = STATUS.get(code, "suspicious")
    return found


def collect(name: str) -> dict:
    """The figures of the module's last run."""
    found = statuses(name)
    counts = Counter(found.values())
    return _figures(name, counts, [m for m, status in found.items() if status == "survived"])


def _figures(name: str, counts: Counter[str], survivors: list[str]) -> dict:
    decided = counts["killed"] + counts["survived"]
    return {"target": MODULES[name][0], "tests": MODULES[name][1], **{k: v for k, v in counts.items() if v},
            "total": sum(counts.values()),
            "killed_pct": round(100 * counts["killed"] / decided, 1) if decided else None,
            "survived_mutants": survivors}


def sample(name: str, children: int, size: int, seed: int) -> dict:
    """Run a random sample of the module's mutants (where a full run takes hours here): the counts
    among the sample and the 95 % Wilson interval of the killed share of the whole module."""
    work = prepare(name)
    started = time.perf_counter()
    mutmut = str(Path(sys.executable).parent / "mutmut")
    # mutmut writes every mutant before it filters by name: a filter that matches none only lists them
    subprocess.run([mutmut, "run", "caseflow.x_none_*"], cwd=work, capture_output=True)
    everyone = sorted(statuses(name))
    chosen = random.Random(seed).sample(everyone, min(size, len(everyone)))
    subprocess.run([mutmut, "run", "--max-children", str(children), *chosen], cwd=work, check=True)
    found = statuses(name)
    counts = Counter(found[m] for m in chosen)
    figures = _figures(name, counts, sorted(m for m in chosen if found[m] == "survived"))
    decided = counts["killed"] + counts["survived"]
    figures.update(sample={"of": len(everyone), "seed": seed, "interval_95": wilson(counts["killed"], decided)},
                   minutes=round((time.perf_counter() - started) / 60, 1))
    return figures


def wilson(k: int, n: int, z: float = 1.96) -> list[float] | None:
    """The 95 % Wilson score interval of a share k/n, in percent."""
    if not n:
        return None
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [round(100 * (centre - half) / (1 + z * z / n), 1), round(100 * (centre + half) / (1 + z * z / n), 1)]


def recheck(name: str, children: int, last: dict) -> dict:
    """Run again only the mutants that survived the module's last full run (after tests were added
    for them) and move those now killed to killed; the rest of the figures stay the full run's.
    mutmut numbers mutants per function: a function changed since then numbers its mutants anew."""
    work = prepare(name)
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", str(children),
                    *last["survived_mutants"]], cwd=work, check=True)
    now = statuses(name)
    counts = Counter({k: v for k, v in last.items() if k in {*STATUS.values(), "suspicious"}})
    for mutant in last["survived_mutants"]:
        counts["survived"] -= 1
        counts[now.get(mutant, "not checked")] += 1
    figures = _figures(name, counts, [m for m in last["survived_mutants"] if now.get(m) == "survived"])
    figures.update(tests=last["tests"], minutes=last.get("minutes"), rechecked={
        "mutants": len(last["survived_mutants"]), "killed": counts["killed"] - last["killed"],
        "tests": MODULES[name][1], "minutes": round((time.perf_counter() - started) / 60, 1)})
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", choices=[*MODULES, []], default=list(MODULES))
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--minutes", type=float, help="stop each module after this long (the rest: not checked)")
    parser.add_argument("--collect", action="store_true", help="only read the figures of the last run again")
    parser.add_argument("--survivors", action="store_true",
                        help="run again only the last run's surviving mutants (see recheck)")
    parser.add_argument("--sample", type=int, metavar="N", help="run only N mutants drawn at random (see sample)")
    parser.add_argument("--seed", type=int, default=20261124, help="the sample's seed")
    args = parser.parse_args(argv)
    path = RESULTS / "mutation.json"
    for name in args.modules:
        if args.survivors:
            last = json.loads(path.read_text())["modules"][name]
            figures = recheck(name, args.max_children, last)
        elif args.sample:
            figures = sample(name, args.max_children, args.sample, args.seed)
        else:
            figures = collect(name) if args.collect else run(name, args.max_children, args.minutes)
        # read again: another run (of another module) may have written it meanwhile
        result = json.loads(path.read_text()) if path.exists() else {"benchmark": "mutation", "modules": {}}
        if args.collect:  # the time it took is the run's
            figures["minutes"] = result["modules"].get(name, {}).get("minutes")
        result["modules"][name] = figures
        path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        print(f"{name}: {figures.get('killed', 0)} killed, {figures.get('survived', 0)} survived of "
              f"{figures['total']} ({figures['killed_pct']} % killed) in {figures['minutes']} min")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
