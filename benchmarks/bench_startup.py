"""Start-up time of the ``mlekit`` command and of ``import mlekit``, as whole processes.

Not a test (issue #24: "``mlekit --help`` and one-line errors take at most 0.3 s on a quiet
machine"). Run from the project root::

    .venv/bin/python benchmarks/bench_startup.py                 # 7 runs of each, 1 warm-up
    .venv/bin/python benchmarks/bench_startup.py --runs 15
    # against an older tree (e.g. `git archive <commit> src | tar -x -C /tmp/old`):
    .venv/bin/python benchmarks/bench_startup.py --against /tmp/old

Each command runs as a fresh process (``subprocess``, output discarded) in an empty
temporary directory, so ``missing.csv`` and ``data.csv`` do not exist there. Byte code is
cached as for an installed user (``PYTHONDONTWRITEBYTECODE`` is dropped and
``PYTHONPYCACHEPREFIX`` points into that directory; the warm-up run fills it). The commands
run in turn, round after round, so a drift in the machine's speed touches all alike.
Printed per command: the median, min and max wall time, the median CPU time of the child
(user + sys, from ``getrusage``), and the median against the 0.3 s budget. With
``--against DIR`` the same commands also run with ``DIR/src`` first on ``PYTHONPATH``,
alternating with the current tree, and the median of the paired ratios is printed.

The budget is for a quiet machine: on a shared one, quote medians and ratios (the
``python -c pass`` and ``import typer`` rows show how slow the machine is right now).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 0.3


def _commands(py: str) -> list[tuple[str, list[str], int | None, bool]]:
    """``(label, argv, expected exit status, held to the budget)``."""
    script = Path(py).with_name("mlekit")
    cli = [str(script)] if script.exists() else [py, "-m", "mlekit"]
    return [
        ("python -c pass (reference)", [py, "-c", "pass"], 0, False),
        ("python -c 'import typer' (reference)", [py, "-c", "import typer"], 0, False),
        ("python -c 'import mlekit'", [py, "-c", "import mlekit"], 0, False),
        ("mlekit --help", [*cli, "--help"], 0, True),
        ("mlekit fit --help", [*cli, "fit", "--help"], 0, True),
        ("mlekit fit missing.csv -c x -F normal", [*cli, "fit", "missing.csv", "-c", "x",
                                                   "-F", "normal"], 2, True),
        ("mlekit regress data.csv --family nosuch", [*cli, "regress", "data.csv", "--family",
                                                     "nosuch"], 2, True),
    ]


def _run_once(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, int, str]:
    """One whole process: (wall s, child cpu s, exit status, last line of stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                          cwd=cwd, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = proc.stderr.strip().splitlines()
    return wall, cpu, proc.returncode, lines[-1] if lines else ""


def _where_mlekit(py: str, env: dict[str, str], cwd: str) -> str:
    out = subprocess.run([py, "-c", "import mlekit; print(mlekit.__file__)"], env=env, cwd=cwd,
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or out.stderr.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="counted runs of each command")
    ap.add_argument("--warmup", type=int, default=1, help="runs not counted, first")
    ap.add_argument("--against", type=Path, default=None,
                    help="a source tree (with src/) to time the same commands against")
    args = ap.parse_args(argv)
    py = sys.executable
    commands = _commands(py)
    with tempfile.TemporaryDirectory(prefix="mlekit-startup-") as cwd:
        # compiled modules are cached as for an installed user (the warm-up writes them),
        # in a temporary directory rather than beside the sources
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
        env["PYTHONPYCACHEPREFIX"] = str(Path(cwd) / "pycache")
        trees = {"this tree": env}
        if args.against is not None:
            trees["against"] = dict(env, PYTHONPATH=str((args.against / "src").resolve()))
        print(f"python {platform.python_version()} ({py}) on {platform.machine()}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        for name, e in trees.items():
            print(f"mlekit ({name}): {_where_mlekit(py, e, cwd)}")
        walls = {(t, c[0]): [] for t in trees for c in commands}
        cpus = {(t, c[0]): [] for t in trees for c in commands}
        last = {}
        for r in range(args.warmup + args.runs):
            for label, cmd, want, _ in commands:
                for tree, e in trees.items():
                    wall, cpu, code, line = _run_once(cmd, e, cwd)
                    if want is not None and code != want:
                        print(f"warning: {label} ({tree}) exited {code}, expected {want}: "
                              f"{line}")
                    last[(tree, label)] = line
                    if r >= args.warmup:
                        walls[(tree, label)].append(wall)
                        cpus[(tree, label)].append(cpu)
        print(f"\n{args.runs} runs each after {args.warmup} warm-up; seconds; budget "
              f"{BUDGET_S} s (quiet machine) for the rows marked *")
        head = f"{'command':<42} {'median':>7} {'min':>7} {'max':>7} {'cpu':>7}  budget"
        for tree in trees:
            print(f"\n[{tree}]\n{head}")
            for label, _, _, budgeted in commands:
                w, c = walls[(tree, label)], cpus[(tree, label)]
                med = statistics.median(w)
                verdict = ("within" if med <= BUDGET_S else "over") if budgeted else ""
                mark = "*" if budgeted else " "
                print(f"{mark}{label:<41} {med:7.3f} {min(w):7.3f} {max(w):7.3f} "
                      f"{statistics.median(c):7.3f}  {verdict}")
        if len(trees) == 2:
            print("\nmedian of paired ratios, this tree / against (wall, cpu)")
            for label, _, _, _ in commands:
                a, b = walls[("this tree", label)], walls[("against", label)]
                ca, cb = cpus[("this tree", label)], cpus[("against", label)]
                rw = statistics.median(x / y for x, y in zip(a, b, strict=True))
                rc = statistics.median(x / y for x, y in zip(ca, cb, strict=True) if y > 0)
                print(f" {label:<41} {rw:7.3f} {rc:7.3f}")
        errors = [(k, v) for k, v in last.items() if v.startswith("mlekit: error")]
        if errors:
            print("\nthe one-line errors (last run):")
            for (tree, label), line in errors:
                print(f" {label} ({tree}): {line[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
