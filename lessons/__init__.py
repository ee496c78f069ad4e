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


def available():
    """Every numbered lesson script, in order."""
    found = []
    for filename in sorted(os.listdir(_HERE)):
        m = _PATTERN.match(filename)
        if m:
            module = f"lessons.{filename[:-3]}"
            found.append(LessonInfo(int(m.group(1)), module, _title(os.path.join(_HERE, filename)),
                                    os.path.join(_HERE, filename)))
    return found


def _title(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip().strip('"').strip()
            if line:
                return line
    return os.path.basename(path)


def load(number: int):
    """The module of lesson `number` (its `run(lesson)` function runs it)."""
    for info in available():
        if info.number == number:
            return importlib.import_module(info.module)
    numbers = [i.number for i in available()]
    raise ValueError(f"lesson: there is no lesson {number}; available: {numbers}")
