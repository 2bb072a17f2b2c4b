"""Simulate the committed data.csv (seeded; run once: python make_data.py).

y: zero-inflated negative binomial counts, log mu = 0.6 + 0.4 x1 - 0.3 x2 (alpha = 0.6),
logit pi = -0.4 + 0.9 z1; ypos: zero-truncated Poisson counts, log rate = 0.3 + 0.5 x1.
"""

import numpy as np

rng = np.random.default_rng(20261206)
n = 400
x1, x2, z1 = (np.round(rng.normal(size=n), 4) for _ in range(3))
mu = np.exp(0.6 + 0.4 * x1 - 0.3 * x2)
alpha = 0.6
lam = rng.gamma(1 / alpha, mu * alpha)
pi = 1 / (1 + np.exp(-(-0.4 + 0.9 * z1)))
y = np.where(rng.random(n) < pi, 0, rng.poisson(lam))
rate = np.exp(0.3 + 0.5 * x1)
ypos = np.empty(n, int)
for i in range(n):  # zero-truncated Poisson by rejection
    k = 0
    while k == 0:
        k = rng.poisson(rate[i])
    ypos[i] = k
with open("data.csv", "w") as fh:
    fh.write("x1,x2,z1,y,ypos\n")
    for row in zip(x1, x2, z1, y, ypos, strict=True):
        fh.write(f"{row[0]:.4f},{row[1]:.4f},{row[2]:.4f},{row[3]},{row[4]}\n")
