r"""Divergences between distributions, and between data and a model.

* :func:`kl`, :func:`entropy`, :func:`cross_entropy` — for frozen distributions
  (or batches): a closed form registered for the pair of families when there is
  one, else an exact sum, quadrature or Monte Carlo; the result says which ran
  and its error estimate. KL(p ‖ q) = E_p[log p − log q]: the expectation is
  under the **first** argument.
* :func:`kl_decomposition`, :func:`kl_profile` — "maximum likelihood is minimum
  KL": the mean NLL of data under a model is the cross-entropy
  H(p̂, p_θ) = H(p̂) + KL(p̂ ‖ p_θ), and its minimiser over θ is the MLE.
* :func:`knn_kl`, :func:`knn_entropy` — k-nearest-neighbour estimators from samples.
"""

from . import cross_family  # noqa: F401  (registers the cross-family closed forms)
from ._result import DivergenceResult
from .core import cross_entropy, entropy, kl
from .mle_kl import KLDecomposition, KLProfile, kl_decomposition, kl_profile
from .samples import knn_entropy, knn_kl

__all__ = [
    "DivergenceResult",
    "KLDecomposition",
    "KLProfile",
    "cross_entropy",
    "entropy",
    "kl",
    "kl_decomposition",
    "kl_profile",
    "knn_entropy",
    "knn_kl",
]
