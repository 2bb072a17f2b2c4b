"""The examples in the divergence docstrings run and give what they say."""

import doctest

import pytest

from mlekit.divergence import _result, core, cross_family, mle_kl, samples


@pytest.mark.parametrize("module", [core, samples, mle_kl, _result, cross_family],
                         ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_examples(module):
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0


@pytest.mark.parametrize("fn", [core.kl, core.entropy, core.cross_entropy, samples.knn_kl,
                                mle_kl.kl_decomposition, mle_kl.kl_profile])
def test_argument_order_is_stated(fn):
    doc = fn.__doc__ or ""
    assert "first" in doc.lower() or fn in (core.entropy,)
