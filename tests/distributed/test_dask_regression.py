"""Dask fits equal the in-memory fits (threaded scheduler and a 2-worker LocalCluster)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from mlekit.distributed import fit_regression  # noqa: E402
from mlekit.regression import Regression  # noqa: E402

N, P, CHUNK = 6_000, 4, 1_000
BETA = np.array([0.5, -0.3, 0.2, 0.1])


def _data(family: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, P))
    eta = 0.3 + X @ BETA
    y = {
        "normal": lambda: eta + rng.normal(size=N),
        "bernoulli": lambda: (rng.random(N) < 1 / (1 + np.exp(-eta))).astype(float),
        "poisson": lambda: rng.poisson(np.exp(eta)).astype(float),
        "gamma": lambda: rng.gamma(2.0, np.exp(eta) / 2.0),
    }[family]()
    return X, y


def _link(family: str) -> str | None:
    return "log" if family == "gamma" else None


def _agree(a, b, rtol=1e-8):
    """Relative agreement of estimates, covariance, llf (scaled to the largest entry)."""
    ra, rb = a.result_, b.result_
    scale = np.maximum(np.abs(ra.theta), np.sqrt(np.diag(ra.cov_theta)))
    np.testing.assert_array_less(np.abs(ra.theta - rb.theta) / scale, rtol)
    cov_err = np.max(np.abs(ra.cov_theta - rb.cov_theta)) / np.max(np.abs(ra.cov_theta))
    assert cov_err < 1e-6
    assert rb.llf == pytest.approx(ra.llf, rel=1e-12)
    assert rb.nobs == ra.nobs
    if ra.deviance is not None:
        assert rb.deviance == pytest.approx(ra.deviance, rel=1e-8)
        assert rb.null_deviance == pytest.approx(ra.null_deviance, rel=1e-8)
    np.testing.assert_allclose(np.asarray(rb.bse), np.asarray(ra.bse), rtol=1e-6)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=40) as cl, distributed.Client(cl) as client:
        yield cl, client


FAMILIES = ["normal", "bernoulli", "poisson", "gamma"]


@pytest.fixture
def threads():
    import dask

    with dask.config.set(scheduler="threads"):
        yield


@pytest.mark.parametrize("family", FAMILIES)
def test_threaded_matches_in_memory(threads, family):
    X, y = _data(family)
    mem = Regression(family=family, link=_link(family)).fit(X, y)
    dsk = fit_regression(Regression(family=family, link=_link(family)),
                         da.from_array(X, chunks=(CHUNK, P)), da.from_array(y, chunks=CHUNK))
    _agree(mem, dsk)
    assert dsk.result_.extra_info["Backend"].startswith("dask (6 chunks")


@pytest.mark.parametrize("family", FAMILIES)
def test_local_cluster_matches_in_memory(cluster, family):
    X, y = _data(family, seed=1)
    mem = Regression(family=family, link=_link(family)).fit(X, y)
    dsk = fit_regression(Regression(family=family, link=_link(family)),
                         da.from_array(X, chunks=(CHUNK, P)), da.from_array(y, chunks=CHUNK))
    _agree(mem, dsk)
    np.testing.assert_allclose(dsk.coef_, mem.coef_, rtol=1e-8)
    assert dsk.result_.summary().to_text() != ""


def test_worker_killed_mid_fit_gives_same_result(cluster):
    cl, client = cluster
    X, y = _data("bernoulli", seed=2)
    mem = Regression(family="bernoulli").fit(X, y)
    killed: list[int] = []

    def kill_after_first_pass(kind, seconds):
        if killed:
            return
        nanny = next(iter(cl.workers.values()))
        pid = nanny.process.process.pid
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    n_before = len(client.scheduler_info()["workers"])
    dsk = fit_regression(Regression(family="bernoulli"), da.from_array(X, chunks=(CHUNK, P)),
                         da.from_array(y, chunks=CHUNK), persist=True,
                         progress=kill_after_first_pass)
    assert killed and n_before == 2
    _agree(mem, dsk)
    client.wait_for_workers(2, timeout=30)  # the nanny restarts the worker for later tests


def test_dataframe_input_names_and_weights(threads):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, y = _data("poisson", seed=3)
    w = np.random.default_rng(4).integers(1, 4, size=N).astype(float)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    mem = Regression(family="poisson", cov_type="HC3").fit(df, y, sample_weight=w)
    ddf = dd.from_pandas(df, npartitions=5)
    dsk = fit_regression(Regression(family="poisson", cov_type="HC3"), ddf,
                         dd.from_pandas(pd.Series(y), npartitions=5),
                         sample_weight=dd.from_pandas(pd.Series(w), npartitions=5))
    _agree(mem, dsk)
    assert list(dsk.result_.params.index) == ["Intercept", "a", "b", "c", "d"]


def test_labels_and_ridge(threads):
    X, y = _data("bernoulli", seed=5)
    labels = np.where(y > 0, "yes", "no")
    mem = Regression(family="bernoulli", alpha_l2=2.0).fit(X, labels)
    dsk = fit_regression(Regression(family="bernoulli", alpha_l2=2.0),
                         da.from_array(X, chunks=(CHUNK, P)), da.from_array(labels, chunks=CHUNK))
    assert list(dsk.classes_) == ["no", "yes"]
    _agree(mem, dsk)


def test_bad_rows_are_named(threads):
    from mlekit.errors import DataError, SupportError

    X, y = _data("poisson", seed=6)
    X[4_321, 2] = np.nan
    with pytest.raises(DataError, match=r"x2.*row 4321"):
        fit_regression(Regression(family="poisson"), da.from_array(X, chunks=(CHUNK, P)),
                       da.from_array(y, chunks=CHUNK))
    X, y = _data("poisson", seed=6)
    y[5_001] = -1.0
    with pytest.raises(SupportError, match="row chunk starting at row 5000"):
        fit_regression(Regression(family="poisson"), da.from_array(X, chunks=(CHUNK, P)),
                       da.from_array(y, chunks=CHUNK))


def test_import_mlekit_does_not_import_dask():
    code = ("import sys, mlekit, mlekit.distributed; "
            "assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("family", ["bernoulli", "poisson", "gamma"])
def test_warm_started_dask_fit_equals_in_memory_fit(family):
    """Large enough for the subsample warm start (gradient-only passes, approximate
    Hessian): the Dask answer still equals the in-memory one, and costs fewer passes."""
    rng = np.random.default_rng(5)
    n = 120_000
    X = rng.normal(size=(n, P))
    eta = 0.3 + X @ BETA
    y = {"bernoulli": lambda: (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
         "poisson": lambda: rng.poisson(np.exp(eta)).astype(float),
         "gamma": lambda: rng.gamma(2.0, np.exp(eta) / 2.0)}[family]()
    mem = Regression(family=family, link=_link(family)).fit(X, y)
    dsk = fit_regression(Regression(family=family, link=_link(family)),
                         da.from_array(X, chunks=(10_000, P)), da.from_array(y, chunks=10_000))
    _agree(mem, dsk)
    assert dsk.result_.converged
    # warm start: no pass at the start point, ∇f(0) summed within the first pass
    assert dsk.dask_passes_ <= dsk.n_iter_ + 3
