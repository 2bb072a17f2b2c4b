"""One regression pipeline (issue #20, item 4).

* the Dask backend reads no private member of the estimator; both backends build the
  same pipeline from the same :class:`Settings`;
* no family is recognised by its name string in ``regression/`` or ``distributed/``:
  what a family can do is declared on it (``classifier``, ``trials_parameter``,
  ``mean_edges_in_data``, ``y_power``, ``row_model``) and read from there;
* ``Regression.fit`` is a thin wrapper: the estimator module does not solve anything
  itself, and the in-memory pipeline called directly gives the estimator's fit.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest

import mlekit as mk
from mlekit.errors import NoMaximumError, NumericalWarning, ParameterError, SeparationError
from mlekit.families import FAMILIES

SRC = Path(mk.__file__).parent
ROOMS = [SRC / "regression", SRC / "distributed"]


def _files():
    return sorted(p for room in ROOMS for p in room.glob("*.py"))


def _family_name_comparisons(tree: ast.AST) -> list[int]:
    """Lines comparing ``<something family>.name`` (or a ``fam_name``) with string literals,
    or looking it up in a table."""
    def is_family_name(node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in ("fam_name", "family_name")
        if isinstance(node, ast.Attribute) and node.attr == "name":
            base = ast.unparse(node.value)
            return "fam" in base and "link" not in base
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "replace":
            return is_family_name(node.func.value)
        return False

    def is_text(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(is_text(e) for e in node.elts)
        return False

    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            lookup = any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
            if any(is_family_name(s) for s in sides) and (
                    lookup or any(is_text(s) for s in sides)):
                out.append(node.lineno)
        if isinstance(node, ast.Subscript) and is_family_name(node.slice):
            out.append(node.lineno)  # a table keyed by the family's name
    return out


@pytest.mark.parametrize("path", _files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_family_is_recognised_by_its_name(path):
    lines = _family_name_comparisons(ast.parse(path.read_text()))
    assert not lines, (f"{path.name} compares a family by its name at lines {lines}: declare "
                       "what the family can do on the Family (or its row model) instead")


def test_the_scan_finds_name_comparisons():
    src = ("if fam.name == 'laplace': pass\n"
           "ok = model.family.name in ('poisson', 'negativebinomial')\n"
           "k = fam.name.replace('_', '') in MODELS\n"
           "power = TABLE[model.family.name]\n"
           "fine = model.link.name == 'logit'\n")
    assert _family_name_comparisons(ast.parse(src)) == [1, 2, 3, 4]


@pytest.mark.parametrize("path", sorted((SRC / "distributed").glob("*.py")),
                         ids=lambda p: p.name)
def test_dask_backend_reads_no_private_member_of_the_estimator(path):
    bad = [node.lineno for node in ast.walk(ast.parse(path.read_text()))
           if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
           and node.value.id in ("est", "estimator") and node.attr.startswith("_")
           and not node.attr.startswith("__")]
    assert not bad, f"{path.name} reads private members of the estimator at lines {bad}"


def test_the_estimator_module_does_not_solve():
    tree = ast.parse((SRC / "regression" / "_estimator.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assert not imported & {"newton", "prox_newton", "InMemorySums", "check_separation"}
    fit = next(n for n in ast.walk(tree)
               if isinstance(n, ast.FunctionDef) and n.name == "fit")
    body = [s for s in fit.body if not (isinstance(s, ast.Expr)
                                        and isinstance(s.value, ast.Constant))]
    assert body[-1].end_lineno - body[0].lineno < 45  # was ~180 lines


def test_pipeline_called_directly_is_the_estimators_fit():
    from mlekit.regression._inputs import Settings, combine_designs, response
    from mlekit.regression._pipeline import fit_in_memory

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2))
    y = rng.poisson(np.exp(0.3 + X @ [0.4, -0.2])).astype(float)
    est = mk.Regression("negativebinomial").fit(X, y)
    s = Settings.of(mk.Regression("negativebinomial"))
    yv, classes, aux = response(s, y, 300, {})
    Xc, spec, terms, _ = combine_designs(None, X, X, ["x0", "x1"])
    fitted = fit_in_memory(s, Xc, X, ["x0", "x1"], yv, classes, None, None, aux, spec,
                           terms, False)
    np.testing.assert_array_equal(fitted.theta, est.result_.theta)
    assert fitted.result.llf == est.result_.llf
    np.testing.assert_array_equal(fitted.result.bse, est.result_.bse)


def test_settings_are_checked_once_before_data():
    from mlekit.regression._inputs import Settings

    with pytest.raises(ParameterError, match="alpha_l2"):
        Settings.of(mk.Regression("poisson", alpha_l2=-1.0))
    s = Settings.of(mk.Regression("poisson"))
    assert s.family is mk.families.get_family("poisson")  # resolved once, an object


# ------------------------------------------------------------------ declarations drive it
def test_classifier_declarations():
    declared = {n: f.classifier for n, f in FAMILIES.items() if f.classifier is not None}
    assert declared == {"bernoulli": "binary", "categorical": "multiclass",
                        "ordinal": "ordinal"}
    assert mk.Regression("categorical")._is_classifier()
    assert not mk.Regression("binomial")._is_classifier()


def test_edges_declaration_drives_the_existence_check():
    """A family that declares no data on its mean's edges has no existence screen; the
    same counts under a family that declares ("lower",) are refused by name."""
    X = np.column_stack([np.r_[np.ones(10), np.zeros(30)]])
    y = np.r_[np.zeros(10), np.arange(30) % 4 + 1.0]
    with pytest.raises(NoMaximumError, match="x0"):
        mk.Regression("poisson").fit(X, y)
    yb = (np.arange(40) % 2).astype(float)
    yb[:10] = 0.0
    with pytest.raises(SeparationError):
        mk.Regression("bernoulli").fit(X, yb)


def test_trials_declaration_takes_two_column_y():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 1))
    n = rng.integers(1, 9, 200)
    s = rng.binomial(n, 1 / (1 + np.exp(-0.5 * X[:, 0])))
    a = mk.Regression("binomial").fit(X, np.column_stack([s, n - s]))
    b = mk.Regression("binomial").fit(X, s, trials=n)
    np.testing.assert_allclose(a.result_.theta, b.result_.theta, rtol=1e-12)


def test_constant_y_under_a_log_link_normal_has_no_maximum():
    """sigma -> 0 for a perfect fit by Newton (the log link): named, not converged; the
    exact least-squares fit keeps its coefficients and reports sigma = 0 (as before)."""
    X = np.random.default_rng(1).normal(size=(30, 1))
    with pytest.raises(NoMaximumError, match="sigma"):
        mk.Regression("normal", link="log").fit(X, np.full(30, 2.0))
    with warnings.catch_warnings():  # (the information at sigma = 0 is singular: said)
        warnings.simplefilter("ignore", NumericalWarning)
        fit = mk.Regression("normal").fit(X, np.full(30, 2.0))
    assert fit.intercept_ == pytest.approx(2.0)


def test_predict_with_columns_for_a_parameter_fitted_with_its_own_design_is_named():
    from mlekit.errors import DataError

    rng = np.random.default_rng(0)
    X, Z = rng.normal(size=(200, 2)), rng.normal(size=(200, 1))
    y = rng.normal(size=200) * np.exp(0.3 * Z[:, 0])
    m = mk.Regression("normal").fit(X, y, designs={"sigma": Z})
    with pytest.raises(DataError, match=r"designs\['sigma'\].*1 columns of its own"):
        m.predict(X, designs={"sigma": ["x1"]})
    np.testing.assert_allclose(m.predict(X[:3], designs={"sigma": Z[:3].tolist()}),
                               m.predict(X[:3], designs={"sigma": Z[:3]}))


def test_gamma_regresses_in_its_own_coordinates_when_rate_is_named():
    """Naming ``rate`` (not a coordinate of the mean parametrisation) keeps the family's own
    (shape, rate): same maximum as the mean coordinates with shape on x (one model)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 1))
    y = rng.gamma(2.0, 1 / np.exp(0.5 + 0.4 * X[:, 0]))
    own = mk.Regression("gamma").fit(X, y, designs={"rate": "X"}).result_
    mean = mk.Regression("gamma").fit(X, y, designs={"shape": "X"}).result_
    assert own.llf == pytest.approx(mean.llf, rel=1e-10)
    assert own.theta[2:] == pytest.approx([0.461, 0.404], abs=2e-3)  # log rate = a + b x


def test_null_model_keeps_intercepts_given_as_columns():
    """Per-parameter formulas that differ in their intercepts put each intercept in a column
    (fit_intercept=False): the null model keeps those columns, so llnull is the
    intercept-only fit (mk.fit), not the eta = 0 model (was -5.5e7 for Engel)."""
    df = mk.datasets.load("engel")
    res = mk.Regression.from_formula({"mu": "foodexp ~ 1", "sigma": "~ income"}, df).result_
    assert res.llnull == pytest.approx(mk.fit(df["foodexp"].to_numpy(), "normal").llf,
                                       rel=1e-10)
    assert res.llf > res.llnull
