"""The `mlekit` command: results on real data, --json, --quiet, and one-line errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlekit.datasets as ds
from mlekit.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    assert lines[0].startswith("mlekit: error: "), lines[0]
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])


@pytest.fixture(autouse=True)
def _wide_output(monkeypatch):
    """Tables are printed at COLUMNS wide when stdout is not a terminal; fix it for tests."""
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture(scope="module")
def nile() -> Path:
    return ds.path("nile")


@pytest.fixture
def csv(tmp_path) -> Path:
    p = tmp_path / "data.csv"
    pd.DataFrame({"x": [0.5, 1.5, 2.0, 3.5, 4.0], "b": [0, 1, 2, 1, 0],
                  "y": [0, 1, 1, 0, 1]}).to_csv(p, index=False)
    return p


# ---------------------------------------------------------------------------- errors
def test_missing_file(capsys, tmp_path):
    code, out, err = run(capsys, "fit", str(tmp_path / "nope.csv"), "-c", "x", "-F", "normal")
    assert_usage_error(code, err, "nope.csv", "no such file")
    assert out == ""


def test_missing_column_did_you_mean(capsys, nile):
    code, _, err = run(capsys, "fit", str(nile), "--column", "volumes", "--family", "normal")
    assert_usage_error(code, err, "no column 'volumes'", "did you mean 'volume'?")


def test_unknown_family_did_you_mean(capsys, nile):
    code, _, err = run(capsys, "fit", str(nile), "--column", "volume", "--family", "normall")
    assert_usage_error(code, err, "unknown family 'normall'", "did you mean 'normal'?")


def test_nan_in_column(capsys, tmp_path):
    p = tmp_path / "nan.csv"
    p.write_text("x\n1.0\n2.0\nnan\n4.0\n")
    code, _, err = run(capsys, "fit", str(p), "-c", "x", "-F", "normal")
    assert_usage_error(code, err, "column 'x'", "row 3")


def test_non_numeric_value(capsys, tmp_path):
    p = tmp_path / "txt.csv"
    p.write_text("x\n1.0\nabc\n")
    code, _, err = run(capsys, "fit", str(p), "-c", "x", "-F", "normal")
    assert_usage_error(code, err, "non-numeric value 'abc' in row 2")


def test_out_of_support(capsys, csv):
    code, _, err = run(capsys, "fit", str(csv), "-c", "b", "-F", "bernoulli")
    assert_usage_error(code, err, "Bernoulli", "found 2 at index 2")


def test_malformed_kl_spec(capsys):
    code, _, err = run(capsys, "kl", "normal(mu=0, sigma=1", "normal(1, 2)")
    assert_usage_error(code, err, "cannot read distribution")
    code, _, err = run(capsys, "kl", "normal(mu=0, sigma=-1)", "normal(1, 2)")
    assert_usage_error(code, err, "sigma")
    code, _, err = run(capsys, "kl", "__import__('os').system('true')", "normal(1, 2)")
    assert_usage_error(code, err)


def test_kl_unknown_family(capsys):
    code, _, err = run(capsys, "kl", "normla(0, 1)", "normal(1, 2)")
    assert_usage_error(code, err, "did you mean 'normal'?")


def test_usage_errors_are_one_line(capsys, nile):
    code, _, err = run(capsys, "fit", str(nile), "--bogus")
    assert_usage_error(code, err, "--bogus")
    code, _, err = run(capsys, "fit", str(nile), "--family", "normal")
    assert_usage_error(code, err, "--column")
    code, _, err = run(capsys, "nosuchcommand")
    assert_usage_error(code, err)


def test_bad_fixed(capsys, nile):
    code, _, err = run(capsys, "fit", str(nile), "-c", "volume", "-F", "normal", "--fixed", "sigma")
    assert_usage_error(code, err, "NAME=VALUE")
    code, _, err = run(capsys, "fit", str(nile), "-c", "volume", "-F", "normal",
                       "--fixed", "sigma=abc")
    assert_usage_error(code, err, "not a number")


def test_report_refuses_to_overwrite_input(capsys, csv):
    before = csv.read_bytes()
    code, _, err = run(capsys, "fit", str(csv), "-c", "x", "-F", "normal", "--report", str(csv))
    assert_usage_error(code, err, "refusing to write the report over the input file")
    assert csv.read_bytes() == before


def test_report_into_missing_directory(capsys, csv, tmp_path):
    code, _, err = run(capsys, "fit", str(csv), "-c", "x", "-F", "normal",
                       "--report", str(tmp_path / "no" / "r.html"))
    assert_usage_error(code, err, "does not exist")


def test_bad_format_option(capsys):
    code, _, err = run(capsys, "derive", "normal", "--format", "pdf")
    assert_usage_error(code, err, "--format")


def test_python_dash_m_entry_point(tmp_path):
    """The real process: one stderr line, exit status 2, nothing on stdout."""
    proc = subprocess.run([sys.executable, "-m", "mlekit", "fit", str(tmp_path / "no.csv"),
                           "--column", "x", "--family", "normal"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("mlekit: error: ")


# ---------------------------------------------------------------------------- results
def test_help_has_examples(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "Examples" in out and "demo" in out
    for cmd in ("fit", "regress", "kl", "derive", "demo", "families"):
        code, out, _ = run(capsys, cmd, "--help")
        assert code == 0 and "Example" in out and "--json" in out, cmd


def test_fit_normal_json_matches_closed_form(capsys, nile):
    code, out, err = run(capsys, "fit", str(nile), "--column", "volume", "--family", "normal",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    x = pd.read_csv(nile)["volume"].to_numpy(float)
    assert data["params"]["mu"] == pytest.approx(x.mean(), rel=1e-12)
    assert data["params"]["sigma"] == pytest.approx(x.std(), rel=1e-12)
    assert data["bse"]["mu"] == pytest.approx(x.std() / np.sqrt(x.size), rel=1e-9)
    assert data["method"] == "closed form" and data["nobs"] == 100
    lo, hi = data["conf_int_95"]["mu"]
    assert lo < data["params"]["mu"] < hi


def test_fit_fixed_sigma(capsys, nile):
    code, out, err = run(capsys, "fit", str(nile), "-c", "volume", "-F", "normal",
                         "--fixed", "sigma=100", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["params"]["sigma"] == 100.0
    x = pd.read_csv(nile)["volume"].to_numpy(float)
    assert data["params"]["mu"] == pytest.approx(x.mean(), rel=1e-12)


def test_fit_table_and_quiet(capsys, nile):
    code, out, _ = run(capsys, "fit", str(nile), "-c", "volume", "-F", "normal")
    assert code == 0 and "919.35" in out and "mu" in out and "closed form" in out
    code, out, err = run(capsys, "fit", str(nile), "-c", "volume", "-F", "normal", "--quiet")
    assert code == 0 and out == "" and err == ""


def test_fit_tsv_and_parquet(capsys, tmp_path):
    df = pd.read_csv(ds.path("nile"))
    df.to_csv(tmp_path / "n.tsv", sep="\t", index=False)
    df.to_parquet(tmp_path / "n.parquet")
    for name in ("n.tsv", "n.parquet"):
        code, out, err = run(capsys, "fit", str(tmp_path / name), "-c", "volume", "-F", "normal",
                             "--json")
        assert code == 0, err
        assert json.loads(out)["params"]["mu"] == pytest.approx(919.35)


def test_kl_json_closed_form(capsys):
    code, out, err = run(capsys, "kl", "normal(mu=0, sigma=1)", "normal(mu=1, sigma=2)", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["kl"] == pytest.approx(np.log(2) + 2 / 8 - 0.5, abs=1e-12)
    assert data["method"] == "closed form"
    assert data["reverse_kl"] == pytest.approx(-np.log(2) + (4 + 1) / 2 - 0.5, abs=1e-12)


def test_kl_quad_and_table(capsys):
    code, out, err = run(capsys, "kl", "normal(0, 1)", "normal(1, 2)", "--method", "quad",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["method"] == "quad"
    assert data["kl"] == pytest.approx(np.log(2) + 2 / 8 - 0.5, abs=1e-8)
    code, out, _ = run(capsys, "kl", "bernoulli(p=0.2)", "bernoulli(p=0.5)")
    assert code == 0 and "0.192745" in out  # 0.2 log 0.4 + 0.8 log 1.6


def test_families_json(capsys):
    code, out, _ = run(capsys, "families", "--json")
    assert code == 0
    names = {f["name"] for f in json.loads(out)}
    assert {"normal", "bernoulli", "categorical"} <= names
    code, out, _ = run(capsys, "families")
    assert code == 0 and "normal" in out


def test_datasets_json(capsys):
    code, out, _ = run(capsys, "datasets", "--json")
    assert code == 0
    rows = json.loads(out)
    assert {r["name"] for r in rows} == set(ds.list())
    assert all(Path(r["path"]).exists() for r in rows)


def test_derive_normal_json(capsys):
    code, out, err = run(capsys, "derive", "normal", "--wrt", "mu", "--fixed", "sigma", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert "squared" in data["loss_name"]
    assert "sigma" in data["scale"]
    assert len(data["steps"]) >= 4


def test_derive_formats(capsys):
    code, out, _ = run(capsys, "derive", "bernoulli", "--format", "mathml")
    assert code == 0 and "<math" in out and "binary cross-entropy" in out
    code, out, _ = run(capsys, "derive", "bernoulli", "--format", "latex")
    assert code == 0 and "\\log" in out


def test_regress_linear_longley_matches_lstsq(capsys):
    path = ds.path("longley")
    code, out, err = run(capsys, "regress", str(path), "--target", "TOTEMP", "--family",
                         "normal", "--json")
    assert code == 0, err
    data = json.loads(out)
    df = pd.read_csv(path)
    names = [c for c in df.columns if c != "TOTEMP"]
    A = np.column_stack([np.ones(len(df)), df[names].to_numpy(float)])
    beta = np.linalg.lstsq(A, df["TOTEMP"].to_numpy(float), rcond=None)[0]
    rows = data["rows"]
    got = [rows[n]["coef"] for n in ["Intercept", *names]]
    np.testing.assert_allclose(got, beta, rtol=1e-7)
    r = rows["GNP"]
    assert r["ci_low"] < r["coef"] < r["ci_high"]
    # Normal-identity: OLS inference by default (Pearson dispersion, t(16 - 7) intervals)
    t975_9 = 2.262157162798205  # scipy.stats.t.ppf(0.975, 9)
    assert r["ci_high"] - r["coef"] == pytest.approx(t975_9 * r["std err"], rel=1e-9)
    assert data["features"] == names


def test_regress_logistic_features_and_formula(capsys):
    path = ds.path("anes96")
    code, out, err = run(capsys, "regress", str(path), "--target", "vote", "--features",
                         "PID,age,educ", "--family", "bernoulli", "--json")
    assert code == 0, err
    a = json.loads(out)
    code, out, err = run(capsys, "regress", str(path), "--formula", "vote ~ PID + age + educ",
                         "--family", "bernoulli", "--json")
    assert code == 0, err
    b = json.loads(out)
    for name in ("PID", "age", "educ"):
        assert a["rows"][name]["coef"] == pytest.approx(b["rows"][name]["coef"], rel=1e-8)
    code, out, _ = run(capsys, "regress", str(path), "--target", "vote", "--features",
                       "PID,age", "--family", "bernoulli")
    assert code == 0 and "PID" in out


def test_regress_errors(capsys):
    path = ds.path("anes96")
    code, _, err = run(capsys, "regress", str(path), "--target", "vot", "--family", "bernoulli")
    assert_usage_error(code, err, "did you mean 'vote'?")
    code, _, err = run(capsys, "regress", str(path), "--target", "vote", "--features", "PID,agee",
                       "--family", "bernoulli")
    assert_usage_error(code, err, "no column 'agee'", "did you mean 'age'?")
    code, _, err = run(capsys, "regress", str(path), "--target", "age", "--features", "PID",
                       "--family", "bernoulli")
    assert_usage_error(code, err)
    code, _, err = run(capsys, "regress", str(path), "--target", "vote", "--link", "logitt",
                       "--family", "bernoulli")
    assert_usage_error(code, err, "did you mean 'logit'?")


def test_fit_auto_ranks_by_aic(capsys):
    code, out, err = run(capsys, "fit", str(ds.path("engel")), "-c", "foodexp", "-F", "auto",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    aics = [row["AIC"] for row in data["ranking"].values()]
    assert aics == sorted(aics)
    assert data["best"] == next(iter(data["ranking"]))
    assert data["fits"]["normal"]["params"]["mu"] == pytest.approx(
        pd.read_csv(ds.path("engel"))["foodexp"].mean(), rel=1e-10)
    code, _, err = run(capsys, "fit", str(ds.path("engel")), "-c", "foodexp", "-F", "auto",
                       "--fixed", "mu=1")
    assert_usage_error(code, err, "--family auto")


def test_fit_right_censored(capsys, tmp_path):
    from scipy import optimize, stats

    t = np.array([2.0, 3.5, 1.2, 4.0, 2.2, 5.1, 0.7])
    cens = np.array([0, 1, 0, 1, 0, 0, 0])
    p = tmp_path / "c.csv"
    pd.DataFrame({"t": t, "cens": cens}).to_csv(p, index=False)
    code, out, err = run(capsys, "fit", str(p), "-c", "t", "--censored-column", "cens",
                         "-F", "normal", "--json")
    assert code == 0, err
    data = json.loads(out)

    def nll(th):
        mu, s = th[0], np.exp(th[1])
        return -(stats.norm.logpdf(t[cens == 0], mu, s).sum()
                 + stats.norm.logsf(t[cens == 1], mu, s).sum())

    ref = optimize.minimize(nll, [t.mean(), np.log(t.std())], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000})
    assert data["params"]["mu"] == pytest.approx(ref.x[0], rel=1e-5)
    assert data["params"]["sigma"] == pytest.approx(np.exp(ref.x[1]), rel=1e-5)
    assert data["llf"] == pytest.approx(-ref.fun, rel=1e-8)
    pd.DataFrame({"t": t, "cens": [0, 2, 0, 0, 0, 0, 0]}).to_csv(p, index=False)
    code, _, err = run(capsys, "fit", str(p), "-c", "t", "--censored-column", "cens",
                       "-F", "normal")
    assert_usage_error(code, err, "must be 0/1", "row 2")



def test_regress_separation_and_ridge(capsys, tmp_path):
    p = tmp_path / "sep.csv"
    pd.DataFrame({"y": [0, 0, 1, 1], "x": [1.0, 2.0, 3.0, 4.0]}).to_csv(p, index=False)
    code, _, err = run(capsys, "regress", str(p), "--target", "y", "--family", "bernoulli")
    assert_usage_error(code, err, "separates")
    code, out, err = run(capsys, "regress", str(p), "--target", "y", "--family", "bernoulli",
                         "--alpha-l2", "1", "--json")
    assert code == 0, err
    assert np.isfinite(json.loads(out)["rows"]["x"]["coef"])
