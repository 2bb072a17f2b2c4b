"""CLI parity with the API (issue #24 item 4): every new option of ``mlekit regress`` and
``mlekit fit`` gives the numbers of the API on the same data, held against independent
computations where one is at hand (statsmodels GLM, replicated rows, closed forms, a direct
scipy optimisation of the censored likelihood); ``--dropna``; typed densities in ``fit``
and ``kl``; API argument names said as flags."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import mlekit as mk
from mlekit.cli import _FLAG_WORDS, _flag_words, main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def assert_one_line_error(code: int, err: str, *needles: str) -> str:
    assert code == 2, err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("mlekit: error: "), err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


@pytest.fixture(autouse=True)
def _wide_output(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture(scope="module")
def counts(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(24)
    n = 80
    x1, x2 = rng.normal(size=n), rng.uniform(size=n)
    e = rng.uniform(0.5, 3.0, size=n)
    trials = rng.integers(3, 12, size=n)
    df = pd.DataFrame({
        "x1": x1, "x2": x2, "e": e, "off": np.log(e),
        "y": rng.poisson(e * np.exp(0.3 + 0.5 * x1)),
        "w": rng.integers(1, 4, size=n),
        "tr": trials, "s": rng.binomial(trials, 1 / (1 + np.exp(-(0.2 + 0.8 * x1)))),
    })
    path = tmp_path_factory.mktemp("parity") / "counts.csv"
    df.to_csv(path, index=False)
    return path, df


def _vals(d: dict, names) -> np.ndarray:
    return np.array([d[k] for k in names], float)


# ---------------------------------------------------------------------------- regress
def test_regress_weights_exposure_equal_statsmodels_and_replicated_rows(capsys, counts):
    import statsmodels.api as sm

    path, df = counts
    got = run_json(capsys, "regress", path, "-y", "y", "-x", "x1,x2", "-F", "poisson",
                   "--weights", "w", "--exposure", "e")
    X = sm.add_constant(df[["x1", "x2"]])
    ref = sm.GLM(df["y"], X, family=sm.families.Poisson(), exposure=df["e"],
                 freq_weights=df["w"]).fit()
    names = ["Intercept", "x1", "x2"]
    np.testing.assert_allclose(_vals(got["params"], names), ref.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(_vals(got["bse"], names), ref.bse.to_numpy(), rtol=1e-6)
    assert got["llf"] == pytest.approx(ref.llf, rel=1e-10)
    assert got["nobs"] == int(df["w"].sum())
    # integer frequency weights are the rows repeated
    rep = df.loc[df.index.repeat(df["w"])]
    m = mk.Regression(family="poisson").fit(rep[["x1", "x2"]], rep["y"], exposure=rep["e"])
    np.testing.assert_allclose(_vals(got["params"], names), m.result_.params, rtol=1e-8)
    # the features default leaves out the columns given to --weights / --exposure
    got_all = run_json(capsys, "regress", path, "-y", "y", "-F", "poisson", "--weights", "w",
                       "--exposure", "e", "--features", "x1,x2")
    assert got_all["features"] == ["x1", "x2"]


def test_regress_offset_is_log_exposure_and_formula_path_agrees(capsys, counts):
    path, df = counts
    a = run_json(capsys, "regress", path, "-y", "y", "-x", "x1", "-F", "poisson",
                 "--offset", "off")
    b = run_json(capsys, "regress", path, "--formula", "y ~ x1", "-F", "poisson",
                 "--exposure", "e")
    m = mk.Regression(family="poisson").fit(df[["x1"]], df["y"], offset=df["off"])
    for out in (a, b):
        np.testing.assert_allclose(_vals(out["params"], ["Intercept", "x1"]),
                                   m.result_.params, rtol=1e-8)
        np.testing.assert_allclose(_vals(out["bse"], ["Intercept", "x1"]),
                                   m.result_.bse, rtol=1e-7)


@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "HC3"])
def test_regress_cov_type_equals_api(capsys, counts, cov_type):
    path, df = counts
    got = run_json(capsys, "regress", path, "-y", "y", "-x", "x1", "-F", "poisson",
                   "--cov-type", cov_type)
    m = mk.Regression(family="poisson", cov_type=cov_type).fit(df[["x1"]], df["y"])
    np.testing.assert_allclose(_vals(got["bse"], ["Intercept", "x1"]), m.result_.bse,
                               rtol=1e-10)
    assert got["cov_type"] == cov_type
    if cov_type == "HC0":  # canonical link: statsmodels' GLM sandwich is the same
        import statsmodels.api as sm

        ref = sm.GLM(df["y"], sm.add_constant(df[["x1"]]),
                     family=sm.families.Poisson()).fit(cov_type="HC0")
        np.testing.assert_allclose(_vals(got["bse"], ["Intercept", "x1"]),
                                   ref.bse.to_numpy(), rtol=1e-6)


def test_regress_binomial_trials_equal_statsmodels(capsys, counts):
    import statsmodels.api as sm

    path, df = counts
    got = run_json(capsys, "regress", path, "-y", "s", "-x", "x1", "-F", "binomial",
                   "--trials", "tr")
    endog = np.column_stack([df["s"], df["tr"] - df["s"]])
    ref = sm.GLM(endog, sm.add_constant(df[["x1"]]), family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(_vals(got["params"], ["Intercept", "x1"]), ref.params,
                               rtol=1e-8)
    np.testing.assert_allclose(_vals(got["bse"], ["Intercept", "x1"]), ref.bse, rtol=1e-6)


def test_regress_negbin_fixed_alpha_equals_statsmodels(capsys, counts):
    import statsmodels.api as sm

    path, df = counts
    got = run_json(capsys, "regress", path, "-y", "y", "-x", "x1", "-F", "negativebinomial",
                   "--fixed", "alpha=0.5")
    ref = sm.GLM(df["y"], sm.add_constant(df[["x1"]]),
                 family=sm.families.NegativeBinomial(alpha=0.5)).fit(tol=1e-12)
    np.testing.assert_allclose(_vals(got["params"], ["Intercept", "x1"]), ref.params,
                               rtol=1e-7)
    assert got["fixed"] == ["alpha"] and got["nuisance"]["alpha"] == 0.5
    m = mk.Regression(family="negativebinomial", fixed={"alpha": 0.5}).fit(df[["x1"]],
                                                                         df["y"])
    np.testing.assert_allclose(_vals(got["bse"], ["Intercept", "x1"]), m.result_.bse,
                               rtol=1e-10)


def test_regress_alpha_l1_and_level_equal_api(capsys, counts):
    path, df = counts
    got = run_json(capsys, "regress", path, "-y", "y", "-x", "x1,x2", "-F", "poisson",
                   "--alpha-l1", "2.0", "--level", "0.9")
    m = mk.Regression(family="poisson", alpha_l1=2.0).fit(df[["x1", "x2"]], df["y"])
    names = ["Intercept", "x1", "x2"]
    np.testing.assert_allclose(_vals(got["params"], names), m.result_.params, rtol=1e-8,
                               atol=1e-12)
    ci = np.asarray(m.result_.conf_int(0.9))
    np.testing.assert_allclose(np.array([got["conf_int"][k] for k in names]), ci, rtol=1e-8,
                               atol=1e-12)
    assert got["level"] == 0.9
    z = stats.norm.ppf(0.95)
    lo, hi = got["conf_int"]["x1"]
    assert hi - got["params"]["x1"] == pytest.approx(z * got["bse"]["x1"], rel=1e-9)
    assert lo < got["params"]["x1"]


def test_regress_refusals(capsys, counts):
    path, _ = counts
    code, _, err = run(capsys, "regress", path, "-y", "y", "-x", "x1", "--weights", "x2x")
    assert_one_line_error(code, err, "--weights", "x2x", "did you mean 'x2'")
    code, _, err = run(capsys, "regress", path, "-y", "y", "-x", "x1", "--exposure", "x1")
    assert_one_line_error(code, err, "--exposure", "x1")
    code, _, err = run(capsys, "regress", path, "-y", "y", "-x", "x2", "-F", "poisson",
                       "--exposure", "x1")
    assert_one_line_error(code, err, "--exposure", "'x1'", "> 0", "row ")
    code, _, err = run(capsys, "regress", path, "-y", "s", "-x", "x1", "-F", "binomial",
                       "--trials", "x2")
    assert_one_line_error(code, err, "--trials", "'x2'", "whole number", "row 1 ")
    code, _, err = run(capsys, "regress", path, "-y", "y", "-x", "x1", "--cov-type", "HC9")
    assert_one_line_error(code, err, "--cov-type")
    code, _, err = run(capsys, "regress", path, "-y", "y", "-x", "x1", "--alpha-l1", "-1")
    assert_one_line_error(code, err, "--alpha-l1")
    code, _, err = run(capsys, "regress", path, "-y", "y", "-x", "x1", "--level", "95")
    assert_one_line_error(code, err, "--level")


# ---------------------------------------------------------------------------- --dropna
@pytest.fixture
def holes(tmp_path) -> Path:
    df = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0, 7.0, 3.0, 5.0],
                       "z": [0.1, np.nan, 0.5, 0.2, 0.9, 0.4, 0.3],
                       "y": [1.2, 2.3, 2.9, np.nan, 7.1, 3.2, 4.8]})
    p = tmp_path / "holes.csv"
    df.to_csv(p, index=False)
    return p


def test_dropna_fit_says_how_many_and_fits_the_rest(capsys, holes):
    code, _, err = run(capsys, "fit", holes, "-c", "x", "-F", "normal")
    assert_one_line_error(code, err, "'x'", "row 3", "--dropna")
    code, out, err = run(capsys, "fit", holes, "-c", "x", "-F", "normal", "--dropna", "--json")
    assert code == 0
    assert err == "mlekit: dropped 1 of 7 rows with an empty cell / NaN in x (--dropna)\n"
    x = np.array([1.0, 2.0, 4.0, 7.0, 3.0, 5.0])
    got = json.loads(out)
    assert got["params"]["mu"] == pytest.approx(x.mean(), rel=1e-12)
    assert got["params"]["sigma"] == pytest.approx(x.std(), rel=1e-12)
    assert got["nobs"] == 6


def test_dropna_regress_drops_only_used_columns(capsys, holes):
    # x has a hole in row 3 and y in row 4; z (unused) in row 2 is kept
    code, out, err = run(capsys, "regress", holes, "-y", "y", "-x", "x", "--dropna", "--json")
    assert code == 0
    assert err == "mlekit: dropped 2 of 7 rows with an empty cell / NaN in y, x (--dropna)\n"
    df = pd.read_csv(holes).dropna(subset=["x", "y"])
    A = np.column_stack([np.ones(len(df)), df["x"]])
    beta = np.linalg.lstsq(A, df["y"], rcond=None)[0]
    got = json.loads(out)
    np.testing.assert_allclose(_vals(got["params"], ["Intercept", "x"]), beta, rtol=1e-9)
    assert got["nobs"] == 5
    code, out2, err = run(capsys, "regress", holes, "--formula", "y ~ x", "--dropna", "--json")
    assert code == 0 and "dropped 2 of 7" in err
    assert json.loads(out2)["params"] == pytest.approx(got["params"], rel=1e-9)
    code, _, err = run(capsys, "regress", holes, "--formula", "y ~ x")
    assert code == 2 and err.count("\n") == 1


# ---------------------------------------------------------------------------- fit
@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(10.0, 2.0, size=40), 3)
    df = pd.DataFrame({"x": x, "w": rng.integers(0, 4, size=40)})
    df.loc[0, "w"] = 2  # not all zero
    lo, hi = x.copy(), x.copy()
    lo[:8], hi[:8] = np.floor(x[:8]), np.floor(x[:8]) + 1       # interval
    lo[8:12] = np.nan                                              # left-censored at x
    hi[12:16] = np.nan                                             # right-censored at x
    df["lo"], df["hi"] = lo, hi
    path = tmp_path_factory.mktemp("fit-parity") / "sample.csv"
    df.to_csv(path, index=False)
    return path, df


def test_fit_weights_equal_weighted_closed_form(capsys, sample):
    path, df = sample
    got = run_json(capsys, "fit", path, "-c", "x", "-F", "normal", "--weights", "w")
    x, w = df["x"].to_numpy(), df["w"].to_numpy(float)
    mu = np.sum(w * x) / w.sum()
    assert got["params"]["mu"] == pytest.approx(mu, rel=1e-12)
    assert got["params"]["sigma"] == pytest.approx(np.sqrt(np.sum(w * (x - mu) ** 2) / w.sum()),
                                                   rel=1e-10)
    assert got["nobs"] == int(w.sum()) and got["weights"] == "w"


def test_fit_level_and_profile_intervals(capsys, sample):
    path, df = sample
    x = df["x"].to_numpy()
    n, s = x.size, x.std()
    got = run_json(capsys, "fit", path, "-c", "x", "-F", "normal", "--level", "0.9")
    z = stats.norm.ppf(0.95)
    assert got["conf_int"]["mu"] == pytest.approx([x.mean() - z * s / np.sqrt(n),
                                                   x.mean() + z * s / np.sqrt(n)], rel=1e-10)
    assert got["level"] == 0.9 and "conf_int_95" not in got
    prof = run_json(capsys, "fit", path, "-c", "x", "-F", "normal", "--ci", "profile",
                    "--level", "0.9")
    # profile LR interval for mu with sigma re-optimised: n log(1 + d²/s²) = χ²₁(0.9)
    d = s * np.sqrt(np.exp(stats.chi2.ppf(0.9, 1) / n) - 1)
    assert prof["conf_int"]["mu"] == pytest.approx([x.mean() - d, x.mean() + d], rel=1e-6)
    api = mk.fit(x, "normal").conf_int(0.9, method="profile")
    assert prof["conf_int"]["sigma"] == pytest.approx(list(api["sigma"]), rel=1e-9)
    assert prof["ci_method"] == "profile"
    code, out, _ = run(capsys, "fit", path, "-c", "x", "-F", "normal", "--ci", "profile")
    assert code == 0 and "95% CI (profile)" in out


def test_fit_interval_censoring_equals_direct_optimisation(capsys, sample):
    path, df = sample
    got = run_json(capsys, "fit", path, "--low", "lo", "--high", "hi", "-F", "normal")
    lo = df["lo"].fillna(-np.inf).to_numpy()
    hi = df["hi"].fillna(np.inf).to_numpy()
    exact = lo == hi

    def nll(t):
        mu, sig = t[0], np.exp(t[1])
        ll = stats.norm.logpdf(lo[exact], mu, sig).sum()
        a, b = stats.norm.cdf(lo[~exact], mu, sig), stats.norm.cdf(hi[~exact], mu, sig)
        return -(ll + np.log(b - a).sum())

    opt = optimize.minimize(nll, [10.0, np.log(2.0)], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    assert got["params"]["mu"] == pytest.approx(opt.x[0], rel=1e-6)
    assert got["params"]["sigma"] == pytest.approx(np.exp(opt.x[1]), rel=1e-5)
    assert got["llf"] == pytest.approx(-opt.fun, rel=1e-9)
    assert got["censored"] == 16 and "column" not in got
    api = mk.fit(mk.Censored(df["lo"], df["hi"]), "normal")
    assert got["bse"]["mu"] == pytest.approx(api.bse["mu"], rel=1e-9)


def test_fit_interval_refusals(capsys, sample):
    path, _ = sample
    code, _, err = run(capsys, "fit", path, "--low", "lo", "-F", "normal")
    assert_one_line_error(code, err, "--low", "--high")
    code, _, err = run(capsys, "fit", path, "-c", "x", "--low", "lo", "--high", "hi",
                       "-F", "normal")
    assert_one_line_error(code, err, "--column")
    code, _, err = run(capsys, "fit", path, "-F", "normal")
    assert_one_line_error(code, err, "--column")
    code, _, err = run(capsys, "fit", path, "-c", "x", "-F", "normal", "--ci", "bayes")
    assert_one_line_error(code, err, "--ci", "wald, profile or bootstrap")


def test_fit_typed_density_equals_closed_form(capsys, tmp_path):
    x = np.array([0.3, 1.2, 0.7, 2.5, 0.1, 0.9, 1.6, 0.4])
    p = tmp_path / "t.csv"
    pd.DataFrame({"t": x}).to_csv(p, index=False)
    got = run_json(capsys, "fit", p, "-c", "t", "--density", "lam * exp(-lam * x)",
                   "--param", "lam=positive", "--support", "positive")
    assert got["params"]["lam"] == pytest.approx(1 / x.mean(), rel=1e-6)
    assert got["bse"]["lam"] == pytest.approx(1 / x.mean() / np.sqrt(x.size), rel=1e-4)
    assert got["family"] == "custom"
    code, _, err = run(capsys, "fit", p, "-c", "t", "-F", "normal", "--density", "lam",
                       "--param", "lam=positive")
    assert_one_line_error(code, err, "not both")
    # a formula that does not integrate to 1: the flag, not check='warn', in the message
    code, _, err = run(capsys, "fit", p, "-c", "t", "--density", "2 * lam * exp(-lam * x)",
                       "--param", "lam=positive", "--support", "positive")
    line = assert_one_line_error(code, err, "--check warn")
    assert "check='warn'" not in line
    code, out, err = run(capsys, "fit", p, "-c", "t", "--density", "2 * lam * exp(-lam * x)",
                         "--param", "lam=positive", "--support", "positive", "--check", "warn",
                         "--json")
    assert code == 0 and err.startswith("mlekit: warning: ") and "integrates to 2" in err
    # the mass-2 "density" has the same maximiser: lam = 1 / mean
    assert json.loads(out)["params"]["lam"] == pytest.approx(1 / x.mean(), rel=1e-6)
    code, _, err = run(capsys, "derive", "--density", "2 * lam * exp(-lam * x)", "--param",
                       "lam=positive", "--support", "positive", "--check", "warn", "-q")
    assert code == 0 and "integrates to 2" in err


def test_kl_typed_density_equals_laplace_closed_form(capsys):
    got = run_json(capsys, "kl", "custom(mu=0, b=1)", "custom(1, 2)", "--density",
                   "exp(-abs(x - mu)/b) / (2*b)", "--param", "mu=real,b=positive")
    # KL(L(m1,b1) ‖ L(m2,b2)) = log(b2/b1) + |m1-m2|/b2 + (b1/b2) e^{-|m1-m2|/b1} - 1
    assert got["kl"] == pytest.approx(np.log(2) + 0.5 + 0.5 * np.exp(-1) - 1, rel=1e-8)
    rev = np.log(0.5) + 1 + 2 * np.exp(-0.5) - 1
    assert got["reverse_kl"] == pytest.approx(rev, rel=1e-8)
    mixed = run_json(capsys, "kl", "custom(mu=0, sigma=1)", "normal(1, 2)", "--density",
                     "exp(-(x - mu)**2/(2*sigma**2)) / (sigma*sqrt(2*pi))",
                     "--param", "mu=real", "--param", "sigma=positive")
    assert mixed["kl"] == pytest.approx(np.log(2) + (1 + 1) / 8 - 0.5, rel=1e-8)
    code, _, err = run(capsys, "kl", "normal(0, 1)", "normal(1, 2)", "--param", "mu=real")
    assert_one_line_error(code, err, "--param", "--density")


# ---------------------------------------------------------------------------- messages
def test_api_names_become_flags_at_the_shell(capsys, tmp_path):
    p = tmp_path / "b.csv"
    pd.DataFrame({"x": [1, 3, 2, 0]}).to_csv(p, index=False)
    with pytest.raises(mk.errors.MlekitError, match=r"fixed=\{'n': \.\.\.\}"):
        mk.fit([1, 3, 2, 0], "binomial")                  # the API speaks Python
    code, _, err = run(capsys, "fit", p, "-c", "x", "-F", "binomial")
    line = assert_one_line_error(code, err, "--fixed n=VALUE")  # the CLI speaks flags
    assert "fixed={" not in line
    pd.DataFrame({"x": [0, 0, 0, 0]}).to_csv(p, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        code, _, err = run(capsys, "fit", p, "-c", "x", "-F", "bernoulli", "-q")
    assert code == 0 and "use --ci profile" in err and "conf_int(" not in err


_FLAG_CASES = [
    ("hold parameters with fixed={...}", "hold parameters with --fixed NAME=VALUE"),
    ("hold it fixed (fixed={'alpha': ...})", "hold it fixed (--fixed alpha=VALUE)"),
    ("or fix it (fixed={'nu': value})", "or fix it (--fixed nu=VALUE)"),
    ("(check='warn' or 'off' to accept it)", "(--check warn or --check off to accept it)"),
    ("use conf_int(method='profile')", "use --ci profile"),
    ("does not apply (use bootstrap=).", "does not apply (use --bootstrap B)."),
    ("sample_weight must be finite", "--weights must be finite"),
    ("alpha_l2 / alpha_l1 with formulas", "--alpha-l2 / --alpha-l1 with formulas"),
    ("unknown cov_type 'x'", "unknown --cov-type 'x'"),
    ("fit it with mk.fit(y, family) instead", "fit it with mlekit fit instead"),
    ("use dispersion='ml' (or None: the family's default)",
     "use --dispersion ml (or leave it out: the family's default)"),
    ("f: column 'a' has an empty cell / NaN in row 3 (values must be finite numbers)",
     "f: column 'a' has an empty cell / NaN in row 3 (values must be finite numbers; "
     "--dropna drops such rows)"),
]


@pytest.mark.parametrize(("api", "cli"), _FLAG_CASES)
def test_flag_words_table(api, cli):
    assert _flag_words(api) == cli


def test_flag_words_table_is_covered():
    """Every row of the table is exercised by test_flag_words_table (no dead rows)."""
    import re

    for pattern, _ in _FLAG_WORDS:
        assert any(re.search(pattern, api) for api, _ in _FLAG_CASES), pattern
