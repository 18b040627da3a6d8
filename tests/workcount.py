"""Counting work instead of timing it: the tests share a machine with other jobs, so a wall-clock ceiling fails
when the machine is busy and passes a blow-up when it is idle. Function calls (Python and C, as the profiler
sees them) are a count that load does not change."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")


def count_calls(call: Callable[[], T]) -> tuple[T | BaseException, int]:
    """Run ``call`` in this thread and return its result (or the exception it raised) and the number of
    function calls it made, Python and built-in. The work inside one C call (a regex match, an XML parse) is
    not seen; the tests that use this also bound memory or the size of what reaches such a call."""
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result: T | BaseException = call()
    except Exception as exc:
        result = exc
    finally:
        sys.setprofile(previous)
    return result, calls
