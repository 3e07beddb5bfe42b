"""The lead-unit ranker and the similarity index: character n-grams, a linear SVM, cosine.

A case is seen as three blocks, each L2-normalised on its own so that none drowns the others:
the subject of its title as character 1–2-grams (TF-IDF, sublinear), its body and category as a
one-hot token weighted by ``category_weight``, and its text (the proposal body, when there is
one) as character 1–2-grams weighted by ``TEXT_WEIGHT``. Why characters and not jieba words, and
why these weights, is in the README (section 智能交办) with the figures that decided it.

The ranker is one-vs-rest ``LinearSVC``. Each unit learns from the titles it led (weight 1), the
titles it co-handled (``co_weight``) and its own name (``name_weight``, one pseudo-document: a
title that says 计划生育 points at 市卫生和计划生育局 even when no past case did). Its scores become
confidences through a softmax whose temperature is fitted on held-out folds.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sklearn
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.model_selection import KFold
from sklearn.preprocessing import normalize as l2_rows
from sklearn.svm import LinearSVC

from caseflow.suggest.text import normalize, subject, unit_core

TEXT_WEIGHT = 0.5  # the proposal body; the evaluation data has none, so this weight is not tuned
TEXT_CHARS = 2000  # of a long body, the opening is enough (and keeps a suggestion fast)
TEMPERATURES = (1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0)


@dataclass(frozen=True)
class Item:
    """One case as the models see it; ``ref`` is what a suggestion cites (a case id, a CSV row)."""

    title: str
    category: str = ""
    text: str = ""
    body: str = ""
    leads: tuple[Hashable, ...] = ()
    cos: tuple[Hashable, ...] = ()
    ref: Any = None


@dataclass(frozen=True)
class Params:
    C: float = 1.0
    category_weight: float = 0.5
    co_weight: float = 0.2
    name_weight: float = 1.0


# what the inner cross-validation chooses from (README: how the grid was drawn)
GRID = tuple(Params(C=c, category_weight=w, co_weight=co)
             for c in (0.5, 1.0, 2.0) for w in (0.3, 0.6) for co in (0.0, 0.2, 0.4))


class Featurizer:
    """Title subject, category and text as one sparse matrix (blocks L2-normalised separately)."""

    def __init__(self, category_weight: float, similarity: bool = False):
        """``similarity``: rows of unit length (cosine is a dot product) and hashed n-grams.

        Hashing gives n-grams first seen after the fit (a case registered since the build) a
        column and the highest IDF, where a fitted vocabulary would drop them; the ranker keeps a
        vocabulary, since an n-gram it never saw carries no learned weight anyway.
        """
        self.category_weight = category_weight
        self.similarity = similarity
        self.titles, self.texts = _char_tfidf(similarity), _char_tfidf(similarity)
        self.categories: dict[str, int] = {}

    @staticmethod
    def parts(item: Item) -> tuple[str, str, str]:
        category = normalize(item.category)
        return subject(item.title), f"{item.body}/{category}" if category else "", normalize(item.text)[:TEXT_CHARS]

    def fit_transform(self, docs: Sequence[tuple[str, str, str]]) -> sparse.csr_matrix:
        self.titles.fit([d[0] for d in docs])
        texts = [d[2] for d in docs]
        self.has_text = any(texts)
        if self.has_text:
            self.texts.fit(texts)
        self.categories = {c: i for i, c in enumerate(sorted({d[1] for d in docs if d[1]}))}
        return self.transform(docs)

    def transform(self, docs: Sequence[tuple[str, str, str]]) -> sparse.csr_matrix:
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):  # per query: ms
            return self._transform(docs)

    def _transform(self, docs: Sequence[tuple[str, str, str]]) -> sparse.csr_matrix:
        blocks = [self.titles.transform([d[0] for d in docs])]
        rows = [i for i, d in enumerate(docs) if d[1] in self.categories]
        blocks.append(sparse.csr_matrix(
            (np.full(len(rows), self.category_weight), (rows, [self.categories[docs[i][1]] for i in rows])),
            shape=(len(docs), len(self.categories))))
        if self.has_text:
            blocks.append(TEXT_WEIGHT * self.texts.transform([d[2] for d in docs]))
        matrix = sparse.hstack(blocks, format="csr")
        return l2_rows(matrix) if self.similarity else matrix


def _char_tfidf(hashed: bool):
    return HashedTfidf() if hashed else TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)


class HashedTfidf:
    """Character 1–2-grams hashed to 2**20 columns, sublinear TF, smoothed IDF, rows of unit length.

    What ``TfidfVectorizer`` computes, except that an n-gram unseen at fit time still gets a column
    (and the highest IDF); the IDF is applied by index, where scikit-learn's transformer would
    multiply by a 2**20-square diagonal matrix on every call.
    """

    def __init__(self):
        self.hasher = HashingVectorizer(analyzer="char", ngram_range=(1, 2), n_features=2**20,
                                        alternate_sign=False, norm=None)

    def fit(self, docs: Sequence[str]) -> HashedTfidf:
        counts = self.hasher.transform(docs)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf = np.log((1 + counts.shape[0]) / (1 + df)) + 1.0
        return self

    def transform(self, docs: Sequence[str]) -> sparse.csr_matrix:
        x = self.hasher.transform(docs).tocsr()
        x.data = (1.0 + np.log(x.data)) * self.idf[x.indices]
        return l2_rows(x)


@dataclass
class Ranking:
    """Units in rank order with their confidences (softmax over the allowed units)."""

    units: list[Hashable]
    confidences: list[float]


@dataclass
class UnitRanker:
    params: Params = field(default_factory=Params)
    temperature: float = 5.0

    def fit(self, items: Sequence[Item], unit_names: Mapping[Hashable, str]) -> UnitRanker:
        """Learn from ``items`` (each with its lead units) and the names of the candidate units.

        Units named in ``unit_names`` are candidates even without a past lead case (their name
        and co-handled cases teach them); a lead unit missing there keeps its past cases.
        """
        p = self.params
        self.featurizer = Featurizer(p.category_weight)
        docs, labels, weights = [], [], []
        for item in items:
            parts = Featurizer.parts(item)
            for unit in item.leads:
                docs.append(parts), labels.append(unit), weights.append(1.0)
            if p.co_weight:
                for unit in item.cos:
                    if unit in unit_names and unit not in item.leads:
                        docs.append(parts), labels.append(unit), weights.append(p.co_weight)
        for unit, name in unit_names.items():
            docs.append((unit_core(name), "", "")), labels.append(unit), weights.append(p.name_weight)
        if not docs:
            raise ValueError("no history to learn from")
        matrix = self.featurizer.fit_transform(docs)
        self.classes = sorted(set(labels), key=repr)
        if len(self.classes) == 1:
            self.svm = None
            return self
        self.svm = LinearSVC(C=p.C)
        with warnings.catch_warnings():
            # liblinear may stop at its iteration limit on large histories: the ranking is still usable
            warnings.simplefilter("ignore", ConvergenceWarning)
            # a young office's history has about as many units as cases: still a classification
            warnings.filterwarnings("ignore", "The number of unique classes", UserWarning)
            self.svm.fit(matrix, np.array([self.classes.index(u) for u in labels]), sample_weight=weights)
        return self

    def scores(self, items: Sequence[Item]) -> np.ndarray:
        """Decision values, one column per unit of ``self.classes``."""
        if self.svm is None:
            return np.ones((len(items), 1))
        matrix = self.featurizer.transform([Featurizer.parts(i) for i in items])
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            values = self.svm.decision_function(matrix)
        return np.column_stack([-values, values]) if len(self.classes) == 2 else values

    def rank(self, items: Sequence[Item], k: int = 3, allowed: Collection[Hashable] | None = None) -> list[Ranking]:
        """The ``k`` best units for each item; units outside ``allowed`` are never returned."""
        columns = [i for i, u in enumerate(self.classes) if allowed is None or u in allowed]
        if not columns:
            return [Ranking([], []) for _ in items]
        scores = self.scores(items)[:, columns]
        result = []
        for row in scores:
            probs = _softmax(row * self.temperature)
            order = np.argsort(-row, kind="stable")[:k]
            result.append(Ranking([self.classes[columns[j]] for j in order], [float(probs[j]) for j in order]))
        return result


def _softmax(row: np.ndarray) -> np.ndarray:
    e = np.exp(row - row.max())
    return e / e.sum()


def hits(ranked: Sequence[Hashable], truth: Collection[Hashable]) -> tuple[bool, bool]:
    """(top-1 hit, top-3 hit): a lead unit first, or among the first three."""
    return bool(ranked) and ranked[0] in truth, any(u in truth for u in ranked[:3])


def names_in(items: Iterable[Item]) -> dict[Hashable, str]:
    """Every unit of ``items`` (lead or co) named by itself: the candidates when labels are names."""
    return {u: str(u) for item in items for u in (*item.leads, *item.cos)}


def tune(items: Sequence[Item], unit_names: Mapping[Hashable, str], grid: Sequence[Params] = GRID,
         folds: int = 3, seed: int = 0) -> tuple[Params, float, dict[Params, float]]:
    """Choose the parameters and the softmax temperature by cross-validation on ``items`` only.

    Score of a parameter set: top-1 plus top-3 hits over the held-out folds (ties: the earlier
    grid entry). The temperature minimises the held-out log-loss of the chosen set.
    """
    splits = list(KFold(min(folds, len(items)), shuffle=True, random_state=seed).split(items)) if len(items) >= 2 else []
    if not splits:
        return grid[0], 5.0, {}
    results: dict[Params, float] = {}
    held_out: dict[Params, list[tuple[np.ndarray, list[Hashable], list[Item]]]] = {}
    for p in grid:
        total, outs = 0, []
        for train, test in splits:
            ranker = UnitRanker(p).fit([items[i] for i in train], unit_names)
            test_items = [items[i] for i in test]
            scores = ranker.scores(test_items)
            for row, item in zip(scores, test_items):
                ranked = [ranker.classes[j] for j in np.argsort(-row, kind="stable")[:3]]
                top1, top3 = hits(ranked, item.leads)
                total += top1 + top3
            outs.append((scores, ranker.classes, test_items))
        results[p], held_out[p] = total, outs
    best = max(grid, key=lambda p: (results[p], -grid.index(p)))
    return best, _temperature(held_out[best]), results


def _temperature(held_out) -> float:
    """The softmax temperature with the least held-out log-loss."""
    def loss(t: float) -> float:
        total = 0.0
        for scores, classes, test_items in held_out:
            for row, item in zip(scores, test_items):
                probs = _softmax(row * t)
                p = sum(probs[classes.index(u)] for u in item.leads if u in classes)
                total -= math.log(max(p, 1e-9))
        return total
    return min(TEMPERATURES, key=loss)


class SimilarityIndex:
    """Cosine similarity of cases over the same three blocks (rows of unit length)."""

    def __init__(self, items: Sequence[Item], category_weight: float = 0.5):
        self.items = list(items)
        self.featurizer = Featurizer(category_weight, similarity=True)
        self.matrix = self.featurizer.fit_transform([Featurizer.parts(i) for i in self.items]) if self.items else None
        # transposed once: a query row times this is one sparse product, no per-query conversion
        self._columns = self.matrix.T.tocsr() if self.matrix is not None else None

    def similarities(self, queries: Sequence[Item]) -> np.ndarray:
        """One row per query, one column per indexed item."""
        if self.matrix is None:
            return np.zeros((len(queries), 0))
        q = self.featurizer.transform([Featurizer.parts(i) for i in queries])
        return (q @ self._columns).toarray()
