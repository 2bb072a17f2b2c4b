"""The pruned existence screen (a sample of rows rules columns out) gives exactly the
verdicts and messages of the full pass over every row, on designs built to trip it."""

from __future__ import annotations

import numpy as np
import pytest

from mlekit.errors import NoMaximumError, SeparationError
from mlekit.regression._diagnostics import (
    Boundary,
    _screen_stats,
    boundary_stats,
    screen_existence,
)

COUNTS = Boundary(True, False, "1", 30.0, NoMaximumError, "Poisson", at_infinity=True)
BINARY = Boundary(True, True, "1", 30.0, SeparationError, "Bernoulli")


def _verdict(stats, names, has_intercept, bd):
    try:
        screen_existence(stats, names, has_intercept, bd)
    except NoMaximumError as e:
        return str(e)
    return None


def _design(rng: np.random.Generator, n: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    X = rng.standard_normal((n, 6))
    X[:, 1] = rng.integers(0, 3, n)  # a level column
    if kind == "binary":
        y = (rng.random(n) < 0.4).astype(float)
        if rng.random() < 0.5:  # a separating column, hidden among the last rows
            j = int(rng.integers(0, 6))
            X[:, j] = np.where(y == 1, 1.0 + rng.random(n), -rng.random(n))
    else:
        y = rng.poisson(1.0, n).astype(float)
        if rng.random() < 0.5:  # a dummy that is 0 on every y > 0 row, sorted to the end
            j = int(rng.integers(0, 6))
            X[:, j] = 0.0
            zeros = np.flatnonzero(y == 0)
            X[zeros[-max(1, zeros.size // 7):], j] = 1.0
    if rng.random() < 0.3:  # a column constant on the interior only past the sample
        X[:, 5] = 0.0
        X[-3:, 5] = 2.0
    return X, y


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("kind", ["binary", "counts"])
@pytest.mark.parametrize("has_intercept", [True, False])
def test_pruned_screen_matches_the_full_pass(seed, kind, has_intercept):
    rng = np.random.default_rng(seed)
    X, y = _design(rng, 5000, kind)
    bd = BINARY if kind == "binary" else COUNTS
    ua = 1.0 if kind == "binary" else None
    names = [f"x{j}" for j in range(X.shape[1])]
    full = boundary_stats(X, y, None, ua, bd)
    pruned = _screen_stats(X, y, None, ua, bd, has_intercept, chunk_rows=700, sample=64)
    assert _verdict(pruned, names, has_intercept, bd) == _verdict(full, names, has_intercept, bd)


def test_the_screen_trips_on_a_column_the_sample_cannot_rule_out():
    rng = np.random.default_rng(1)
    n = 20_000
    X = rng.standard_normal((n, 3))
    y = rng.poisson(2.0, n).astype(float)
    X[:, 2] = 0.0
    X[np.flatnonzero(y == 0)[-5:], 2] = 1.0  # only the last five zero rows: x2 > 0 -> y = 0
    names = ["a", "b", "c"]
    msg = _verdict(_screen_stats(X, y, None, None, COUNTS, True, 4096), names, True, COUNTS)
    assert msg is not None and "'c'" in msg
    assert msg == _verdict(boundary_stats(X, y, None, None, COUNTS), names, True, COUNTS)


def _separation_verdict(X, y, names):
    from mlekit.regression._diagnostics import check_separation

    try:
        check_separation(X, y, names, True)
    except SeparationError as e:
        return str(e)
    return None


@pytest.mark.parametrize("seed", range(40))
def test_pruned_separation_screen_matches_the_full_ranges(seed, monkeypatch):
    """check_separation with its sampled pruning gives the message of the full ranges."""
    from mlekit.regression import _diagnostics as D

    rng = np.random.default_rng(seed)
    n = 4000
    X = rng.standard_normal((n, 5))
    y = (rng.random(n) < 0.3).astype(float)
    kind = seed % 4
    j = int(rng.integers(0, 5))
    if kind == 1:    # complete separation by one column
        X[:, j] = np.where(y == 1, 1.0 + rng.random(n), -rng.random(n))
    elif kind == 2:  # quasi-complete: the classes touch at one value
        X[:, j] = np.where(y == 1, rng.integers(1, 3, n), rng.integers(-1, 2, n))
    elif kind == 3:  # one stray row of the other class, at the end (missed by a sample)
        X[:, j] = np.where(y == 1, 1.0 + rng.random(n), -rng.random(n))
        X[-1, j], y[-1] = 5.0, 0.0
    names = [f"x{i}" for i in range(5)]
    pruned = _separation_verdict(X, y, names)
    monkeypatch.setattr(D, "_pruned_class_ranges", lambda X, p, q: D._class_ranges(X, p, q))
    assert pruned == _separation_verdict(X, y, names)
