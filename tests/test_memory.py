"""tinygrad_edu.memory: importing the library leaves malloc alone; keep_freed_memory() (opt-in) keeps a training
step's freed memory for the next step under glibc, and TINYGRAD_EDU_KEEP_MEMORY=0 turns the call into a no-op."""

import json
import os
import subprocess
import sys

import pytest

GLIBC = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None
needs_glibc = pytest.mark.skipif(not GLIBC, reason="malloc settings are only changed under glibc")

# An LSTM training step run alone in a fresh process: minor page faults per step, and whether the setting is active.
PROBE = """
import json, resource, sys
import numpy as np
import tinygrad_edu as tg
if sys.argv[1] == "keep":
    tg.memory.keep_freed_memory()
tg.manual_seed(0)
lstm = tg.nn.LSTM(32, 64)
x = tg.randn(30, 32, 32)
def step():
    out, _ = lstm(x)
    (out * out).sum().backward()
for _ in range(2):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(4):
    step()
print(json.dumps({"faults": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 4,
                  "kept": tg.memory.KEPT}))
"""

# Where malloc serves a 24 MiB block: glibc's default maps it from the system (mallinfo's hblks counts one more
# mapped block); with keep_freed_memory()'s 32 MiB mmap threshold it comes from the heap.  argv: what to import.
MALLOC_PROBE = """
import ctypes, json, sys
class MallInfo(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL(None)
libc.mallinfo.restype = MallInfo
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
import numpy
if sys.argv[1] != "numpy":
    import tinygrad_edu
    if sys.argv[1] == "keep":
        tinygrad_edu.memory.keep_freed_memory()
before = libc.mallinfo().hblks
block = libc.malloc(24 << 20)
mapped = libc.mallinfo().hblks - before
libc.free(block)
print(json.dumps({"mapped": mapped}))
"""


def run(script, arg, **env):
    out = subprocess.run([sys.executable, "-c", script, arg], env=dict(os.environ, **env), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_library_keeps_nothing():
    out = subprocess.run([sys.executable, "-c", "import tinygrad_edu as tg; print(tg.memory.KEPT)"],
                         capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@needs_glibc
def test_importing_the_library_leaves_mallocs_settings_as_they_were():
    keep = run(MALLOC_PROBE, "keep", TINYGRAD_EDU_KEEP_MEMORY="1")
    alone = run(MALLOC_PROBE, "numpy")
    imported = run(MALLOC_PROBE, "import")
    assert alone["mapped"] == 1, alone              # glibc's default: a 24 MiB block is a mapping of its own
    assert keep["mapped"] == 0, keep                # the probe sees the change keep_freed_memory() makes...
    assert imported == alone                        # ...and importing tinygrad_edu makes none


@needs_glibc
def test_keeping_memory_removes_the_page_faults_of_each_step():
    default = run(PROBE, "import", TINYGRAD_EDU_KEEP_MEMORY="1")
    kept = run(PROBE, "keep", TINYGRAD_EDU_KEEP_MEMORY="1")
    assert default["kept"] is False and kept["kept"] is True
    if default["faults"] < 100:
        pytest.skip(f"this malloc does not give the memory back between steps ({default['faults']} faults/step)")
    assert kept["faults"] < default["faults"] / 10, (default, kept)


@pytest.mark.parametrize("value", ["0", "off"])
def test_opting_out_turns_the_call_into_a_no_op(value):
    assert run(PROBE, "keep", TINYGRAD_EDU_KEEP_MEMORY=value)["kept"] is False
