"""The lessons: numbered scripts that follow the lecture notes topic by topic (see lessons/README.md).

    tinygrad-edu lessons                  list them
    tinygrad-edu lesson 1 --out out       run lesson 1, writing its pictures to out/
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass

_HERE = os.path.dirname(os.path.abspath(__file__))
_PATTERN = re.compile(r"^(\d\d)_(\w+)\.py$")


@dataclass(frozen=True)
class LessonInfo:
    number: int
    module: str
    title: str
    path: str
    notes: str = ""          # the lecture notes it follows (its NOTES constant)
    run_time: str = ""       # how long it takes at full settings on 2 cores (its RUN_TIME constant)


def available():
    """Every numbered lesson script, in order."""
    found = []
    for filename in sorted(os.listdir(_HERE)):
        m = _PATTERN.match(filename)
        if m:
            module = f"lessons.{filename[:-3]}"
            path = os.path.join(_HERE, filename)
            found.append(LessonInfo(int(m.group(1)), module, _title(path), path, _constant(path, "NOTES"),
                                    _constant(path, "RUN_TIME")))
    return found


def _title(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip().strip('"').strip()
            if line:
                return line
    return os.path.basename(path)


def _constant(path, name):
    """A NAME = "..." constant of a lesson script, read as text (listing lessons imports none of them)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(rf'^{name}\s*=\s*"([^"]*)"', line)
            if m:
                return m.group(1)
    return ""


def load(number: int):
    """The module of lesson `number` (its `run(lesson)` function runs it)."""
    for info in available():
        if info.number == number:
            return importlib.import_module(info.module)
    numbers = [i.number for i in available()]
    raise ValueError(f"lesson: there is no lesson {number}; available: {numbers}")
