"""tinygrad_edu.memory: a training step's freed memory is kept for the next step (glibc), and the opt-out works."""

import json
import os
import subprocess
import sys

import pytest

import tinygrad_edu as tg

GLIBC = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None
needs_glibc = pytest.mark.skipif(not GLIBC, reason="malloc settings are only changed under glibc")

# An LSTM training step run alone in a fresh process: minor page faults per step, and whether the setting is active.
PROBE = """
import json, resource
import numpy as np
import tinygrad_edu as tg
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


def probe(keep):
    env = dict(os.environ, TINYGRAD_EDU_KEEP_MEMORY=keep)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@needs_glibc
def test_memory_is_kept_by_default_under_glibc():
    if os.environ.get("TINYGRAD_EDU_KEEP_MEMORY") == "0":
        pytest.skip("opted out in this environment")
    assert tg.memory.KEPT is True


@needs_glibc
def test_keeping_memory_removes_the_page_faults_of_each_step():
    default, kept = probe("0"), probe("1")
    assert default["kept"] is False and kept["kept"] is True
    if default["faults"] < 100:
        pytest.skip(f"this malloc does not give the memory back between steps ({default['faults']} faults/step)")
    assert kept["faults"] < default["faults"] / 10, (default, kept)


@pytest.mark.parametrize("value", ["0", "off"])
def test_opting_out_leaves_malloc_alone(value):
    assert probe(value)["kept"] is False
