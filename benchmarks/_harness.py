"""What the benchmark scripts share: the BLAS report, the environment of a case
subprocess, and running each case in its own subprocess.

Each case runs in a fresh process (one contender's memory does not count against the
next) whose environment drops ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` (so OpenBLAS
picks its kernel for this CPU; tests and CI leave them alone). A case prints its table,
then ``@@JSON@@`` and its results as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["blas_info", "child_env", "print_blas", "run_cases"]


def blas_info() -> list[dict[str, Any]]:
    """The BLAS / OpenMP libraries loaded in this process (threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed"}]
    keep = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    return [{k: d.get(k) for k in keep} for d in threadpool_info()]


def child_env() -> dict[str, str]:
    """This process's environment without the OpenBLAS kernel overrides."""
    env = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(k, None)
    return env


def run_cases(script: str, cases: Sequence[str], argv: Callable[[str], list[str]]
              ) -> tuple[dict[str, Any], list[str]]:
    """Run ``script`` once per case with ``argv(case)``; print each case's table as it
    comes; ``({case: its JSON}, [the cases that failed])``."""
    results: dict[str, Any] = {}
    failed: list[str] = []
    for case in cases:
        proc = subprocess.run([sys.executable, script, *argv(case)], capture_output=True,
                              text=True, env=child_env(), check=False)
        text, _, payload = proc.stdout.partition("@@JSON@@")
        print(text, end="")
        if proc.returncode != 0 or not payload:
            print(f"!! case {case} failed:\n{proc.stderr[-3000:]}")
            failed.append(case)
            continue
        results[case] = json.loads(payload)
    return results, failed


def print_blas(blas: list[dict[str, Any]]) -> None:
    print("\nBLAS in the case subprocesses (threadpoolctl): "
          + "; ".join(", ".join(f"{k}={v}" for k, v in d.items()) for d in blas))
