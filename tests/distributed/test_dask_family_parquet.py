"""Family.fit on dask arrays, and the CLI's Parquet path."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import mlekit as mk  # noqa: E402
from mlekit.distributed import fit_family, fit_regression_from_parquet  # noqa: E402
from mlekit.estimate import fit  # noqa: E402
from mlekit.regression import Regression  # noqa: E402

RNG = np.random.default_rng(0)
SAMPLES = {
    "normal": RNG.normal(1.0, 2.0, 3000),
    "poisson": RNG.poisson(3.0, 3000).astype(float),
    "gamma": RNG.gamma(2.0, 1.5, 3000),
    "bernoulli": (RNG.random(3000) < 0.3).astype(float),
}


@pytest.mark.parametrize("family", sorted(SAMPLES))
def test_fit_family_matches_in_memory(family):
    x = SAMPLES[family]
    mem = fit(x, family)
    dsk = fit_family(da.from_array(x, chunks=1000), family)
    assert dsk.method == "newton on dask chunk sums"
    for k, v in mem.params.items():
        assert dsk.params[k] == pytest.approx(v, rel=1e-8)
        assert dsk.bse[k] == pytest.approx(mem.bse[k], rel=1e-6)
    assert dsk.llf == pytest.approx(mem.llf, rel=1e-12)
    assert dsk.nobs == mem.nobs


def test_family_fit_accepts_dask_after_import():
    import mlekit.distributed  # noqa: F401  (installs the hook)

    x = SAMPLES["normal"]
    res = mk.Normal.fit(da.from_array(x, chunks=1000))
    assert res.method == "newton on dask chunk sums"
    assert res.params["sigma"] == pytest.approx(np.std(x), rel=1e-8)
    assert mk.Normal.fit(x).method == "closed form"  # NumPy input: unchanged


def test_family_without_row_model_is_refused():
    from mlekit.errors import NotImplementedForFamily

    with pytest.raises(NotImplementedForFamily, match="compute x into memory"):
        fit_family(da.from_array(RNG.random(100) + 0.1, chunks=50), "cauchy")


def test_parquet_formula_matches_in_memory(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    frames = []
    for i in range(3):
        n = 3000
        x1 = rng.normal(size=n)
        g = rng.choice(["a", "b", "c"], n)
        y = rng.poisson(np.exp(0.2 + 0.3 * x1 + 0.4 * (g == "b")))
        df = pd.DataFrame({"y": y, "x1": x1, "g": g, "x2": rng.normal(size=n)})
        df.to_parquet(tmp_path / f"part{i}.parquet")
        frames.append(df)
    full = pd.concat(frames, ignore_index=True)
    est = fit_regression_from_parquet(str(tmp_path / "*.parquet"), formula="y ~ x1 + C(g)",
                                      family="poisson", progress=False)
    mem = Regression.from_formula("y ~ x1 + C(g)", full, family="poisson")
    np.testing.assert_allclose(est.result_.params.to_numpy(), mem.result_.params.to_numpy(),
                               rtol=1e-8)
    assert list(est.result_.params.index) == list(mem.result_.params.index)
    est2 = fit_regression_from_parquet(str(tmp_path), target="y", features=["x1", "x2"],
                                       family="poisson", progress=False)
    mem2 = Regression(family="poisson").fit(full[["x1", "x2"]], full["y"])
    np.testing.assert_allclose(est2.coef_, mem2.coef_, rtol=1e-8)


def test_parquet_bad_column_is_named(tmp_path):
    pd = pytest.importorskip("pandas")
    from mlekit.errors import DataError

    pd.DataFrame({"y": [1.0, 2.0], "x": [0.0, 1.0]}).to_parquet(tmp_path / "a.parquet")
    with pytest.raises(DataError, match="no column 'z'"):
        fit_regression_from_parquet(str(tmp_path), target="z", progress=False)
