"""Zero-inflated Poisson and ordinal regressions on Dask equal the in-memory fits (#21).

The ordinal model's whole-data checks are reductions over every block
(``mlekit.distributed._ordinal``): class counts for the start and the empty-class check,
the constant-combination check, and the existence of the MLE (a Stiemke certificate from
the fit, else the in-memory linear program on the gathered rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import mlekit as mk  # noqa: E402
from mlekit.errors import DataError, NoMaximumError, SingularMatrixError  # noqa: E402

CHUNK = 1_000


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=40) as cl, distributed.Client(cl) as client:
        yield client


@pytest.fixture
def threads():
    import dask

    with dask.config.set(scheduler="threads"):
        yield


def _dask(X, y, w=None, chunk=CHUNK):
    out = [da.from_array(X, chunks=(chunk, X.shape[1])), da.from_array(y, chunks=chunk)]
    return out + ([] if w is None else [da.from_array(w, chunks=chunk)])


def _agree(mem, dsk, rtol=1e-8):
    a, b = mem.result_, dsk.result_
    assert b.llf == pytest.approx(a.llf, rel=rtol)
    np.testing.assert_allclose(b.theta, a.theta, rtol=rtol)
    np.testing.assert_allclose(np.asarray(b.bse), np.asarray(a.bse), rtol=1e-7)
    assert b.llnull == pytest.approx(a.llnull, rel=rtol)
    assert b.nobs == a.nobs
    if hasattr(a.params, "index"):
        assert list(b.params.index) == list(a.params.index)


def _zip_data(seed=0, n=6_000):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    lam = np.exp(0.3 + X @ [0.5, -0.3, 0.2])
    pi = 1.0 / (1.0 + np.exp(0.5 - 0.8 * X[:, 0]))
    y = np.where(rng.random(n) < pi, 0.0, rng.poisson(lam)).astype(float)
    return X, y


def _ordinal_data(seed=0, n=6_000, k_top=3):
    """Four classes from a latent logistic; the rows of the top class sorted to the end,
    so the first blocks have none (a start from the first block named it empty)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = np.digitize(X @ [1.0, -0.5, 0.3] + rng.logistic(size=n), [-1.0, 0.5, 2.0])
    order = np.argsort(y == k_top, kind="stable")
    return X[order], y[order].astype(float)


def test_zip_on_a_local_cluster_equals_in_memory(cluster):
    X, y = _zip_data()
    fam = mk.ZeroInflated(mk.Poisson)
    mem = mk.Regression(family=fam).fit(X, y, designs={"pi": X[:, :1]})
    dsk = mk.Regression(family=fam).fit(*_dask(X, y, chunk=2_000), designs={"pi": [0]})
    assert dsk.result_.extra_info["Backend"].startswith("dask (3 chunks")
    _agree(mem, dsk)
    assert dsk.result_.converged
    text = dsk.result_.summary().to_text()
    assert "[pi  (logit link)]" in text and "[rate  (log link)]" in text


def test_zip_every_parameter_on_x_with_weights(threads):
    X, y = _zip_data(seed=1, n=4_000)
    fam = mk.ZeroInflated(mk.Poisson)
    w = np.random.default_rng(1).integers(1, 3, size=y.size).astype(float)
    mem = mk.Regression(family=fam).fit(X, y, designs={"pi": "X"}, sample_weight=w)
    dsk = mk.Regression(family=fam).fit(*_dask(X, y), designs={"pi": "X"},
                                        sample_weight=da.from_array(w, chunks=CHUNK))
    _agree(mem, dsk)
    assert dsk.result_.extra_info["Backend"].startswith("dask (4 chunks")


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_ordinal_on_a_local_cluster_equals_in_memory(request, link):
    # (logit on the 2-worker cluster, probit on the threaded scheduler: the same code)
    request.getfixturevalue("cluster" if link == "logit" else "threads")
    X, y = _ordinal_data()
    assert set(np.unique(y[:CHUNK])) == {0.0, 1.0, 2.0}   # class 3 only in later blocks
    mem = mk.Regression(family="ordinal", link=link).fit(X, y)
    dsk = mk.Regression(family="ordinal", link=link).fit(*_dask(X, y))
    _agree(mem, dsk)
    np.testing.assert_array_equal(dsk.classes_, mem.classes_)
    info = dsk.result_.extra_info
    assert info["MLE exists"] == "certificate" and info["Backend"].startswith("dask (6 chunks")
    np.testing.assert_allclose(dsk.predict_proba(X[:5]), mem.predict_proba(X[:5]), rtol=1e-7)


def test_ordinal_ordered_categorical_dataframe_and_weights(threads):
    X, y = _ordinal_data(seed=2)
    levels = ["none", "some", "much", "all"]
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    ycat = pd.Series(pd.Categorical.from_codes(y.astype(int), levels, ordered=True))
    w = np.random.default_rng(3).integers(1, 4, size=y.size).astype(float)
    mem = mk.Regression(family="ordinal", link="cloglog").fit(df, ycat, sample_weight=w)
    ddf = dd.from_pandas(df, npartitions=4)
    dsk = mk.Regression(family="ordinal", link="cloglog").fit(
        ddf, dd.from_pandas(ycat, npartitions=4),
        sample_weight=dd.from_pandas(pd.Series(w), npartitions=4))
    _agree(mem, dsk)
    assert list(dsk.classes_) == levels
    assert list(dsk.result_.params.index)[:3] == ["a", "b", "c"]


def test_an_empty_class_in_a_later_block_is_named(threads):
    """Every block's counts decide: the empty level is named, not a class the first
    block happens to lack (the top class here)."""
    X, y = _ordinal_data(seed=4)
    levels = ["lo", "mid", "gap", "hi", "top"]   # "gap" has no row
    codes = np.array([0, 1, 3, 4])[y.astype(int)]
    ycat = pd.Series(pd.Categorical.from_codes(codes, levels, ordered=True))
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    with pytest.raises(DataError) as mem:
        mk.Regression(family="ordinal").fit(df, ycat)
    with pytest.raises(DataError) as dsk:
        mk.Regression(family="ordinal").fit(dd.from_pandas(df, npartitions=6),
                                            dd.from_pandas(ycat, npartitions=6))
    assert "'gap'" in str(dsk.value) and str(dsk.value) == str(mem.value)
    # numbers as labels: a class whose rows all weigh 0 (they sit in the last block)
    w = np.ones(y.size)
    w[y == 3] = 0.0
    with pytest.raises(NoMaximumError) as mem:
        mk.Regression(family="ordinal").fit(X, y, sample_weight=w)
    with pytest.raises(NoMaximumError) as dsk:
        mk.Regression(family="ordinal").fit(*_dask(X, y, w))
    assert "class 3 has no observation" in str(dsk.value)
    assert str(dsk.value) == str(mem.value)


def _separated(kind: str, n=3_000):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(n, 2))
    y = np.digitize(X[:, 0], [-0.5, 0.5]).astype(float)   # x0 orders the classes
    if kind == "quasi":  # x0 = -1 / 0 / 1 by class, ten rows of classes 0 and 2 at 0
        X[:, 0] = y - 1.0
        X[:10, 0] = 0.0
    if kind == "combination":  # x0 - x1 orders the classes, neither column alone
        y = np.digitize(X[:, 0] - X[:, 1], [-0.5, 0.5]).astype(float)
    if kind == "quasi combination":  # x0 - x1 = -1 / 0 / 1 by class, ten rows tied at 0
        y = rng.integers(0, 3, size=n).astype(float)
        X[:, 1] = X[:, 0] - (y - 1.0)
        X[:10, 1] = X[:10, 0]
    return X, y


@pytest.mark.parametrize("kind", ["complete", "quasi", "combination", "quasi combination"])
def test_separated_ordinal_raises_as_in_memory(threads, kind):
    """One column: the first pass's screen sends the rows to the LP before any Newton
    pass; a combination: the fit runs off, no certificate, then the LP."""
    X, y = _separated(kind)
    with pytest.raises(NoMaximumError) as mem:
        mk.Regression(family="ordinal").fit(X, y)
    with pytest.raises(NoMaximumError) as dsk:
        mk.Regression(family="ordinal").fit(*_dask(X, y, chunk=500))
    assert "separated by a combination of columns led by 'x" in str(dsk.value)
    assert str(dsk.value) == str(mem.value)


def test_separated_ordinal_on_a_local_cluster(cluster):
    X, y = _separated("complete")
    with pytest.raises(NoMaximumError, match="separated by a combination of columns"):
        mk.Regression(family="ordinal").fit(*_dask(X, y, chunk=500))


def _checks(X, y, chunk=500, max_rows=10**6):
    from mlekit.distributed._fit import _RobustSums
    from mlekit.distributed._ordinal import OrdinalChecks
    from mlekit.families.ordinal import OrdinalModel
    from mlekit.links import get_link

    Xd, yd = _dask(X, y, chunk=chunk)
    model = OrdinalModel(mk.Ordinal, get_link("logit"), n_classes=3)
    sums = _RobustSums(Xd, yd, model)
    checks = OrdinalChecks(sums, model, ["x0", "x1"], np.arange(3.0), False, max_rows)
    y0, w0 = checks.before("Ordinal")   # the start's input: the classes, their counts
    np.testing.assert_array_equal(y0, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(w0, np.bincount(y.astype(int)))
    return checks


@pytest.mark.parametrize("kind", ["combination", "quasi combination"])
def test_the_certificate_never_certifies_separated_data(threads, kind):
    """Along the separating ray (where Newton goes) no certificate is given, however
    small the gradient; on overlapping classes the MLE is certified."""
    X, y = _separated(kind)
    checks = _checks(X, y)
    for t in (1.0, 3.0, 10.0, 30.0, 100.0):  # beta = t (1, -1), thresholds in the gaps
        theta = np.array([t, -t, -0.5 * t, 0.5 * t])
        assert not checks._certified(theta)
    with pytest.raises(NoMaximumError, match="separated by a combination"):
        checks.after_solve(np.array([30.0, -30.0, -15.0, 15.0]), converged=True)
    # too many rows to gather: refused, never a silent fit
    checks.max_rows = 100
    with pytest.raises(NoMaximumError, match="appears not to exist"):
        checks.after_solve(np.array([30.0, -30.0, -15.0, 15.0]), converged=True)
    # overlapping classes: the MLE is certified there (and nowhere near the ray)
    Xo = X + np.random.default_rng(6).normal(scale=1.0, size=X.shape)
    fit = mk.Regression(family="ordinal").fit(Xo, y)
    ok = _checks(Xo, y)
    assert ok._certified(fit.result_.theta)
    assert ok.after_solve(fit.result_.theta, converged=True) == "certificate"


def test_a_constant_column_is_named_as_in_memory(threads):
    X, y = _ordinal_data(seed=7, n=3_000)
    for Xc in (np.column_stack([X[:, :2], np.full(len(y), 4.0)]),   # one constant column
               np.column_stack([X[:, :2], 3.0 - 0.5 * X[:, 1]])):   # a constant combination
        with pytest.raises(SingularMatrixError) as mem:
            mk.Regression(family="ordinal").fit(Xc, y)
        with pytest.raises(SingularMatrixError) as dsk:
            mk.Regression(family="ordinal").fit(*_dask(Xc, y))
        assert str(dsk.value) == str(mem.value)
    # a prior identifies the slopes: no check, as in memory
    mem = mk.Regression(family="ordinal", alpha_l2=1.0).fit(Xc, y)
    dsk = mk.Regression(family="ordinal", alpha_l2=1.0).fit(*_dask(Xc, y))
    np.testing.assert_allclose(dsk.result_.theta, mem.result_.theta, rtol=1e-7, atol=1e-10)


def test_ordinal_on_dask_gives_polr(threads):
    """The committed MASS::polr fixture (tests/regression/data/r_ordinal) on Dask blocks."""
    import json
    from pathlib import Path

    data = Path(__file__).parents[1] / "regression" / "data" / "r_ordinal"
    ref = json.loads((data / "reference.json").read_text())["polr_logistic"]
    df = pd.read_csv(data / "ordinal.csv")
    ddf = dd.from_pandas(df, npartitions=4)
    res = mk.Regression(family="ordinal").fit(ddf[["x1", "x2", "x3"]], ddf["y"]).result_
    assert res.llf == pytest.approx(ref["loglik"], rel=1e-8)
    np.testing.assert_allclose(res.theta[:3], ref["coef"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(res.theta[3:], ref["zeta"], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_lp_multipliers_sum_the_lp_rows_to_the_gradient(link):
    """The certificate's premise: Aᵀλ⁰ is the gradient of Σ w NLL (held against the row
    model's own gradient, OrdinalModel.rows), in the LP's scaled coordinates."""
    from mlekit.families.ordinal import OrdinalModel
    from mlekit.links import get_link

    rng = np.random.default_rng(8)
    X = rng.normal(size=(400, 3)) * [1.0, 5.0, 0.2]
    y = rng.integers(0, 4, size=400).astype(float)
    w = rng.uniform(0.5, 2.0, size=400)
    model = OrdinalModel(mk.Ordinal, get_link(link), n_classes=4)
    beta, th = np.array([0.3, -0.1, 2.0]), np.array([-1.0, 0.2, 1.5])
    eta = np.column_stack([X @ beta, np.tile(th, (400, 1))])
    _, g, _ = model.rows(y, eta, {}, order=1)
    scale = np.abs(X).max(axis=0)
    A = model.lp_rows(X / scale, y.astype(np.intp))
    lam = model.lp_multipliers(y.astype(np.intp), w, eta)
    assert lam.shape == (A.shape[0],) and np.all(lam > 0)
    grad = np.concatenate([X.T @ (w * g[:, 0]) / scale, (w[:, None] * g[:, 1:]).sum(axis=0)])
    np.testing.assert_allclose(A.T @ lam, grad, rtol=1e-12, atol=1e-12 * np.abs(grad).max())
