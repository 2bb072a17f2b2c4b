"""kl_profile works for families whose specialised mle() reports solver details."""

import mlekit as mk


def test_kl_profile_negative_binomial_argmin_is_the_mle():
    x = mk.NegativeBinomial(mu=4.0, alpha=0.5).sample(500, rng=0)
    prof = mk.kl_profile(x, "negativebinomial", "mu")
    fitted = mk.NegativeBinomial.mle(x)
    assert prof.mle["mu"] == fitted["mu"]
    assert abs(prof.argmin_refined - fitted["mu"]) < 1e-5 * fitted["mu"]
