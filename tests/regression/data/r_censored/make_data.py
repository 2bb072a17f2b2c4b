"""Writes survival.csv and tobit.csv (seeded), the data of make_fixtures.R.

Run from this directory: ``python make_data.py && Rscript make_fixtures.R``.
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261206)
n = 300
x1 = rng.standard_normal(n)
x2 = rng.binomial(1, 0.4, n).astype(float)
t = rng.weibull(1.6, n) * np.exp(1.0 + 0.5 * x1 - 0.4 * x2)
c = rng.exponential(4.0, n)
time = np.round(np.minimum(t, c), 6)
status = (t <= c).astype(int)
# interval-censored version: inspections every 0.5 time units, some exact, some right
lo = np.floor(t / 0.5) * 0.5
hi = lo + 0.5
kind = rng.integers(0, 4, n)  # 0 exact, 1 interval, 2 right at the last inspection, 3 left
left = np.where(kind == 0, np.round(t, 6), np.where(kind == 3, np.nan, lo))
right = np.where(kind == 0, np.round(t, 6), np.where(kind == 2, np.nan, hi))
right = np.where((kind == 2) & (lo == 0), hi, right)  # (nothing is censored at 0:
left = np.where((kind != 0) & (lo == 0), np.nan, left)  # from 0, it is left-censored)
pd.DataFrame({"time": time, "status": status, "x1": np.round(x1, 6), "x2": x2,
              "left": left, "right": right}).to_csv("survival.csv", index=False)

ystar = -0.5 + 1.2 * x1 + 0.8 * x2 + rng.standard_normal(n) * 1.5
y = np.round(np.maximum(ystar, 0.0), 6)
pd.DataFrame({"y": y, "x1": np.round(x1, 6), "x2": x2}).to_csv("tobit.csv", index=False)
