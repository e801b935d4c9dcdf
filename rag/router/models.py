"""Fitted linear models as plain arrays: fitting with scikit-learn, inference with numpy.

Each model is L2-regularised logistic regression fitted from zero to a tight tolerance (Newton
conjugate gradient; half a minute for the largest, the type model over 100,000 features), so it is
fixed by its data and its strength ``C``. (Near enough the optimum, not at it: started from another
fit's weights, the type model's probabilities come out up to 0.015 apart.) The strength is chosen
by cross-validated log loss (``LogisticRegressionCV``) over ``CS``, so the probabilities are
calibrated on folds held apart from the fit; the strengths chosen for the shipped data and
embedders are stored (``rag/data/strengths.yaml``), and a model fits once at its stored strength:
cross-validation is five strengths on three folds, about twenty minutes per router on two cores. The
weights are saved as ``.npz`` arrays (never pickles), so a stored router is data, not code.

The solvers spend their time in compiled code that lets go of Python's lock, so independent fits
run ``together`` on two threads, in about half the time, with the weights they have alone.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np

# Regularisation strengths tried by cross-validation. Steps of about 3, not 10: with (1, 10, 100)
# a few added training examples could flip the type model's choice from 10 to 100 and move a
# dozen unrelated answers; between neighbours a step of 3 changes the fit far less.
CS = (1.0, 3.0, 10.0, 30.0, 100.0)
FOLDS = 3
# Newton-CG to a tight tolerance: the fit is near the optimum (above). L-BFGS stopped at
# 1e-3 (as before) left probabilities up to 0.2 away from it, set by the path it took; run to the
# optimum, L-BFGS takes four times as long as Newton-CG on the type model (400,000 weights).
SOLVER, TOL, MAX_ITER = "newton-cg", 1e-6, 1000
THREADS = 2  # fits at once: the machines this runs on have two cores or more

T = TypeVar("T")
_QUIET: ContextVar[bool] = ContextVar("fitting_quietly", default=False)


@dataclass
class LinearModel:
    """Logistic regression weights: a softmax over ``classes`` or, when ``binary``, one sigmoid."""

    classes: list[str]
    coef: np.ndarray  # (classes, features); one row when binary
    intercept: np.ndarray
    binary: bool = False
    c: float = 1.0  # the regularisation strength cross-validation chose

    def logits(self, x: Any) -> np.ndarray:
        return np.asarray(x @ self.coef.T, dtype=np.float64) + self.intercept

    def proba(self, x: Any) -> np.ndarray:
        """Rows of class probabilities (binary: the probability of the positive class, one column)."""
        z = self.logits(x)
        if self.binary:
            return 1.0 / (1.0 + np.exp(-z))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        return {f"{name}.coef": self.coef, f"{name}.intercept": np.asarray(self.intercept, dtype=np.float64)}

    def meta(self) -> dict[str, Any]:
        return {"classes": self.classes, "binary": self.binary, "c": self.c}

    @classmethod
    def from_arrays(cls, name: str, meta: dict[str, Any], z: Any) -> LinearModel:
        return cls(meta["classes"], z[f"{name}.coef"], z[f"{name}.intercept"], bool(meta["binary"]), meta["c"])


@contextmanager
def _fitting() -> Iterator[None]:
    """Fit quietly, on two threads: convergence and API notices say nothing about the fit, and
    process workers (joblib's default) outlive the fit and hold up the exit of a ``rag index``
    run or of a worker process for minutes. Inside ``together`` its caller has done this: warning
    filters are the process's, and a worker that set and restored them would undo another's."""
    if _QUIET.get():
        yield
        return
    from joblib import parallel_config

    token = _QUIET.set(True)
    try:
        with warnings.catch_warnings(), parallel_config(backend="threading", n_jobs=THREADS):
            warnings.simplefilter("ignore")
            yield
    finally:
        _QUIET.reset(token)


def together(jobs: Sequence[Callable[[], T]], done: Callable[[], None] | None = None) -> list[T]:
    """Each job's result, in order, the jobs run ``THREADS`` at a time (longest first is quickest).
    Each fit computes what it would alone: only the wall time changes. ``done``: called (on this
    thread) as each job ends, for a progress bar."""
    with _fitting(), ThreadPoolExecutor(THREADS, thread_name_prefix="fit") as pool:
        futures = [pool.submit(copy_context().run, job) for job in jobs]
        if done is not None:
            for _ in as_completed(futures):
                done()
        return [f.result() for f in futures]


def _fixed(c: float, balanced: bool = False) -> Any:
    from sklearn.linear_model import LogisticRegression

    weights = "balanced" if balanced else None
    return LogisticRegression(C=c, solver=SOLVER, tol=TOL, max_iter=MAX_ITER, class_weight=weights)


def _searched(cs: Sequence[float], balanced: bool = False) -> Any:
    from sklearn.linear_model import LogisticRegressionCV

    weights = "balanced" if balanced else None
    return LogisticRegressionCV(
        Cs=list(cs), cv=FOLDS, scoring="neg_log_loss", solver=SOLVER, tol=TOL, max_iter=MAX_ITER, class_weight=weights
    )


def _estimator(c: float | None, labels: Sequence[Any] | np.ndarray, cs: Sequence[float], balanced: bool = False) -> Any:
    """The model to fit: at strength ``c``, or (None) searching ``cs`` by cross-validation, or at
    the middle of ``cs`` where a class of ``labels`` has too few examples to cross-validate."""
    if c is not None:
        return _fixed(c, balanced)
    smallest = min(Counter(labels).values())
    if smallest >= FOLDS and len(cs) > 1:
        return _searched(cs, balanced)
    return _fixed(float(sorted(cs)[len(cs) // 2]), balanced)


def _strength(model: Any) -> float:
    """The strength a fitted model used: the one cross-validation chose, or the one it was given."""
    return float(np.ravel(model.C_)[0]) if hasattr(model, "C_") else float(model.C)


def fit_softmax(x: Any, y: Sequence[str], *, c: float | None = None, cs: Sequence[float] = CS) -> LinearModel:
    """Multinomial logistic regression at strength ``c``, or (None) the strength of ``cs`` with the
    best cross-validated log loss."""
    labels = list(y)
    model = _estimator(c, labels, cs)
    with _fitting():
        model.fit(x, labels)
    coef, intercept = model.coef_, np.asarray(model.intercept_, dtype=np.float64)
    if coef.shape[0] == 1:  # two classes: scikit-learn fits one logit; a softmax over (-z/2, z/2) is its sigmoid
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.concatenate([-intercept / 2, intercept / 2])
    return LinearModel(list(map(str, model.classes_)), coef.astype(np.float32), intercept, c=_strength(model))


def fit_binary(
    x: Any, y: Sequence[int], *, c: float | None = None, cs: Sequence[float] = CS, balanced: bool = False
) -> LinearModel:
    """Binary logistic regression at strength ``c``, or (None) the strength of ``cs`` with the best
    cross-validated log loss (the middle one where a class has too few examples to cross-validate).

    ``balanced``: each class weighs as much as the other in total, whatever their counts, so the
    probability is the one for even odds of the two (where the negatives are many more, and of
    many sorts, than the positives).
    """
    labels = np.asarray(y, dtype=int)
    model = _estimator(c, labels, cs, balanced)
    with _fitting():
        model.fit(x, labels)
    return LinearModel(["yes"], model.coef_.astype(np.float32), model.intercept_, binary=True, c=_strength(model))


class OutOfFold:
    """Each row's class probabilities from a model fitted without that row (stacking without
    leakage): one fit per fold, as ``jobs`` to run (``together`` with others, say), then ``proba``
    of their results."""

    def __init__(self, x: Any, y: Sequence[str], c: float, folds: int = FOLDS, seed: int = 0) -> None:
        from sklearn.model_selection import StratifiedKFold

        labels = np.asarray(list(y))
        self.classes = sorted(set(labels.tolist()))
        self.rows = len(labels)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        with _fitting():  # quietly: a class with fewer examples than folds is in some folds only
            splits = list(splitter.split(np.zeros(len(labels)), labels))
        self.jobs = [partial(self._fold, x, labels, c, train, test) for train, test in splits]

    def _fold(self, x: Any, labels: np.ndarray, c: float, train: np.ndarray, test: np.ndarray) -> Any:
        with _fitting():
            model = _fixed(c).fit(x[train], labels[train])
        cols = np.asarray([self.classes.index(str(k)) for k in model.classes_])
        return np.ix_(test, cols), model.predict_proba(x[test])

    def proba(self, done: Sequence[Any]) -> np.ndarray:
        """The rows' probabilities (columns: ``classes``) from the results of ``jobs``, in order."""
        out = np.zeros((self.rows, len(self.classes)))
        for at, block in done:
            out[at] = block
        return out


def out_of_fold(x: Any, y: Sequence[str], c: float, folds: int = FOLDS, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``OutOfFold``'s classes and probabilities, its folds fitted ``together``."""
    oof = OutOfFold(x, y, c, folds, seed)
    return oof.classes, oof.proba(together(oof.jobs))


def save(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    blob = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with tmp.open("wb") as f:
        np.savez(f, **cast(dict[str, Any], {"__meta__": blob, **arrays}))
    os.replace(tmp, path)


def load(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    """The metadata and arrays of a saved file, or None when it is absent or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["__meta__"]).decode())
            return meta, {k: z[k] for k in z.files if k != "__meta__"}
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
