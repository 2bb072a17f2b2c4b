"""Writes ordinal.csv (seeded), the data of make_fixtures.R.

Run from this directory: ``python make_data.py && Rscript make_fixtures.R``.
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261206)
n = 400
x1 = np.round(rng.standard_normal(n), 6)
x2 = rng.binomial(1, 0.45, n).astype(float)
x3 = np.round(rng.uniform(-1, 1, n), 6)
latent = 0.9 * x1 - 0.6 * x2 + 0.4 * x3 + rng.logistic(size=n)
y = np.digitize(latent, [-1.2, 0.0, 1.1, 2.3])  # five ordered classes 0..4
pd.DataFrame({"y": y, "x1": x1, "x2": x2, "x3": x3}).to_csv("ordinal.csv", index=False)
