"""The ``Ordered`` domain: increasing cut points (the Ordinal's ``theta``).

Its map from the reals (θ₁ = u₁, θⱼ = θⱼ₋₁ + e^{uⱼ}) is what the generic optimiser and the
torch head ``ordered`` use; its Jacobian is analytic and held here against central
differences; a vector that is not strictly increasing is refused with the entries named.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlekit.domains import Ordered
from mlekit.errors import ParameterError
from mlekit.estimate._transform import domain_centre, is_vector_domain


@pytest.mark.parametrize("seed", range(5))
def test_round_trip_and_jacobian(seed):
    rng = np.random.default_rng(seed)
    u = rng.normal(0, 1.5, 5)
    theta = Ordered.from_unconstrained(u)
    assert np.all(np.diff(theta) > 0)
    np.testing.assert_allclose(Ordered.to_unconstrained(theta), u, rtol=1e-10, atol=1e-12)
    h = 1e-6
    numeric = np.column_stack([
        (Ordered.from_unconstrained(u + h * e) - Ordered.from_unconstrained(u - h * e)) / (2 * h)
        for e in np.eye(u.size)])
    np.testing.assert_allclose(Ordered.jacobian(theta), numeric, rtol=1e-7, atol=1e-9)


def test_batches_and_declarations():
    u = np.random.default_rng(0).normal(size=(4, 3))
    theta = Ordered.from_unconstrained(u)
    assert theta.shape == (4, 3) and bool(np.all(Ordered.contains(theta)))
    assert is_vector_domain(Ordered) and Ordered.event_ndim == 1
    assert Ordered.unconstrained_size((3,)) == 3
    assert Ordered.length_for_classes(4) == 3     # K classes: K - 1 cut points
    np.testing.assert_array_equal(domain_centre(Ordered, (3,)), [0.0, 1.0, 2.0])


@pytest.mark.parametrize(("value", "match"), [
    ([0.0, 0.0, 1.0], r"entry 0 is 0 and entry 1 is 0"),
    ([[0.0, 1.0, 2.0], [0.0, 2.0, 1.0]], r"entry 1 is 2 and entry 2 is 1 in the vector at "
                                           r"batch index \(1,\)"),
    ([0.0, np.nan], "non-finite"),
    (1.0, "vector of cut points"),
])
def test_refusals_name_the_entries(value, match):
    with pytest.raises(ParameterError, match=match):
        Ordered.check(value, what="theta", owner="Ordinal")
    assert not np.all(Ordered.contains(np.asarray(value, float)))
