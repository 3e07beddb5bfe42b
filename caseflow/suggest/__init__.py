"""智能交办 and 并案 hints: learned from the office's own history, no network, no hand-written rules.

``text`` normalises Chinese titles and unit names; ``model`` ranks lead units and finds similar
cases; ``history_csv`` reads the evaluation files; ``evaluation`` runs the cross-validations
behind ``flask suggest evaluate`` and ``flask suggest evaluate-duplicates``. The database side
(history from assigned cases, the cached model, the log of suggestions) is
``caseflow.services.suggestions``.
"""
