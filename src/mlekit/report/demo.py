"""The main job: the six ideas of mlekit, computed on shipped real data and checked.

:func:`run_demo` computes everything (numbers, checks and the raw material of
the figures) once; :func:`print_demo` prints it with rich, :func:`demo_json`
gives plain data, and :func:`mlekit.report.demo_report` turns it into one HTML
file. Each check compares two independent computations (a closed form against
a numeric one, a library against a peer, a derivation against direct
evaluation) and records the discrepancy.

1. MLE on real data: the Nile's annual flow, Normal fit; the raw product of
   944 densities underflows to 0.0 while the sum of logs is exact.
2. Conditional likelihood: logistic regression of the 1996 US presidential vote.
3. KL divergence: the Nile before and after 1898, closed form against
   quadrature; KL ≥ 0 and asymmetric.
4. MLE = minimum KL: KL(p̂ ‖ p_θ) against θ bottoms out at the MLE, and
   H(p̂, p_θ) = H(p̂) + KL(p̂ ‖ p_θ) holds exactly for discrete data.
5. MSE from the Gaussian, with the exact scale and constant, checked on Engel's
   food-expenditure regression.
6. BCE from the Bernoulli, checked on the vote model against scikit-learn's
   ``log_loss``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["DemoSection", "demo_json", "print_demo", "run_demo"]


@dataclass
class DemoSection:
    """One idea: what it says, the data used, facts, checks, and objects for the figures."""

    number: int
    title: str
    idea: str
    data: str
    facts: list[tuple[str, Any]] = field(default_factory=list)
    checks: list[tuple[bool, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def check(self, ok: Any, text: str) -> None:
        self.checks.append((bool(ok), text))


def _rel(a: float, b: float) -> float:
    a, b = float(a), float(b)
    return abs(a - b) / max(abs(b), 1e-300)


# ---------------------------------------------------------------------------- 1
def _idea1() -> DemoSection:
    from ..datasets import load
    from ..estimate import fit
    from ..families import Normal

    s = DemoSection(1, "Maximum likelihood on real data: a sum of logs, never a product",
                    "θ_ML = argmax_θ Σ log p(x_i; θ). Multiplying probabilities underflows; "
                    "adding their logs does not.",
                    "Nile annual flow at Aswan 1871–1970 (100 years, 10⁸ m³); ANES 1996 "
                    "respondents' ages (944)")
    nile = load("nile")
    x = nile["volume"].to_numpy(float)
    res = fit(x, Normal)
    mu, sigma = float(res.params["mu"]), float(res.params["sigma"])
    n = x.size
    s.facts += [("μ̂ (mean flow)", mu), ("σ̂", sigma), ("se(μ̂)", float(res.bse["mu"])),
                ("log-likelihood", float(res.llf)), ("method", res.method), ("n", n)]
    s.check(_rel(mu, x.mean()) < 1e-12, f"μ̂ equals the sample mean {x.mean():.6g}")
    s.check(_rel(sigma, x.std(ddof=0)) < 1e-12,
            f"σ̂ equals the ddof=0 standard deviation {x.std(ddof=0):.6g}")
    s.check(_rel(float(res.bse["mu"]), sigma / np.sqrt(n)) < 1e-9,
            "se(μ̂) = σ̂/√n from the Fisher information")
    # likelihood profile of mu (sigma re-estimated at each mu)
    grid = np.linspace(mu - 4 * sigma / np.sqrt(n), mu + 4 * sigma / np.sqrt(n), 161)
    sig_mu = np.sqrt(((x[None, :] - grid[:, None]) ** 2).mean(axis=1))
    llf_prof = np.array([Normal.logpdf(x, mu=m, sigma=sg).sum() for m, sg in zip(grid, sig_mu,
                                                                                  strict=True)])
    s.check(abs(grid[np.argmax(llf_prof)] - mu) <= (grid[1] - grid[0]),
            "the profile log-likelihood peaks at μ̂")
    # underflow on a larger sample
    age = load("anes96")["age"].to_numpy(float)
    ra = fit(age, Normal)
    d = ra.distribution
    logp = np.asarray(d.logpdf(age), float)
    with np.errstate(under="ignore"):
        raw = float(np.prod(np.exp(logp)))
        running = np.cumprod(np.exp(logp))
    first_zero = int(np.flatnonzero(running == 0)[0]) + 1 if (running == 0).any() else None
    sum_logs = float(logp.sum())
    s.facts += [("ages: raw product Π p(x_i)", raw), ("ages: Σ log p(x_i)", sum_logs),
                ("ages: product is 0.0 from observation", first_zero),
                ("ages: log₁₀ of the true likelihood", sum_logs / np.log(10.0))]
    s.check(raw == 0.0 and np.isfinite(sum_logs),
            f"the raw product of {age.size} densities underflows to 0.0; "
            f"the sum of logs is {sum_logs:.6g}")
    s.check(_rel(sum_logs, float(ra.llf)) < 1e-10, "Σ log p(x_i) equals the fit's llf")
    s.extra.update(x=x, fit=res, grid=grid, llf_profile=llf_prof, age_logp=logp, age=age,
                   age_fit=ra)
    return s


# ---------------------------------------------------------------------------- 2
_VOTE_FEATURES = ["PID", "selfLR", "age", "educ", "income"]


def _idea2() -> DemoSection:
    from ..datasets import load
    from ..families import Bernoulli
    from ..regression import Regression

    s = DemoSection(2, "Conditional likelihood: logistic regression",
                    "Supervised learning maximises Σ log P(y_i | x_i; θ): here y ~ "
                    "Bernoulli(σ(θᵀx)).",
                    "ANES 1996: vote (1 = Dole, 0 = Clinton) on party identification, "
                    "self-placement left–right, age, education, income (944 voters)")
    df = load("anes96")
    X = df[_VOTE_FEATURES]
    y = df["vote"].to_numpy(float)
    model = Regression(family="bernoulli").fit(X, y)
    r = model.result_
    p_hat = np.asarray(model.predict_proba(X), float)
    p1 = p_hat[:, 1] if p_hat.ndim == 2 else p_hat
    cond_ll = float(np.sum(Bernoulli.logpdf(y, p=p1)))
    D = np.column_stack([np.ones(len(y)), X.to_numpy(float)])
    score = D.T @ (y - p1)
    summ = r.summary()
    s.facts += [("log-likelihood Σ log P(y|x)", float(r.llf)), ("n", int(r.nobs)),
                ("AIC", float(r.aic)), ("accuracy", float(np.mean((p1 > 0.5) == (y == 1))))]
    for name, vals in summ.rows:
        s.facts.append((f"coef {name}", float(vals[0])))
    s.check(_rel(cond_ll, float(r.llf)) < 1e-9,
            "llf equals Σ log P(y_i | x_i) recomputed from predict_proba")
    s.check(float(np.max(np.abs(score))) < 1e-6 * max(1.0, float(np.abs(D).max()) * len(y)),
            f"score equations Σ (y_i − p_i) x_i = 0 at the MLE (max |·| = "
            f"{float(np.max(np.abs(score))):.2e})")
    s.extra.update(model=model, X=X, y=y, p=p1, summary=summ)
    return s


# ---------------------------------------------------------------------------- 3
def _idea3() -> DemoSection:
    from ..datasets import load
    from ..divergence import kl
    from ..estimate import fit
    from ..families import Normal

    s = DemoSection(3, "KL divergence: closed form, quadrature, ≥ 0, asymmetric",
                    "KL(P‖Q) = E_P[log P − log Q]: an integral for continuous P, a sum for "
                    "discrete P; KL ≥ 0, = 0 iff P = Q, and KL(P‖Q) ≠ KL(Q‖P).",
                    "Nile flow fitted separately before (1871–1898) and after (1899–1970) "
                    "its 1898 change point (Cobb 1978)")
    nile = load("nile")
    before = nile.loc[nile["year"] <= 1898, "volume"].to_numpy(float)
    after = nile.loc[nile["year"] > 1898, "volume"].to_numpy(float)
    p = fit(before, Normal).distribution
    q = fit(after, Normal).distribution
    pq_c, pq_q = kl(p, q), kl(p, q, method="quad")
    qp_c, qp_q = kl(q, p), kl(q, p, method="quad")
    pp = kl(p, p)
    s.facts += [("P = before 1898", repr(p)), ("Q = after 1898", repr(q)),
                ("KL(P‖Q) closed form", float(pq_c)), ("KL(P‖Q) quadrature", float(pq_q)),
                ("KL(Q‖P) closed form", float(qp_c)), ("KL(Q‖P) quadrature", float(qp_q)),
                ("quadrature error estimate", float(np.max(pq_q.error)))]
    s.check(_rel(float(pq_q), float(pq_c)) < 1e-8 and _rel(float(qp_q), float(qp_c)) < 1e-8,
            "quadrature agrees with the closed form to 1e-8")
    s.check(float(pq_c) > 0 and float(qp_c) > 0 and float(pp) == 0.0,
            "KL(P‖Q) > 0 for P ≠ Q and KL(P‖P) = 0")
    s.check(abs(float(pq_c) - float(qp_c)) > 1e-3,
            f"asymmetric: KL(P‖Q) = {float(pq_c):.4g} ≠ KL(Q‖P) = {float(qp_c):.4g}")
    s.extra.update(p=p, q=q, kl_pq=float(pq_c), kl_qp=float(qp_c),
                   table=[("KL(P‖Q)", float(pq_c), float(pq_q), float(np.max(pq_q.error))),
                          ("KL(Q‖P)", float(qp_c), float(qp_q), float(np.max(qp_q.error)))])
    return s


# ---------------------------------------------------------------------------- 4
def _idea4() -> DemoSection:
    from ..datasets import load
    from ..divergence import kl_decomposition, kl_profile
    from ..families import Bernoulli, Normal

    s = DemoSection(4, "Maximum likelihood is minimum KL",
                    "Mean NLL = H(p̂, p_θ) = H(p̂) + KL(p̂ ‖ p_θ); H(p̂) does not depend on θ, "
                    "so the θ minimising KL(p̂ ‖ p_θ) is the MLE.",
                    "ANES 1996 vote (Bernoulli, exact plug-in p̂); Nile flow (Normal, μ with "
                    "σ profiled)")
    vote = load("anes96")["vote"].to_numpy(float)
    prof = kl_profile(vote, Bernoulli, "p")
    p_mle = float(np.asarray(prof.mle["p"]))
    dec = kl_decomposition(vote, Bernoulli(p=p_mle))
    dec_other = kl_decomposition(vote, Bernoulli(p=0.5))
    s.facts += [("vote: MLE p̂ = mean", p_mle),
                ("vote: argmin_p KL(p̂ ‖ Bernoulli(p))", float(prof.argmin_refined
                                                             if prof.argmin_refined is not None
                                                             else prof.argmin)),
                ("vote: H(p̂, p_θ̂) mean NLL", dec.mean_nll),
                ("vote: H(p̂)", dec.data_entropy), ("vote: KL(p̂ ‖ p_θ̂)", dec.kl),
                ("vote at p = 0.5: mean NLL", dec_other.mean_nll),
                ("vote at p = 0.5: H(p̂) + KL", dec_other.data_entropy + dec_other.kl)]
    arg = prof.argmin_refined if prof.argmin_refined is not None else prof.argmin
    s.check(abs(float(arg) - p_mle) < 1e-6, f"argmin of KL = MLE = {p_mle:.6g} "
            f"(|difference| = {abs(float(arg) - p_mle):.1e})")
    gap = max(abs(dec.identity_gap), abs(dec_other.identity_gap))
    s.check(gap < 1e-12, f"H(p̂, p_θ) = H(p̂) + KL(p̂ ‖ p_θ) exactly (gap {gap:.1e})")
    s.check(abs(dec.kl) < 1e-12 and dec_other.kl > 0,
            "KL(p̂ ‖ p_θ̂) = 0 at the MLE (a saturated Bernoulli), > 0 elsewhere")
    x = load("nile")["volume"].to_numpy(float)
    prof_n = kl_profile(x, Normal, "mu")
    mu_mle = float(np.asarray(prof_n.mle["mu"]))
    arg_n = prof_n.argmin_refined if prof_n.argmin_refined is not None else prof_n.argmin
    s.facts += [("Nile: MLE μ̂", mu_mle), ("Nile: argmin_μ KL", float(arg_n)),
                ("Nile: H(p̂) (k-NN estimate)", prof_n.data_entropy)]
    s.check(abs(float(arg_n) - mu_mle) < 1e-4 * max(1.0, abs(mu_mle)),
            f"Nile: argmin of KL(p̂ ‖ N(μ, σ̂(μ))) = μ̂ = {mu_mle:.6g}")
    s.extra.update(profile=prof, profile_nile=prof_n, dec=dec, dec_other=dec_other)
    return s


# ---------------------------------------------------------------------------- 5
def _idea5() -> DemoSection:
    from ..datasets import load
    from ..derive import derive
    from ..families import Normal
    from ..regression import Regression

    s = DemoSection(5, "Linear regression: MSE is the Gaussian NLL",
                    "With y | x ~ N(wᵀx, σ²) and σ fixed, NLL = m log σ + (m/2) log 2π + "
                    "Σ (ŷ_i − y_i)² / 2σ²: maximising likelihood is minimising MSE.",
                    "Engel (1857): food expenditure on income, 235 Belgian households")
    d = derive("normal", wrt="mu", fixed=["sigma"])
    df = load("engel")
    X, y = df[["income"]], df["foodexp"].to_numpy(float)
    model = Regression(family="normal").fit(X, y)
    yhat = np.asarray(model.predict(X), float)
    sigma = float(model.result_.nuisance["sigma"])
    m = y.size
    direct = float(-np.sum(Normal.logpdf(y, mu=yhat, sigma=sigma)))
    a = d.scale_value(sigma=sigma)
    c = d.constant_value(y, sigma=sigma)
    sse = float(np.sum((y - yhat) ** 2))
    via_loss = a * sse + c
    textbook = sse / (2 * sigma**2) + m * np.log(sigma) + 0.5 * m * np.log(2 * np.pi)
    s.facts += [("named loss", d.loss_name), ("σ̂ (ML)", sigma),
                ("a at σ̂", a), ("c at σ̂", c), ("Σ (y − ŷ)²", sse),
                ("NLL = −Σ log N(y_i; ŷ_i, σ̂)", direct), ("a · Σ loss_i + c", via_loss),
                ("−llf of the regression", -float(model.result_.llf))]
    s.check(_rel(via_loss, direct) < 1e-12, f"a·Σ(y−ŷ)² + c = NLL (relative difference "
            f"{_rel(via_loss, direct):.1e})")
    s.check(_rel(a, 1 / (2 * sigma**2)) < 1e-12 and _rel(c, textbook - sse / (2 * sigma**2))
            < 1e-12, "a = 1/(2σ²) and c = m log σ + (m/2) log 2π exactly")
    s.check(_rel(-float(model.result_.llf), direct) < 1e-9,
            "the regression's maximised log-likelihood is the same number")
    # least squares = MLE: compare with numpy's lstsq
    A = np.column_stack([np.ones(m), X.to_numpy(float)])
    beta_ls = np.linalg.lstsq(A, y, rcond=None)[0]
    beta = np.asarray(model.result_.theta[: A.shape[1]], float)
    s.check(np.max(np.abs(beta - beta_ls) / np.maximum(np.abs(beta_ls), 1e-300)) < 1e-9,
            "the MLE coefficients equal least squares (numpy.linalg.lstsq)")
    s.extra.update(derivation=d, yhat=yhat, y=y, model=model)
    return s


# ---------------------------------------------------------------------------- 6
def _idea6(vote_section: DemoSection | None) -> DemoSection:
    from sklearn.metrics import log_loss

    from ..derive import derive
    from ..families import Bernoulli

    s = DemoSection(6, "Logistic regression: BCE is the Bernoulli NLL",
                    "With y ~ Bernoulli(p), NLL = −Σ [y log p + (1 − y) log(1 − p)]: the binary "
                    "cross-entropy, scale a = 1, constant c = 0.",
                    "the vote model of idea 2 (944 voters)")
    d = derive("bernoulli")
    if vote_section is None:
        vote_section = _idea2()
    y, p = vote_section.extra["y"], vote_section.extra["p"]
    a = d.scale_value()
    c = d.constant_value(y)
    via_loss = a * float(np.sum(d.loss(y, p=p))) + c
    direct = float(-np.sum(Bernoulli.logpdf(y, p=p)))
    peer = float(log_loss(y, p, normalize=False))
    llf = float(vote_section.extra["model"].result_.llf)
    s.facts += [("named loss", d.loss_name), ("scale a", str(d.scale)),
                ("constant c", str(d.constant)), ("a · Σ BCE_i + c", via_loss),
                ("−Σ log Bernoulli(y_i; p_i)", direct), ("sklearn log_loss (sum)", peer),
                ("−llf of the logistic regression", -llf)]
    s.check(a == 1.0 and c == 0.0, "a = 1 and c = 0: the NLL is exactly the BCE")
    s.check(_rel(via_loss, peer) < 1e-10,
            f"matches scikit-learn's log_loss (relative difference {_rel(via_loss, peer):.1e})")
    s.check(_rel(direct, -llf) < 1e-9, "equals −llf of the fitted logistic regression")
    s.extra.update(derivation=d, y=y, p=p)
    return s


# ---------------------------------------------------------------------------- driver
def run_demo(progress: bool = False) -> list[DemoSection]:
    """Compute the six sections (a few seconds; the first derivation imports SymPy)."""
    steps = [_idea1, _idea2, _idea3, _idea4, _idea5]
    names = ["MLE on the Nile", "logistic regression", "KL divergence", "MLE = min KL",
             "MSE from the Gaussian", "BCE from the Bernoulli"]
    out: list[DemoSection] = []
    prog = None
    if progress:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        prog = Progress(TextColumn("demo: {task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)
        prog.start()
        task = prog.add_task(names[0], total=6)
    try:
        for i in range(6):
            if prog is not None:
                prog.update(task, description=names[i])
            t0 = time.perf_counter()
            sec = steps[i]() if i < 5 else _idea6(out[1] if len(out) > 1 else None)
            sec.seconds = time.perf_counter() - t0
            out.append(sec)
            if prog is not None:
                prog.advance(task)
    finally:
        if prog is not None:
            prog.stop()
    return out


def demo_json(sections: list[DemoSection]) -> dict[str, Any]:
    """Plain data: per section its facts and checks."""
    return {
        "ok": all(ok for s in sections for ok, _ in s.checks),
        "sections": [
            {"number": s.number, "title": s.title, "idea": s.idea, "data": s.data,
             "facts": {k: v for k, v in s.facts},
             "checks": [{"ok": ok, "text": t} for ok, t in s.checks],
             "seconds": round(s.seconds, 3)}
            for s in sections],
    }


def print_demo(sections: list[DemoSection], console: Any) -> None:
    """Print the demo with rich: one panel per idea, facts and ✔/✘ checks."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from .._utils.tables import _fmt

    console.print(Text("mlekit demo — where does your loss function come from?",
                       style="bold"))
    console.print(Text("Six ideas on shipped real data; every number below is checked "
                       "against an independent computation.\n", style="dim"))
    for s in sections:
        t = Table.grid(padding=(0, 2))
        t.add_column(style="dim")
        t.add_column()
        t.add_row("idea", Text(s.idea))
        t.add_row("data", Text(s.data))
        for k, v in s.facts:
            if isinstance(v, (float, np.floating)):
                v = "0.0" if v == 0 else _fmt(float(v))  # an exact 0.0 (underflow) shows as such
            t.add_row(k, Text(str(v)))
        body: list[Any] = [t]
        d = s.extra.get("derivation")
        if d is not None:
            body.append(Text(""))
            body.append(Text(d.to_text()))
        body.append(Text(""))
        for ok, text in s.checks:
            body.append(Text(("✔ " if ok else "✘ ") + text,
                             style="green" if ok else "bold red"))
        from rich.console import Group

        console.print(Panel(Group(*body), title=f"[bold]{s.number}. {s.title}[/bold]",
                            title_align="left", subtitle=f"{s.seconds:.2f} s",
                            subtitle_align="right"))
    n_ok = sum(ok for s in sections for ok, _ in s.checks)
    n = sum(1 for s in sections for _ in s.checks)
    style = "bold green" if n_ok == n else "bold red"
    console.print(Text(f"{n_ok}/{n} checks passed", style=style))
