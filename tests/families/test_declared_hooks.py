"""Every hook ``mlekit.estimate`` (and ``mlekit.divergence``) reads from a family is
declared on :class:`~mlekit.families.base.Family`, and no module probes a family with
``getattr``/``hasattr`` for an undeclared one (issue #20, item 5).

Three kinds of check:

* source: the attributes read from a family in ``src/mlekit/estimate`` and
  ``src/mlekit/divergence`` (found by parsing the code) all exist on ``Family``, and no
  ``getattr(fam…)``/``hasattr(family…)`` probe remains;
* registry: for every registered family, each declared hook has the declared kind;
* numbers: a family's own ``logcdf`` agrees with the base definition from its ``cdf``
  and ``logsf``, its ``scaled_information`` with the summed Hessian of its log-density,
  its ``mle_covariance`` is a symmetric matrix of the right size.
"""

from __future__ import annotations

import ast
import pathlib
import re
from collections.abc import Callable

import numpy as np
import pytest

import mlekit as mk
from mlekit.families._registry import FAMILIES
from mlekit.families.base import Family

SRC = pathlib.Path(mk.__file__).parent
SCANNED = sorted((SRC / "estimate").glob("*.py")) + sorted((SRC / "divergence").glob("*.py"))
FAMILY_NAMES = ("fam", "family")


def _is_family(node: ast.AST) -> bool:
    """``fam``, ``family`` or ``<anything>.family`` (``prep.family``, ``model.family``)."""
    return ((isinstance(node, ast.Name) and node.id in FAMILY_NAMES)
            or (isinstance(node, ast.Attribute) and node.attr == "family"))


def _family_attributes() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in SCANNED:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Attribute) and _is_family(node.value):
                out.setdefault(node.attr, set()).add(path.name)
    return out


def _declared(name: str) -> bool:
    return any(name in vars(k) or name in getattr(k, "__annotations__", {})
               for k in Family.__mro__ if k is not object)


def test_scan_finds_the_hooks():
    """The scan itself works: it sees hooks that estimate is known to read."""
    used = _family_attributes()
    for hook in ("mle", "mle_method", "mle_boundary", "mle_covariance", "scaled_information",
                 "logcdf", "support_parameters", "fisher_information"):
        assert hook in used, hook


@pytest.mark.parametrize("hook", sorted(_family_attributes()))
def test_every_hook_read_by_estimate_is_declared_on_family(hook):
    assert _declared(hook), (
        f"{hook!r} is read from a family in {sorted(_family_attributes()[hook])} but not "
        "declared on mlekit.families.base.Family: declare it there with a default and a "
        "docstring")


_PROBE = re.compile(r"\b(?:getattr|hasattr)\(\s*(?:fam|family|prep\.family|self\.family)\b")


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_getattr_probe_of_a_family(path):
    text = path.read_text(encoding="utf-8")
    hits = [f"line {text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
            for m in _PROBE.finditer(text)]
    for node in ast.walk(ast.parse(text, str(path))):  # also catches other spellings
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr") and node.args
                and _is_family(node.args[0])):
            hits.append(f"line {node.lineno}: {ast.unparse(node)}")
    assert not hits, (f"{path.name} probes a family for a hook: {sorted(set(hits))}; declare "
                      "the hook on Family and read it as an attribute")


def test_the_probe_detector_detects():
    src = "x = getattr(fam, 'mle_covariance', None)\ny = hasattr(prep.family, 'logcdf')\n"
    assert len(_PROBE.findall(src)) == 2


# ------------------------------------------------------------------ registry: kinds
def _optional_callable(v) -> bool:
    return v is None or callable(v)


#: hook -> test of its kind on a family instance (the declared default passes too)
HOOKS: dict[str, Callable[[Family, object], bool]] = {
    "mle_method": lambda f, v: isinstance(v, str) and bool(v),
    "mle_checks_support": lambda f, v: isinstance(v, bool),
    "support_parameters": lambda f, v: isinstance(v, tuple) and set(v) <= set(f.param_names),
    "mle_covariance": lambda f, v: _optional_callable(v),
    "scaled_information": lambda f, v: _optional_callable(v),
    "mle_boundary": lambda f, v: callable(v),
    "logcdf": lambda f, v: callable(v),
    "mle": lambda f, v: callable(v),
    "fisher_information": lambda f, v: callable(v),
    "mean_parameter": lambda f, v: v is None or v in f.param_names,
}


def test_the_hook_table_covers_the_optional_hooks():
    used = set(_family_attributes())
    optional = {"mle_method", "mle_checks_support", "support_parameters", "mle_covariance",
                "scaled_information", "mle_boundary", "logcdf"}
    assert optional <= used & set(HOOKS)


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_family_defaults_are_of_the_declared_kind(hook):
    assert _declared(hook)
    assert HOOKS[hook](Family(), getattr(Family(), hook))


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_registered_family_hooks_are_of_the_declared_kind(name):
    fam = FAMILIES[name]
    bad = [h for h, ok in HOOKS.items() if not ok(fam, getattr(fam, h))]
    assert not bad, f"{name}: hooks of the wrong kind: {bad}"
    # the default hook is a no-op: no edge the domains do not show at a typical member
    free = {n: np.asarray(v, float) for n, v in fam.example_params.items()
            if n in fam.estimable_names}
    edges = fam.mle_boundary(free)
    assert isinstance(edges, tuple) and all(isinstance(e, str) for e in edges)
    assert edges == ()


def test_studentt_mle_boundary_reports_the_cap():
    edges = mk.StudentT.mle_boundary({"nu": np.asarray(1e10)})
    assert len(edges) == 1 and edges[0].startswith("nu = 1e+10")


# ------------------------------------------------------------------ numbers
def _sample(fam: Family, n: int = 200) -> np.ndarray:
    return np.asarray(fam(**fam.example_params).sample(n, rng=20), float)


UNIVARIATE = sorted(n for n, f in FAMILIES.items() if not f.event_ndim)


@pytest.mark.parametrize("name", UNIVARIATE)
def test_logcdf_agrees_with_the_base_definition(name):
    """A family's own logcdf (Normal's log_ndtr …) = log F from its cdf/logsf, where F is
    well inside (0, 1) so that the base formula is exact to rounding."""
    fam = FAMILIES[name]
    params = {k: np.asarray(v, float) for k, v in fam.example_params.items()}
    x = np.unique(_sample(fam))
    try:
        cdf = np.asarray(fam.cdf(x, **params), float)
    except NotImplementedError:
        pytest.skip(f"{name} has no cdf")
    keep = (cdf > 1e-6) & (cdf < 1 - 1e-6)
    assert keep.any()
    own = np.asarray(fam.logcdf(x[keep], **params), float)
    base = np.asarray(Family.logcdf(fam, x[keep], **params), float)
    np.testing.assert_allclose(own, base, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.exp(own), cdf[keep], rtol=1e-9)


WITH_SCALED = sorted(n for n, f in FAMILIES.items() if f.scaled_information is not None)


def test_some_families_declare_scaled_information():
    assert {"normal", "logistic", "gumbel"} <= set(WITH_SCALED)


@pytest.mark.parametrize("name", WITH_SCALED)
def test_scaled_information_is_the_summed_hessian(name):
    """(info_u, scale) maps back to −Σ w ∂²log p/∂a∂b on the data's own scale."""
    fam = FAMILIES[name]
    x = _sample(fam)
    w = np.linspace(0.5, 1.5, x.size)
    est = {k: float(v) for k, v in fam.fit(x).params.items()}
    info_u, scale = fam.scaled_information(x, w, est)
    hess = fam.hessian(x, **{k: np.asarray(v) for k, v in est.items()})
    for (a, b), value in info_u.items():
        direct = -float(np.sum(w * np.asarray(hess[(a, b)] if (a, b) in hess
                                              else hess[(b, a)], float)))
        back = value / (scale[a] * scale[b])
        assert back == pytest.approx(direct, rel=1e-8, abs=1e-10 * abs(direct) + 1e-12), (a, b)


WITH_COV = sorted(n for n, f in FAMILIES.items() if f.mle_covariance is not None)


def test_some_families_declare_mle_covariance():
    assert {"uniform", "pareto", "gamma", "categorical"} <= set(WITH_COV)


@pytest.mark.parametrize("name", WITH_COV)
def test_mle_covariance_is_none_or_a_symmetric_matrix(name):
    fam = FAMILIES[name]
    params = {k: np.asarray(v, float) for k, v in fam.example_params.items()}
    size = sum(int(np.size(params[n])) for n in fam.estimable_names)
    cov = fam.mle_covariance(params, 100.0)
    if cov is None:  # "not at this point" (Gamma below shape 1e6)
        return
    cov = np.asarray(cov, float)
    assert cov.shape == (size, size)
    np.testing.assert_allclose(cov, cov.T, rtol=1e-12, atol=0)
    assert np.all(np.diag(cov) >= 0)


def test_a_family_may_switch_an_optional_hook_off():
    """Setting a hook to None (its declared default) makes estimate take its general path."""
    class NoClosedCov(type(mk.Uniform)):
        name = "uniform_no_cov_test_only"
        mle_covariance = None

    x = mk.Uniform(low=0.0, high=1.0).sample(50, rng=1)
    with_cov = mk.fit(x, mk.Uniform)
    without = mk.fit(x, NoClosedCov())
    assert with_cov.information == "sampling (order statistics)"
    assert without.information == "unavailable (non-regular)"
    assert np.all(np.isnan(without.cov))


# ------------------------------------------------------------------ the other floors
#: modules above the families that may read a family defensively with getattr, but only
#: for attributes Family declares (an undeclared hook is a contract nobody wrote down)
OTHER_FLOORS = sorted(p for sub in ("derive", "torch", "regression", "report", "distributed")
                      for p in (SRC / sub).rglob("*.py")) + [SRC / "cli.py"]


def _probed_names(path: pathlib.Path) -> list[tuple[int, str]]:
    """(line, attribute) of each ``getattr``/``hasattr`` of a family by a literal name."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr") and len(node.args) >= 2
                and _is_family(node.args[0]) and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)):
            out.append((node.lineno, node.args[1].value))
    return out


@pytest.mark.parametrize("path", OTHER_FLOORS, ids=lambda p: str(p.relative_to(SRC)))
def test_other_floors_probe_only_declared_hooks(path):
    """derive, torch, regression, report, distributed and the CLI read no undeclared hook
    from a family (issue #20, item 5): a combinator's or the Ordinal's derivation name is
    ``Family.derivation_loss_name``, its derive-only density ``Family.derivation_density``,
    not attributes probed by name."""
    bad = [f"line {n}: {name!r}" for n, name in _probed_names(path) if not _declared(name)]
    assert not bad, (f"{path.name} probes a family for undeclared attributes {bad}; declare "
                     "them on Family (with a default and a docstring) or ask the family")


def test_the_undeclared_probe_detector_detects(tmp_path):
    path = tmp_path / "probe_example.py"
    path.write_text("a = getattr(family, 'kind', None)\nb = getattr(d.family, 'title', '')\n",
                    encoding="utf-8")
    assert [n for _, n in _probed_names(path)] == ["kind", "title"]
    assert not _declared("kind") and _declared("title")
