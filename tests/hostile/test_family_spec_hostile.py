"""Hostile family specs (``"zeroinflated(poisson)"``, ``"truncated(normal, low=0)"``)
never run code: the API raises a named MlekitError, the CLI exits 2 with one
``mlekit: error:`` line, no marker file appears, and a spy on ``eval``/``exec`` shows the
legitimate specs are never evaluated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _cases import PAYLOADS, spy_eval_exec

import mlekit as mk
from mlekit.cli import main
from mlekit.errors import MlekitError

_PAYLOADS = PAYLOADS
_CONTEXTS = {
    "base": "zeroinflated({e})", "combinator": "{e}(poisson)",
    "keyword": "truncated(normal, low={e})", "nested": "hurdle(truncated({e}, low=1))",
    "call": "zeroinflated(poisson)({e})", "lambda": "truncated(normal, low=(lambda: {e})())",
    "attribute": "zeroinflated(poisson.__class__)", "subscript": "truncated(normal)[{e}]",
}
_CASES = [(f"{cn}-{pn}", c, p) for pn, p in _PAYLOADS.items() for cn, c in _CONTEXTS.items()]

# mixtures (issue 21 item 4)
_MIX_CONTEXTS = {
    "mix-component": "mixture({e}, k=2)", "mix-second": "mixture(normal, {e})",
    "mix-k": "mixture(normal, k={e})", "mix-list": "mixture([normal, {e}])",
    "mix-lambda-k": "mixture(normal, k=(lambda: {e})())", "mix-call": "mixture(normal, k=2)({e})",
    "mix-starred": "mixture(*[{e}])", "mix-kwargs": "mixture(normal, **{{'k': {e}}})",
}
_CASES += [(f"{cn}-{pn}", c, p) for pn, p in _PAYLOADS.items()
           for cn, c in _MIX_CONTEXTS.items()]


@pytest.mark.parametrize(("cid", "context", "payload"), _CASES, ids=[c[0] for c in _CASES])
def test_api_family_spec_payloads(tmp_path: Path, cid, context, payload):
    marker = tmp_path / f"{cid}.marker"
    text = context.format(e=payload.format(m=marker))
    with pytest.raises(MlekitError):
        if "(poisson)(" in text or "k=2)(" in text:  # a member: family(...)(params)
            mk.parse_distribution(text)
        else:
            mk.get_family(text)
    assert not marker.exists(), "INJECTION EXECUTED"


@pytest.mark.parametrize("pn", list(_PAYLOADS))
def test_cli_family_spec_payloads(tmp_path: Path, capsys, pn):
    marker = tmp_path / f"cli-{pn}.marker"
    pd.DataFrame({"y": [0, 1, 0, 2, 0, 3, 1, 0]}).to_csv(tmp_path / "y.csv", index=False)
    spec = f"zeroinflated({_PAYLOADS[pn].format(m=marker)})"
    assert main(["fit", str(tmp_path / "y.csv"), "-c", "y", "-F", spec]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mlekit: error:")
    assert not marker.exists(), "INJECTION EXECUTED"


@pytest.mark.parametrize("spec, title", [
    ("zeroinflated(poisson)", "ZeroInflated(Poisson)"),
    ("Hurdle(NegativeBinomial)", "Hurdle(NegativeBinomial)"),
    ("truncated(normal, low=0)", "Truncated(Normal, low=0)"),
    ("truncated(poisson, low=1, high=inf)", "Truncated(Poisson, low=1)"),
])
def test_specs_build_the_combinators(spec, title):
    assert mk.get_family(spec).title == title


def test_spec_regression_equals_the_object_regression():
    rng = np.random.default_rng(2)
    n = 400
    x = rng.standard_normal((n, 1))
    y = np.where(rng.random(n) < 0.3, 0, rng.poisson(np.exp(0.5 + 0.4 * x[:, 0])))
    a = mk.Regression(family="zeroinflated(poisson)").fit(x, y).result_
    b = mk.Regression(family=mk.ZeroInflated(mk.Poisson)).fit(x, y).result_
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-12)


@pytest.mark.parametrize("bad, match", [
    ("hurdle(poisson, low=1)", "takes no keywords"),
    ("truncated(normal, low='0')", "numbers"),
    ("truncated(normal, lo=0)", "low, high"),
    ("zeroinflated(poisson, gamma)", "one family"),
    ("zeroinflatd(poisson)", "zeroinflated"),
])
def test_bad_specs_are_named(bad, match):
    with pytest.raises(MlekitError, match=match):
        mk.get_family(bad)


def test_eval_and_exec_never_see_family_specs(tmp_path: Path, capsys, monkeypatch):
    seen = spy_eval_exec(monkeypatch)
    mk.get_family("truncated(normal, low=0)")
    mk.parse_distribution("zeroinflated(poisson)(pi=0.2, rate=3)")
    pd.DataFrame({"y": [0, 1, 0, 2, 0, 3, 1, 0, 4, 0]}).to_csv(tmp_path / "y.csv", index=False)
    assert main(["fit", str(tmp_path / "y.csv"), "-c", "y", "-F", "zeroinflated(poisson)",
                 "--quiet"]) == 0
    capsys.readouterr()
    assert not [s for s in seen if "inflated" in s or "truncated" in s]




def test_cli_mixture_spec_payload(tmp_path: Path, capsys):
    marker = tmp_path / "cli-mix.marker"
    pd.DataFrame({"y": [0.1, 1.2, 0.4, 2.2, 5.0, 5.3, 4.8, 6.1]}).to_csv(tmp_path / "y.csv",
                                                                        index=False)
    spec = f"mixture(normal, k={_PAYLOADS['system'].format(m=marker)})"
    assert main(["fit", str(tmp_path / "y.csv"), "-c", "y", "-F", spec]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mlekit: error:")
    assert not marker.exists(), "INJECTION EXECUTED"


@pytest.mark.parametrize("spec, title", [
    ("mixture(normal, k=2)", "Mixture(Normal, k=2)"),
    ("Mixture(normal, gamma)", "Mixture(Normal, Gamma)"),
    ("mixture([poisson, poisson])", "Mixture(Poisson, k=2)"),
    ("mixture(truncated(normal, low=0), k=3)", "Mixture(Truncated(Normal, low=0), k=3)"),
])
def test_specs_build_mixtures(spec, title):
    assert mk.get_family(spec).title == title


@pytest.mark.parametrize("bad, match", [
    ("mixture(normal)", "2 to 50 components"),
    ("mixture(normal, k=1)", "k must be from 2"),
    ("mixture(normal, k=2.5)", "whole number"),
    ("mixture(normal, k='2')", "numbers"),
    ("mixture(normal, n=2)", "keyword k"),
    ("mixture(normal, gamma, k=2)", "not both"),
    ("mixture(normal, poisson)", "continuous"),
    ("mixture()", "component families"),
    ("mixture(" + ", ".join(["normal"] * 51) + ")", "at most 50"),
    ("mixture(normal, k=10**9)", "numbers"),
])
def test_bad_mixture_specs_are_named(bad, match):
    with pytest.raises(MlekitError, match=match):
        mk.get_family(bad)


def test_eval_and_exec_never_see_mixture_specs(monkeypatch):
    seen = spy_eval_exec(monkeypatch)
    mk.get_family("mixture(normal, k=2)")
    mk.get_family("mixture([normal, gamma])")
    mk.parse_distribution("mixture(poisson, k=2)(weights=[0.3, 0.7], rate_1=1, rate_2=6)")
    assert not [s for s in seen if "mixture" in s]
