"""Cross-validation behind ``flask suggest evaluate`` and ``flask suggest evaluate-duplicates``.

Honesty rules (issue #20): the model of an outer fold sees the training folds only, and every
choice it makes (parameters, temperature, similarity threshold) comes from an inner
cross-validation on those training folds. The baseline of the issue is computed in the same run
on the same folds.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from caseflow.suggest.history_csv import GroupRow
from caseflow.suggest.model import GRID, Item, Params, SimilarityIndex, UnitRanker, hits, names_in, tune
from caseflow.suggest.text import normalize

ISSUE_BASELINE = {"routing": {"top1": 0.575, "top3": 0.787}, "duplicates": {"top1": 0.724, "top3": 0.882}}
AIMS = {"routing": {"top1": 0.65, "top3": 0.85}, "duplicates": {"top3": 0.95, "pair_precision": 0.50}}
DUPLICATE_CATEGORY_WEIGHTS = (0.3, 0.5, 1.0)
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.30, 0.91, 0.02))


def baseline_text(item: Item) -> str:
    """The issue's baseline document: title + category + body."""
    return " ".join(x for x in (normalize(item.title), normalize(item.category), normalize(item.text)) if x)


def _baseline_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3))


def _rate(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def evaluate_routing(items: Sequence[Item], folds: int = 5, seed: int = 0, grid: Sequence[Params] = GRID,
                     inner_folds: int = 3) -> dict:
    """Top-1/top-3 lead-unit hit rates of the model and of the baseline, same folds."""
    started = time.perf_counter()
    model_hits, base_hits, chosen = [0, 0], [0, 0], []
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(items):
        train_items, test_items = [items[i] for i in train], [items[i] for i in test]
        names = names_in(train_items)
        params, temperature, _ = tune(train_items, names, grid, inner_folds, seed)
        chosen.append({**asdict(params), "temperature": temperature})
        ranker = UnitRanker(params, temperature).fit(train_items, names)
        for ranking, item in zip(ranker.rank(test_items, k=3), test_items):
            for i, hit in enumerate(hits(ranking.units, item.leads)):
                model_hits[i] += hit
        for ranked, item in zip(_baseline_rank(train_items, test_items), test_items):
            for i, hit in enumerate(hits(ranked, item.leads)):
                base_hits[i] += hit
    n = len(items)
    return {
        "items": n, "units": len({u for i in items for u in i.leads}), "folds": folds, "seed": seed,
        "model": {"top1": _rate(model_hits[0], n), "top3": _rate(model_hits[1], n), "chosen_per_fold": chosen},
        "baseline": {"top1": _rate(base_hits[0], n), "top3": _rate(base_hits[1], n)},
        "issue_baseline": ISSUE_BASELINE["routing"], "aims": AIMS["routing"],
        "seconds": round(time.perf_counter() - started, 1),
    }


def _baseline_rank(train: Sequence[Item], test: Sequence[Item]) -> list[list]:
    """Character 1–3-gram TF-IDF and logistic regression (C=10: the issue's figures; README)."""
    vectorizer = _baseline_vectorizer()
    x = vectorizer.fit_transform([baseline_text(i) for i in train])
    y = [i.leads[0] for i in train]
    clf = LogisticRegression(C=10, max_iter=1000).fit(x, y)
    probs = clf.predict_proba(vectorizer.transform([baseline_text(i) for i in test]))
    return [[clf.classes_[j] for j in np.argsort(-row, kind="stable")[:3]] for row in probs]


def evaluate_duplicates(rows: Sequence[GroupRow], folds: int = 5, seed: int = 0) -> dict:
    """Similar-case hints against real 并案 groups, on the reviewed proposals and on all rows."""
    started = time.perf_counter()
    reviewed = [r for r in rows if r.reviewed]
    result = {"rows": len(rows), "folds": folds, "seed": seed,
              "issue_baseline": ISSUE_BASELINE["duplicates"], "aims": AIMS["duplicates"]}
    result["reviewed"] = _evaluate_population(reviewed, folds, seed)
    result["all_rows"] = _evaluate_population(list(rows), folds, seed)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _evaluate_population(rows: Sequence[GroupRow], folds: int, seed: int) -> dict:
    items = [r.item for r in rows]
    groups = np.array([r.group for r in rows], dtype=object)
    grouped = np.array([bool(g) for g in groups])
    same = (groups[:, None] == groups[None, :]) & grouped[:, None] & grouped[None, :]
    np.fill_diagonal(same, False)
    # the index is fitted on every proposal (unsupervised): at registration the system holds them all
    sims = {w: SimilarityIndex(items, w).similarities(items) for w in DUPLICATE_CATEGORY_WEIGHTS}
    for s in sims.values():
        np.fill_diagonal(s, -1.0)
    top, flagged_true, flagged, chosen = [0, 0], 0, 0, []
    fold_of = np.empty(len(items), dtype=int)
    for k, (train, test) in enumerate(KFold(folds, shuffle=True, random_state=seed).split(items)):
        fold_of[test] = k
        weight = max(DUPLICATE_CATEGORY_WEIGHTS, key=lambda w: (_top_hits(sims[w], same, train, train, grouped), -w))
        s = sims[weight]
        threshold = _best_threshold(s, same, train)
        chosen.append({"category_weight": weight, "threshold": threshold})
        top = [a + b for a, b in zip(top, _top_hits_pair(s, same, test, np.arange(len(items)), grouped))]
        # each pair (i, j), i < j, is judged in the fold of i, with that fold's threshold
        for i in test:
            j = np.arange(i + 1, len(items))
            flags = s[i, j] >= threshold
            flagged += int(flags.sum())
            flagged_true += int((flags & same[i, j]).sum())
    n_grouped, true_pairs = int(grouped.sum()), int(np.triu(same, 1).sum())
    base = _baseline_similarities(items)
    base_top = _top_hits_pair(base, same, np.arange(len(items)), np.arange(len(items)), grouped)
    return {
        "proposals": len(items), "grouped": n_grouped, "groups": len({g for g in groups if g}), "true_pairs": true_pairs,
        "model": {"top1": _rate(top[0], n_grouped), "top3": _rate(top[1], n_grouped),
                  "pair_precision": _rate(flagged_true, flagged), "pair_recall": _rate(flagged_true, true_pairs),
                  "flagged_pairs": flagged, "chosen_per_fold": chosen},
        "baseline": {"top1": _rate(base_top[0], n_grouped), "top3": _rate(base_top[1], n_grouped)},
    }


def _top_hits_pair(s: np.ndarray, same: np.ndarray, queries, candidates, grouped) -> tuple[int, int]:
    """(top-1, top-3) hits of the grouped ``queries`` ranked against ``candidates``."""
    candidates = np.asarray(candidates)
    top1 = top3 = 0
    for i in queries:
        if not grouped[i]:
            continue
        pool = candidates[candidates != i]
        best = pool[np.argsort(-s[i, pool], kind="stable")[:3]]
        top1 += bool(len(best)) and bool(same[i, best[0]])
        top3 += bool(same[i, best].any())
    return top1, top3


def _top_hits(s, same, queries, candidates, grouped) -> int:
    return sum(_top_hits_pair(s, same, queries, candidates, grouped))


def _best_threshold(s: np.ndarray, same: np.ndarray, train) -> float:
    """The similarity above which a pair of training proposals is flagged, best F1 on those pairs."""
    pairs = np.array(list(itertools.combinations(sorted(train), 2)))
    values, truth = s[pairs[:, 0], pairs[:, 1]], same[pairs[:, 0], pairs[:, 1]]

    def f1(t: float) -> float:
        flags = values >= t
        tp = int((flags & truth).sum())
        return 2 * tp / (int(flags.sum()) + int(truth.sum())) if tp else 0.0

    return max(THRESHOLDS, key=lambda t: (f1(t), t))


def _baseline_similarities(items: Sequence[Item]) -> np.ndarray:
    """The issue's baseline: character 1–3-gram TF-IDF of title + category + body, cosine."""
    x = _baseline_vectorizer().fit_transform([baseline_text(i) for i in items])
    s = (x @ x.T).toarray()
    np.fill_diagonal(s, -1.0)
    return s
