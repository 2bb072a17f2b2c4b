r"""k-nearest-neighbour estimators of entropy and KL divergence from samples.

* :func:`knn_entropy` — Kozachenko–Leonenko (1987):

  .. math:: \hat H = \psi(n) - \psi(k) + \log V_d + \frac{d}{n}\sum_{i=1}^n \log \varepsilon_i ,

  with :math:`\varepsilon_i` the distance from :math:`x_i` to its k-th nearest
  neighbour among the other points and :math:`V_d = \pi^{d/2}/\Gamma(d/2+1)` the
  volume of the unit ball in :math:`\mathbb{R}^d`.
* :func:`knn_kl` — Wang, Kulkarni & Verdú (2009), for x ~ p (n points) and
  y ~ q (m points):

  .. math:: \widehat{\mathrm{KL}}(p\,\|\,q) = \frac{d}{n}\sum_{i=1}^n
            \log\frac{\nu_k(i)}{\rho_k(i)} + \log\frac{m}{n-1},

  with :math:`\rho_k(i)` the distance from :math:`x_i` to its k-th neighbour in
  x (itself excluded) and :math:`\nu_k(i)` to its k-th neighbour in y.

Both are consistent (they converge as n, m → ∞ for fixed k) and use
:class:`scipy.spatial.cKDTree`. The reported error is the standard error of the
per-point terms, ``std / sqrt(n)`` — an asymptotic guide that treats the
neighbour distances as independent, not a rigorous bound.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from ..domains import first_bad_index
from ..errors import DataError
from ._result import DivergenceResult

__all__ = ["knn_entropy", "knn_kl"]


def _points(x: Any, what: str) -> np.ndarray:
    """Samples as an (n, d) float array; 1-D input is n points in one dimension."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} must be numeric: {exc}") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"{what} must be 1-D (n points) or 2-D (n points x d dimensions); "
                        f"got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError(f"{what} contains a non-finite value at index {first_bad_index(bad)}")
    return arr


def _check_k(k: int, n: int, what: str) -> int:
    k = int(k)
    if k < 1:
        raise DataError(f"k must be a positive integer; got {k}")
    if n <= k:
        raise DataError(f"{what} has {n} points; the k-NN estimator with k={k} needs more than k")
    return k


def _positive_distances(dist: np.ndarray, what: str, x: np.ndarray) -> np.ndarray:
    zero = dist <= 0
    if zero.any():
        i = int(np.argmax(zero))
        raise DataError(
            f"{what}: point {i} ({x[i].tolist()}) has a k-th nearest neighbour at distance 0 "
            f"({int(zero.sum())} points do): repeated values. k-NN estimators need continuous "
            "data without ties; raise k above the largest number of repeats, or use a "
            "discrete family")
    return dist


def _log_unit_ball(d: int) -> float:
    return 0.5 * d * np.log(np.pi) - float(gammaln(0.5 * d + 1.0))


def knn_entropy(x: Any, k: int = 1) -> DivergenceResult:
    r"""Kozachenko–Leonenko k-NN estimate of the differential entropy H(p) from x ~ p.

    Parameters
    ----------
    x : array (n,) or (n, d)
        Samples from a continuous distribution (no repeated points).
    k : int
        Neighbour order; larger k lowers the variance and raises the bias.

    Returns
    -------
    DivergenceResult
        ``method="knn"``, ``error`` = standard error of the per-point terms.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=20_000)
    >>> r = knn_entropy(x, k=3)
    >>> bool(abs(float(r) - 0.5 * np.log(2 * np.pi * np.e)) < 0.03)
    True
    """
    from scipy.spatial import cKDTree

    pts = _points(x, "x")
    n, d = pts.shape
    k = _check_k(k, n, "x")
    dist, _ = cKDTree(pts).query(pts, k=k + 1)
    eps = _positive_distances(dist[:, k], "x", pts)
    terms = d * np.log(eps)
    value = float(digamma(n) - digamma(k) + _log_unit_ball(d) + terms.mean())
    se = float(terms.std(ddof=1) / np.sqrt(n))
    return DivergenceResult(value, "knn", se, "H(p)", n_samples=n,
                            notes=(f"Kozachenko-Leonenko estimate, k={k}, d={d}",))


def knn_kl(x: Any, y: Any, k: int = 1) -> DivergenceResult:
    r"""Wang–Kulkarni–Verdú k-NN estimate of KL(p ‖ q) from samples x ~ p and y ~ q.

    The **first** sample is from p, the distribution the expectation is taken
    under: KL(p ‖ q) = E_p[log p − log q].

    Parameters
    ----------
    x : array (n,) or (n, d)
        Samples from p.
    y : array (m,) or (m, d)
        Samples from q (same dimension d).
    k : int
        Neighbour order.

    Returns
    -------
    DivergenceResult
        ``method="knn"``; ``error`` = standard error of the per-point terms.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> r = knn_kl(rng.normal(0, 1, 20_000), rng.normal(1, 2, 20_000), k=5)
    >>> bool(abs(float(r) - (np.log(2) + 2 / 8 - 0.5)) < 0.03)
    True
    """
    from scipy.spatial import cKDTree

    xs = _points(x, "x")
    ys = _points(y, "y")
    if xs.shape[1] != ys.shape[1]:
        raise DataError(f"x has dimension {xs.shape[1]} but y has dimension {ys.shape[1]}; "
                        "both samples must live in the same space")
    n, d = xs.shape
    m = ys.shape[0]
    k = _check_k(k, n, "x")
    _check_k(k, m + 1, "y")
    rho = cKDTree(xs).query(xs, k=k + 1)[0][:, k]
    nu = cKDTree(ys).query(xs, k=k)[0]
    nu = nu[:, k - 1] if nu.ndim == 2 else nu
    rho = _positive_distances(rho, "x", xs)
    with np.errstate(divide="ignore"):
        terms = d * (np.log(nu) - np.log(rho))
    if np.any(np.isneginf(terms)):
        i = int(np.argmax(np.isneginf(terms)))
        raise DataError(f"point {i} of x coincides with a point of y at its k-th neighbour "
                        "(distance 0); the k-NN estimator needs continuous data without ties")
    value = float(terms.mean() + np.log(m / (n - 1)))
    se = float(terms.std(ddof=1) / np.sqrt(n))
    return DivergenceResult(value, "knn", se, "KL(p || q)", n_samples=n,
                            notes=(f"Wang-Kulkarni-Verdu estimate, k={k}, d={d}, n={n}, m={m}",))
