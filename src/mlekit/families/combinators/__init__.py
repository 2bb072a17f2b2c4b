r"""Combinators: families made of families, so that they work wherever a family works.

* :func:`ZeroInflated` — a count family with extra zeros,
  P(0) = π + (1 − π) f(0), P(y) = (1 − π) f(y) for y > 0;
* :func:`Hurdle` — zeros from a binary hurdle, positives from F truncated at zero,
  P(0) = π, P(y) = (1 − π) f(y)/(1 − F(0));
* :func:`Mixture` — a finite mixture p(y) = Σ_j w_j f_j(y) of univariate families,
  fitted by EM from seeded starts and polished by Newton;
* :func:`Shifted` — F moved to start at a threshold ``loc``, p(y) = f(y − loc) on y > loc
  (the three-parameter Weibull, Gamma, log-normal);
* :func:`Truncated` — F restricted to [low, high], p(y) = f(y)/(F(high) − F(low))
  (for counts the mass of {low, …, high}; ``low=1`` is zero-truncated).

Each returns a :class:`~mlekit.families.base.Family` instance (one per construction)
whose parameters are its own (``pi``) followed by the base family's. Log-density, CDF,
quantiles, sampler, mean and variance follow from the base family's; the score and
Hessian follow from the base's by the chain rule, so ``mk.fit`` and ``Regression`` (a
linear predictor per parameter: ``designs={"pi": Z}``) work on them.
"""

from ._hurdle import Hurdle, HurdleFamily
from ._mixture import Mixture, MixtureFamily
from ._shifted import Shifted, ShiftedFamily
from ._truncated import Truncated, TruncatedFamily
from ._zeroinflated import ZeroInflated, ZeroInflatedFamily

__all__ = ["Hurdle", "HurdleFamily", "Mixture", "MixtureFamily", "Shifted", "ShiftedFamily",
           "Truncated", "TruncatedFamily", "ZeroInflated", "ZeroInflatedFamily"]
