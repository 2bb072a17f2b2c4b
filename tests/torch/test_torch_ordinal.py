"""The Ordinal in ``mlekit.torch`` (issue #21): cut points as a vector parameter.

* ``NLLLoss("ordinal")`` takes K − 1 raw columns per row and maps them to increasing cut
  points with the ``ordered`` head (the map of the domain ``Ordered``), so any network output
  is a valid member;
* the cumulative link model itself, ``theta = cuts − eta`` with a scalar score
  ``eta = x'beta`` per row, fitted by torch's L-BFGS on ``mkt.log_prob``, lands on
  ``Regression(family="ordinal")``'s MLE (which agrees with ``MASS::polr``: tests/regression);
* log-probabilities and gradients stay finite and exact far in both tails, where
  ``log(sigmoid(b) - sigmoid(a))`` of rounded CDFs would give ``log 0``.

The value and score at random points are bound to ``Ordinal.logpdf``/``Ordinal.score`` by the
registry test (tests/torch/test_torch_registry_binding.py, HAND_WRITTEN).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import mlekit as mk  # noqa: E402
import mlekit.torch as mkt  # noqa: E402
from mlekit.domains import Ordered  # noqa: E402
from mlekit.errors import SupportError  # noqa: E402

ORD = mk.FAMILIES["ordinal"]


def _data(n: int = 600, seed: int = 3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    eta = X @ np.array([0.8, -0.5, 0.3])
    cuts = np.array([-1.0, 0.2, 1.5])
    u = rng.logistic(size=n)
    y = np.sum(eta[:, None] + u[:, None] > cuts, axis=1).astype(float)
    return X, y


def test_default_head_is_ordered_and_maps_any_output_to_cut_points():
    assert mkt.default_head(ORD, "theta") == "ordered"
    raw = torch.tensor([[0.3, -2.0, 1.0], [-5.0, 4.0, -3.0]], dtype=torch.float64)
    theta = mkt.inverse_link("ordered", raw).numpy()
    assert np.all(np.diff(theta, axis=-1) > 0)
    np.testing.assert_allclose(theta, Ordered.from_unconstrained(raw.numpy()), rtol=1e-15)
    np.testing.assert_allclose(Ordered.to_unconstrained(theta), raw.numpy(), rtol=1e-12)


def test_nll_loss_equals_the_family_on_network_outputs():
    rng = np.random.default_rng(0)
    raw = torch.tensor(rng.normal(size=(50, 3)), dtype=torch.float64, requires_grad=True)
    y = torch.tensor(rng.integers(0, 4, 50), dtype=torch.float64)
    loss = mkt.NLLLoss("ordinal", reduction="sum")
    value = loss(raw, y)
    theta = Ordered.from_unconstrained(raw.detach().numpy())
    assert float(value.detach()) == pytest.approx(-ORD.logpdf(y.numpy(), theta).sum(), rel=1e-12)
    value.backward()
    # the chain rule through the ordered map: d/du = J(theta)^T score(theta), per row
    score = ORD.score(y.numpy(), theta=theta)["theta"]
    expect = -np.stack([Ordered.jacobian(t).T @ s for t, s in zip(theta, score, strict=True)])
    np.testing.assert_allclose(raw.grad.numpy(), expect, rtol=1e-10, atol=1e-14)
    assert loss.method_used == "closed form"
    with pytest.raises(SupportError, match="target"):
        loss(raw, torch.full((50,), 4.0, dtype=torch.float64))  # K = 4: labels 0 … 3


def test_cumulative_link_model_in_torch_is_the_regression_mle():
    X, y = _data()
    reg = mk.Regression(family="ordinal", link="logit").fit(X, y).result_
    beta_hat = np.asarray(reg.theta, float)[:3]
    cuts_hat = np.asarray(reg.theta, float)[3:]

    Xt, yt = torch.tensor(X), torch.tensor(y)
    beta = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    raw = torch.tensor([-1.0, 0.0, 0.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([beta, raw], lr=1.0, max_iter=500, tolerance_grad=1e-12,
                            tolerance_change=1e-15, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        cuts = mkt.inverse_link("ordered", raw)
        nll = -mkt.log_prob("ordinal", yt, {"theta": cuts - (Xt @ beta)[:, None]}).sum()
        nll.backward()
        return nll

    for _ in range(5):
        opt.step(closure)
    nll = float(closure().detach())
    cuts = mkt.inverse_link("ordered", raw).detach().numpy()
    assert -nll == pytest.approx(reg.llf, rel=1e-10)
    np.testing.assert_allclose(beta.detach().numpy(), beta_hat, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(cuts, cuts_hat, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shift", [-700.0, -40.0, 40.0, 700.0])
def test_tails_are_exact_and_gradients_finite(shift):
    """Cut points far out on either side: log P to 1e-12 against mpmath-free closed
    forms of the family (its two-tail logpdf) and finite gradients."""
    theta = torch.tensor([0.0, 1.0, 3.0], dtype=torch.float64) + shift
    theta.requires_grad_(True)
    y = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    lp = mkt.log_prob("ordinal", y, {"theta": theta})
    ref = ORD.logpdf(y.numpy(), theta.detach().numpy())
    assert np.all(np.isfinite(lp.detach().numpy()))
    np.testing.assert_allclose(lp.detach().numpy(), ref, rtol=1e-12, atol=1e-300)
    (g,) = torch.autograd.grad(lp.sum(), [theta])
    assert torch.isfinite(g).all()
    np.testing.assert_allclose(g.numpy(), ORD.score(y.numpy(), theta=theta.detach().numpy())
                               ["theta"].sum(axis=0), rtol=1e-10, atol=1e-300)


def test_labels_off_the_classes_are_minus_inf_with_finite_gradients():
    theta = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 1.5, 4.0, -1.0, 3.0], dtype=torch.float64)
    lp = mkt.log_prob("ordinal", y, {"theta": theta})
    np.testing.assert_array_equal(np.isneginf(lp.detach().numpy()),
                                  [False, True, True, True, False])
    np.testing.assert_array_equal(np.isneginf(ORD.logpdf(y.numpy(), theta.detach().numpy())),
                                  [False, True, True, True, False])
    (g,) = torch.autograd.grad(lp[[0, 4]].sum(), [theta])
    assert torch.isfinite(g).all()
