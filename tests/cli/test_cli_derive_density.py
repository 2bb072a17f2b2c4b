"""`mlekit derive --density FORMULA --param NAME=DOMAIN`: derivations for a typed density."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlekit.cli import main

LAPLACE = "exp(-abs(x - mu)/b) / (2*b)"
NORMAL = "exp(-(x - mu)**2 / (2*sigma**2)) / sqrt(2*pi*sigma**2)"


@pytest.fixture(autouse=True)
def _wide_output(monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")


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


def test_laplace_density_is_absolute_error(capsys) -> None:
    code, out, err = run(capsys, "derive", "--density", LAPLACE, "--param", "mu=real",
                         "--param", "b=positive", "--wrt", "mu")
    assert code == 0, err
    assert "absolute error" in out
    assert err == ""


def test_json_scale_and_constant(capsys) -> None:
    """NLL(mu) = (1/b) Σ|x_i − mu| + m log(2b): a = 1/b, c = m log b + m log 2."""
    code, out, err = run(capsys, "derive", "--density", LAPLACE, "--param", "mu=real,b=positive",
                         "--wrt", "mu", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["loss_name"] == "absolute error"
    assert d["scale"] == "1/b"
    assert set(d["constant"].replace(" ", "").split("+")) == {"m*log(b)", "m*log(2)"}


def test_normal_density_is_squared_error_latex(capsys) -> None:
    code, out, err = run(capsys, "derive", "--density", NORMAL, "--param", "mu=real",
                         "--param", "sigma=positive", "--wrt", "mu", "--format", "latex")
    assert code == 0, err
    assert "squared error" in out.lower()
    assert "\\" in out  # LaTeX, not the text panel


def test_support_option(capsys) -> None:
    """Exponential as a typed density on the positive reals."""
    code, out, err = run(capsys, "derive", "--density", "lam*exp(-lam*x)", "--param",
                         "lam=positive", "--support", "positive", "--json")
    assert code == 0, err
    assert json.loads(out)["family"] == "custom"


def test_hostile_formula_exit_2_one_line(capsys, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    code, out, err = run(capsys, "derive", "--density",
                         f"__import__('os').system('touch {marker}')", "--param", "mu=real")
    assert_usage_error(code, err, "__import__")
    assert not marker.exists()
    code, out, err = run(capsys, "derive", "--density", "__import__('os').system('echo pwned')",
                         "--param", "mu=real")
    assert_usage_error(code, err)
    assert "pwned" not in out


@pytest.mark.parametrize("argv, needles", [
    (["derive"], ("--density",)),
    (["derive", "normal", "--density", LAPLACE, "--param", "mu=real"], ("not both",)),
    (["derive", "--density", LAPLACE], ("--param",)),
    (["derive", "normal", "--param", "mu=real"], ("--param",)),
    (["derive", "--density", LAPLACE, "--param", "mu=real"], ("'b'",)),
    (["derive", "--density", LAPLACE, "--param", "mu=reel", "--param", "b=positive"], ()),
    (["derive", "--density", "exp(-abs(x - mu))", "--param", "mu=real"], ()),  # not normalised
])
def test_bad_density_usage(capsys, argv: list[str], needles: tuple[str, ...]) -> None:
    code, _, err = run(capsys, *argv)
    assert_usage_error(code, err, *needles)


def test_registered_family_still_works(capsys) -> None:
    code, out, err = run(capsys, "derive", "normal", "--wrt", "mu", "--json")
    assert code == 0, err
    assert json.loads(out)["loss_name"] == "squared error"
