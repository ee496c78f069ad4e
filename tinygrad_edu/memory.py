"""Keep the memory a training step frees for the next step (Linux with glibc's malloc; elsewhere nothing changes).

Why: every step builds a graph of fresh numpy arrays in the forward pass and frees them during backward.  By
default glibc's malloc hands the freed top of its heap back to the operating system once it exceeds a threshold,
and serves large arrays from fresh memory maps, so the next step page-faults every page back in.  Raising the two
thresholds below keeps that memory for the next step (benchmarks/page_faults.py measures the page faults and the
step time with and without; benchmarks/README.md has the figures).

The cost: the process keeps up to TRIM_THRESHOLD bytes of freed memory instead of returning them, as PyTorch's
caching allocator does, and the setting holds for the whole process (numpy, torch, everything).  So it is opt-in:
importing tinygrad_edu changes nothing; the lesson runner, RBM.fit and the benchmarks call keep_freed_memory(), and
so may your own training script:

    import tinygrad_edu as tg
    tg.memory.keep_freed_memory()      # once, before training

TINYGRAD_EDU_KEEP_MEMORY=0 (or false, no, off) in the environment turns those calls into no-ops.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["KEPT", "keep_freed_memory"]

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3     # mallopt parameter numbers, from glibc's <malloc.h>
TRIM_THRESHOLD = 256 * 2**20                    # free memory at the heap's top kept, not returned (bytes)
MMAP_THRESHOLD = 32 * 2**20                     # arrays below this come from the heap; 32 MiB is glibc's maximum

KEPT = False                                    # whether keep_freed_memory() changed malloc's settings


def keep_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds (see the module docstring).  Returns True if they were raised.

    It does nothing, and returns False, on a system without glibc or when TINYGRAD_EDU_KEEP_MEMORY=0 is set.
    Calling it again changes nothing more.
    (If glibc refuses a value, e.g. 32 MiB on a 32-bit system, it returns False; a setting already made stays.)
    """
    global KEPT
    opted_out = os.environ.get("TINYGRAD_EDU_KEEP_MEMORY", "1").strip().lower() in ("0", "false", "no", "off")
    if opted_out or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)               # the C library this process already runs on
        libc.gnu_get_libc_version              # noqa: B018  (present only in glibc; musl's mallopt does nothing)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    KEPT = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return KEPT
