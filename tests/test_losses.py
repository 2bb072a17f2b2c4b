"""Named losses vs scikit-learn metrics and closed forms; exact at extreme logits."""

import numpy as np
import pytest
from scipy.special import expit, gammaln, softmax
from sklearn import metrics

from mlekit import losses
from mlekit.errors import DataError, SupportError, UnknownNameError

RNG = np.random.default_rng(0)
N = 50
Y_REAL = RNG.normal(size=N)
PRED_REAL = RNG.normal(size=N)
W = RNG.uniform(0.5, 2.0, size=N)
Y_BIN = (RNG.random(N) < 0.4).astype(float)
LOGITS = RNG.normal(scale=2.0, size=N)
Y_CAT = RNG.integers(0, 3, size=N)
LOGITS3 = RNG.normal(size=(N, 3))
Y_COUNT = RNG.poisson(3.0, size=N).astype(float)
LOGMU = RNG.normal(1.0, 0.3, size=N)
Y_POS = RNG.gamma(2.0, 1.5, size=N)
MU_POS = RNG.gamma(2.0, 1.5, size=N)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_against_sklearn_metrics(weighted):
    w = W if weighted else None
    assert losses.mse(Y_REAL, PRED_REAL, w) == pytest.approx(
        metrics.mean_squared_error(Y_REAL, PRED_REAL, sample_weight=w), rel=1e-12)
    assert losses.mae(Y_REAL, PRED_REAL, w) == pytest.approx(
        metrics.mean_absolute_error(Y_REAL, PRED_REAL, sample_weight=w), rel=1e-12)
    assert losses.pinball(Y_REAL, PRED_REAL, 0.3, w) == pytest.approx(
        metrics.mean_pinball_loss(Y_REAL, PRED_REAL, alpha=0.3, sample_weight=w), rel=1e-12)
    assert losses.bce(Y_BIN, expit(LOGITS), w) == pytest.approx(
        metrics.log_loss(Y_BIN, expit(LOGITS), sample_weight=w), rel=1e-10)
    assert losses.bce_with_logits(Y_BIN, LOGITS, w) == pytest.approx(
        metrics.log_loss(Y_BIN, expit(LOGITS), sample_weight=w), rel=1e-10)
    assert losses.cross_entropy(Y_CAT, LOGITS3, w) == pytest.approx(
        metrics.log_loss(Y_CAT, softmax(LOGITS3, axis=1), sample_weight=w), rel=1e-10)
    assert losses.poisson_deviance(Y_COUNT, np.exp(LOGMU), w) == pytest.approx(
        metrics.mean_poisson_deviance(Y_COUNT, np.exp(LOGMU), sample_weight=w), rel=1e-12)
    assert losses.gamma_deviance(Y_POS, MU_POS, w) == pytest.approx(
        metrics.mean_gamma_deviance(Y_POS, MU_POS, sample_weight=w), rel=1e-12)


def test_reductions_and_weights():
    per_row = losses.mse(Y_REAL, PRED_REAL, reduction="none")
    np.testing.assert_allclose(per_row, (Y_REAL - PRED_REAL) ** 2)
    assert losses.mse(Y_REAL, PRED_REAL, reduction="sum") == pytest.approx(per_row.sum())
    np.testing.assert_allclose(losses.mse(Y_REAL, PRED_REAL, W, reduction="none"), W * per_row)
    assert losses.mse(Y_REAL, PRED_REAL, W, reduction="sum") == pytest.approx(np.sum(W * per_row))
    with pytest.raises(DataError, match="reduction"):
        losses.mse(Y_REAL, PRED_REAL, reduction="avg")


def test_poisson_is_the_poisson_nll():
    from scipy import stats

    nll = -stats.poisson.logpmf(Y_COUNT, np.exp(LOGMU)).sum()
    assert losses.poisson(Y_COUNT, LOGMU, reduction="sum", full=True) == pytest.approx(nll)
    assert losses.poisson(Y_COUNT, LOGMU, reduction="sum") == pytest.approx(
        nll - gammaln(Y_COUNT + 1).sum())


def test_gamma_deviance_scale_and_constant():
    from scipy import stats

    k = 2.5
    nll = -stats.gamma.logpdf(Y_POS, k, scale=MU_POS / k).sum()
    c = np.sum(gammaln(k) - k * np.log(k) + k + np.log(Y_POS))
    assert nll == pytest.approx(k / 2 * losses.gamma_deviance(Y_POS, MU_POS, reduction="sum") + c)


def test_mse_is_normal_nll_up_to_a_and_c():
    from scipy import stats

    sigma, m = 1.7, N
    nll = -stats.norm.logpdf(Y_REAL, PRED_REAL, sigma).sum()
    a, c = 1 / (2 * sigma**2), m * np.log(sigma) + m / 2 * np.log(2 * np.pi)
    assert nll == pytest.approx(a * losses.mse(Y_REAL, PRED_REAL, reduction="sum") + c)


def test_mae_is_laplace_nll():
    from scipy import stats

    b = 0.8
    nll = -stats.laplace.logpdf(Y_REAL, PRED_REAL, b).sum()
    assert nll == pytest.approx(losses.mae(Y_REAL, PRED_REAL, reduction="sum") / b
                                + N * np.log(2 * b))


def test_extreme_logits_are_finite_and_exact():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    eta = np.array([1000.0, -1000.0, -1000.0, 1000.0])
    np.testing.assert_array_equal(losses.bce_with_logits(y, eta, reduction="none"),
                                  [0.0, 0.0, 1000.0, 1000.0])
    logits = np.array([[1000.0, -1000.0, 0.0], [1000.0, -1000.0, 0.0]])
    np.testing.assert_array_equal(losses.cross_entropy([0, 1], logits, reduction="none"),
                                  [0.0, 2000.0])
    assert losses.poisson([0.0], [-1000.0], reduction="sum") == 0.0


def test_soft_labels_cross_entropy():
    soft = softmax(RNG.normal(size=(N, 3)), axis=1)
    want = -np.sum(soft * np.log(softmax(LOGITS3, axis=1)), axis=1).mean()
    assert losses.cross_entropy(soft, LOGITS3) == pytest.approx(want)


def test_errors_name_index():
    with pytest.raises(SupportError, match="index 2"):
        losses.bce_with_logits([0, 1, 2], [0.0, 0.0, 0.0])
    with pytest.raises(SupportError, match="index 1"):
        losses.cross_entropy([0, 3], LOGITS3[:2])
    with pytest.raises(DataError, match="index 1"):
        losses.mse([0.0, np.nan], [0.0, 0.0])
    with pytest.raises(UnknownNameError, match="did you mean 'mse'"):
        losses.get_loss("msee")
    assert losses.get_loss("MAE") is losses.mae
