r"""mlekit for PyTorch: every derived loss as a ``torch.nn`` loss, and batched KL.

Imported on demand (``import mlekit.torch`` or ``mlekit.torch`` via the lazy
attribute of :mod:`mlekit`); ``import mlekit`` itself never imports torch.
Needs the optional extra ``mlekit[torch]`` (``torch==2.13.0``).

* :class:`NLLLoss` — the full negative log-likelihood of any registered (or
  custom) family, from raw network outputs through link heads;
* :func:`nll`, :func:`log_prob` — functional forms;
* :func:`kl` — closed-form KL divergences on batches of tensors or
  ``torch.distributions`` objects;
* :func:`inverse_link` / :data:`HEADS` — torch inverses of the links of
  :mod:`mlekit.links` (plus ``softplus``).

Example
-------
>>> import torch, mlekit.torch as mkt
>>> loss = mkt.NLLLoss("poisson", heads={"rate": "log"})
>>> eta = torch.zeros(3, requires_grad=True)
>>> loss(eta, torch.tensor([0.0, 1.0, 2.0]))   # mean of e^η − yη + log y!
tensor(1.2310, grad_fn=<MeanBackward0>)
"""

try:
    import torch as _torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "mlekit.torch needs PyTorch: pip install 'mlekit[torch]' (torch==2.13.0)"
    ) from exc

from ._bridge import numpy_log_density
from ._kl import TORCH_KL, kl, to_mlekit
from ._links import HEADS, HeadValue, inverse_link, torch_head_names
from ._logprob import CLOSED_FORMS, closed_form_for, resolve_log_density, symbolic_log_density
from ._loss import NLLLoss, default_head, log_prob, nll
from ._symbolic import compile_sympy

__all__ = [
    "CLOSED_FORMS",
    "HEADS",
    "TORCH_KL",
    "HeadValue",
    "NLLLoss",
    "closed_form_for",
    "compile_sympy",
    "default_head",
    "inverse_link",
    "kl",
    "log_prob",
    "nll",
    "numpy_log_density",
    "resolve_log_density",
    "symbolic_log_density",
    "to_mlekit",
    "torch_head_names",
]
