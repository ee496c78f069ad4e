"""Write the exercise stubs (lessons/exercises/NN_name.py) from the solutions (lessons/solutions/NN_name.py).

A solution marks what the student writes with a block

    # TODO: what to write (continued on comment lines that start with '#   ')
    <the solution's code>
    # END TODO

and the stub keeps the comments and replaces the code with a `raise NotImplementedError` that names the function
and the block.  Everything outside the blocks is identical, so a stub and its solution never drift apart
(tests/test_exercise_stubs.py checks that the stubs are what this script writes).

    python scripts/exercise_stubs.py          rewrite the stubs
    python scripts/exercise_stubs.py --check  exit 1 when a stub differs from what would be written
"""

from __future__ import annotations

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOLUTIONS = os.path.join(ROOT, "lessons", "solutions")
EXERCISES = os.path.join(ROOT, "lessons", "exercises")
_FILE = re.compile(r"^\d\d_\w+\.py$")
_DEF = re.compile(r"^def (\w+)\(")
_TODO = re.compile(r"^(\s*)# TODO: ")
_MORE = re.compile(r"^\s*#   ")
_END = re.compile(r"^\s*# END TODO\s*$")


def stub_of(source: str, filename: str = "<solution>") -> str:
    """The stub text of one solution's text (a ValueError for an unclosed or empty block)."""
    lines = source.splitlines(keepends=True)
    counts: dict = {}
    for line in lines:                                   # how many blocks each function has, to number them
        if _DEF.match(line):
            current = _DEF.match(line).group(1)
        elif _TODO.match(line):
            counts[current] = counts.get(current, 0) + 1
    out, function, seen, i = [], None, {}, 0
    while i < len(lines):
        line = lines[i]
        if _DEF.match(line):
            function = _DEF.match(line).group(1)
        m = _TODO.match(line)
        if not m:
            out.append(line)
            i += 1
            continue
        indent = m.group(1)
        out.append(line)
        i += 1
        while i < len(lines) and _MORE.match(lines[i]):
            out.append(lines[i])
            i += 1
        start = i
        while i < len(lines) and not _END.match(lines[i]):
            i += 1
        if i == len(lines) or i == start:
            raise ValueError(f"{filename}: the TODO block of {function} at line {start} is "
                             f"{'never closed by # END TODO' if i == len(lines) else 'empty'}")
        seen[function] = seen.get(function, 0) + 1
        block = f" {seen[function]} of {counts[function]}" if counts[function] > 1 else ""
        out.append(f'{indent}raise NotImplementedError("{function}: write the TODO block{block} above, then delete '
                   'this line")\n')
        out.append(lines[i])                              # the END TODO line
        i += 1
    return "".join(out)


def expected_stubs() -> dict:
    """file name -> the stub text written from its solution."""
    stubs = {}
    for name in sorted(os.listdir(SOLUTIONS)):
        if _FILE.match(name):
            with open(os.path.join(SOLUTIONS, name), encoding="utf-8") as f:
                stubs[name] = stub_of(f.read(), name)
    return stubs


def main(argv=None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = []
    for name, text in expected_stubs().items():
        path = os.path.join(EXERCISES, name)
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current == text:
            continue
        stale.append(name)
        if not check:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if check and stale:
        print(f"stubs out of date: {stale} (run python scripts/exercise_stubs.py)")
        return 1
    print(f"{'stale' if check else 'written'}: {stale or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
