"""A limit on the CPU time of a block (SymPy integrals that may run for minutes).

:class:`CpuLimit` arms the process's virtual (user CPU) timer, SIGVTALRM, so a busy
machine does not make it fire early (main thread on POSIX only; elsewhere it does not
limit). Its handler raises a private ``BaseException``: SymPy catches ``Exception`` inside
some integration routines, which used to swallow a timeout and let an integral run on. It
re-fires every 0.5 s until it gets through; leaving the block swallows it and sets
``expired``. An enclosing limit gets its timer back. Used by ``derive`` (which turns an
expired limit into a DerivationError) and by the truncated combinator (no closed CDF).
"""

from __future__ import annotations

from typing import Any

__all__ = ["CpuLimit"]


class _Expired(BaseException):
    """Raised by the timer; a BaseException, so ``except Exception`` cannot swallow it."""


class CpuLimit:
    """``with CpuLimit(seconds) as lim: ...``; afterwards ``lim.expired`` says whether the
    block was stopped."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.armed, self.expired = seconds, False, False

    def _fire(self, signum: int, frame: Any) -> None:
        raise _Expired

    def __enter__(self) -> CpuLimit:
        import signal
        import threading

        if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGVTALRM, self._fire)
            self.old_timer = signal.getitimer(signal.ITIMER_VIRTUAL)  # an enclosing limit
            signal.setitimer(signal.ITIMER_VIRTUAL, self.seconds, 0.5)
            self.armed = True
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if self.armed:
            import signal

            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            signal.signal(signal.SIGVTALRM, self.old)
            if self.old_timer[0] > 0:  # give an enclosing limit its timer back
                signal.setitimer(signal.ITIMER_VIRTUAL, *self.old_timer)
        if exc_type is not None and issubclass(exc_type, _Expired):
            self.expired = True
            return True
        return False
