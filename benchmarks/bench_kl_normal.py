"""Batched closed-form KL(Normal || Normal) over many parameter pairs: mlekit vs torch (CPU).

Not a test. Run from the project root:

    .venv/bin/python benchmarks/bench_kl_normal.py [--n 10000000] [--repeats 3]

Prints the median wall time of ``repeats`` runs of each contender on the same
float64 parameter arrays, and checks that the values agree.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import mlekit as mk
from mlekit.divergence import kl


def _median_time(fn, repeats: int) -> tuple[float, object]:
    fn()  # warm-up: page faults of fresh output memory are not the contender's cost
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=args.n), rng.normal(size=args.n)
    s1, s2 = rng.uniform(0.5, 2.0, args.n), rng.uniform(0.5, 2.0, args.n)
    p, q = mk.Normal(mu1, s1), mk.Normal(mu2, s2)

    rows = []
    t_mk, r = _median_time(lambda: kl(p, q), args.repeats)
    rows.append(("mlekit kl(p, q) (distributions built)", t_mk))
    t_mk_all, _ = _median_time(lambda: kl(mk.Normal(mu1, s1), mk.Normal(mu2, s2)), args.repeats)
    rows.append(("mlekit incl. building + validating p, q", t_mk_all))
    value = np.asarray(r)

    def plain():
        ratio = s1 / s2
        return -np.log(ratio) + 0.5 * (ratio**2 + ((mu1 - mu2) / s2) ** 2) - 0.5

    t_np, _ = _median_time(plain, args.repeats)
    rows.append(("plain NumPy expression", t_np))

    def in_place():
        r = s1 / s2
        d = mu1 - mu2
        d /= s2
        d *= d
        t = r * r
        t += d
        t *= 0.5
        t -= 0.5
        np.log(r, out=r)
        t -= r
        return t

    t_ip, v_ip = _median_time(in_place, args.repeats)
    rows.append(("NumPy, in place (3 temporaries)", t_ip))
    assert np.allclose(v_ip, value, rtol=1e-12, atol=1e-12)
    try:
        import torch
        from torch.distributions import Normal, kl_divergence
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(torch.get_num_threads())
        tm1, tm2, ts1, ts2 = (torch.from_numpy(a) for a in (mu1, mu2, s1, s2))
        tp, tq = Normal(tm1, ts1), Normal(tm2, ts2)
        t_t, tr = _median_time(lambda: kl_divergence(tp, tq), args.repeats)
        rows.append((f"torch {torch.__version__} kl_divergence float64 "
                     f"({torch.get_num_threads()} threads)", t_t))
        t_t_all, _ = _median_time(
            lambda: kl_divergence(Normal(tm1, ts1), Normal(tm2, ts2)), args.repeats)
        rows.append(("torch incl. building Normal objects", t_t_all))
        assert np.allclose(tr.numpy(), value, rtol=1e-12, atol=1e-12)
    print(f"KL(Normal || Normal) over {args.n:,} pairs, float64, median of {args.repeats}")
    for name, t in rows:
        print(f"  {name:<55s} {t:8.4f} s")
    if torch is not None:
        print(f"  speed-up mlekit vs torch: {t_t / t_mk:.2f}x (incl. construction: "
              f"{t_t_all / t_mk_all:.2f}x)")


if __name__ == "__main__":
    main()
