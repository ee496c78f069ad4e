"""What `tinygrad-edu grade` writes: Gradescope's results.json per submission, summary.csv, the class table.

    TestResult, SubmissionResult       one check of one submission; one submission (what the grader returns)
    write_results_json(result, path)   Gradescope's autograder format (validated by validate_results_json)
    write_summary_csv(results, checks, path)   one row per submission, one column per check (its score)
    class_table(results, checks)       a rich Table: per check, how many passed and the most common problem
    short_problem(text, name)          a diagnosis sentence as a few words a class can be counted by

Gradescope's format (https://gradescope-autograders.readthedocs.io, "Output format"): top level `score`,
`execution_time`, `output`, `tests`; each test `name`, `score`, `max_score`, `status` ("passed"/"failed"),
`output`, `visibility`.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["TestResult", "SubmissionResult", "write_results_json", "validate_results_json", "write_summary_csv",
           "class_table", "short_problem", "merged_problems"]

_VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def _writable(text):
    """text with what UTF-8 cannot encode (lone surrogates: a student's exception message '\\ud800', a file name
    that is not UTF-8) replaced, so writing results.json, summary.csv or the table cannot fail on it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(text, str) else text


MAX_OUTPUT = 64 * 1024     # characters of one test's (or the header's) output kept: its first and last half


def _clean_strings(obj, names):
    for name in names:
        object.__setattr__(obj, name, _writable(getattr(obj, name)))


def _cut(text, keep=MAX_OUTPUT):
    """text, its middle cut when longer than keep: whatever the student's process sends into a report (a long
    message, a made-up mutation note) cannot make results.json megabytes long."""
    if not isinstance(text, str) or len(text) <= keep:
        return text
    half = keep // 2
    return f"{text[:half]}\n[... {len(text) - keep} characters cut ...]\n{text[-half:]}"


@dataclass(frozen=True)
class TestResult:
    """One check of one submission.  problems: short labels of what went wrong (for the class table), empty
    when it passed; output: the full report text shown to the student."""

    name: str
    score: float
    max_score: float
    passed: bool
    output: str
    visibility: str = "visible"
    problems: tuple = ()

    __test__ = False        # not a pytest test class, whatever its name

    def __post_init__(self):
        object.__setattr__(self, "output", _cut(self.output))
        _clean_strings(self, ("name", "output"))
        object.__setattr__(self, "problems", tuple(_writable(_cut(p, 200)) for p in self.problems))

    def as_gradescope(self):
        return {"name": self.name, "score": float(self.score), "max_score": float(self.max_score),
                "status": "passed" if self.passed else "failed", "output": self.output,
                "visibility": self.visibility}


@dataclass(frozen=True)
class SubmissionResult:
    """One submission graded: its tests in the assignment's order, and the header of its report."""

    name: str
    path: str
    tests: tuple
    execution_time: float
    output: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "output", _cut(self.output))
        _clean_strings(self, ("name", "path", "output"))

    @property
    def score(self):
        return float(sum(t.score for t in self.tests))

    @property
    def max_score(self):
        return float(sum(t.max_score for t in self.tests))

    def _repr_html_(self):
        """Jupyter shows the tests and the score as a table, not the dataclass."""
        from .report_html import submission_html

        return submission_html(self)

    def as_gradescope(self):
        return {"score": self.score, "execution_time": round(float(self.execution_time), 3),
                "output": self.output, "output_format": "text", "test_output_format": "text",
                "tests": [t.as_gradescope() for t in self.tests]}


def write_results_json(result, path):
    """Write result as Gradescope's results.json at path (directories made as needed)."""
    data = result.as_gradescope()
    validate_results_json(data)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return path


def validate_results_json(data):
    """Raise ValueError naming the first field that breaks Gradescope's results.json format."""
    def number(x, where):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise ValueError(f"results.json: {where} must be a finite number, got {x!r}")

    if not isinstance(data, dict):
        raise ValueError(f"results.json: the top level must be an object, got {type(data).__name__}")
    number(data.get("score"), "score")
    number(data.get("execution_time"), "execution_time")
    if not isinstance(data.get("output", ""), str):
        raise ValueError("results.json: output must be a string")
    tests = data.get("tests")
    if not isinstance(tests, list):
        raise ValueError("results.json: tests must be a list")
    for i, t in enumerate(tests):
        where = f"tests[{i}]"
        if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not t["name"]:
            raise ValueError(f"results.json: {where} needs a non-empty name")
        number(t.get("score"), f"{where}.score")
        number(t.get("max_score"), f"{where}.max_score")
        if not 0 <= t["score"] <= t["max_score"]:
            raise ValueError(f"results.json: {where}.score {t['score']} is outside 0..max_score {t['max_score']}")
        if t.get("status") not in ("passed", "failed"):
            raise ValueError(f"results.json: {where}.status must be 'passed' or 'failed', got {t.get('status')!r}")
        if not isinstance(t.get("output"), str):
            raise ValueError(f"results.json: {where}.output must be a string")
        if t.get("visibility") not in _VISIBILITIES:
            raise ValueError(f"results.json: {where}.visibility must be one of {_VISIBILITIES}")
    total = sum(t["score"] for t in tests)
    if abs(total - data["score"]) > 1e-9 * max(1.0, abs(total)):
        raise ValueError(f"results.json: score {data['score']} is not the sum of the tests' scores {total}")


def write_summary_csv(results, titles, path):
    """summary.csv: submission, score, max_score, one column per check (its score), then execution_time."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "score", "max_score", *titles, "execution_time"])
        for r in results:
            by_name = {t.name: t for t in r.tests}
            writer.writerow([r.name, _number(r.score), _number(r.max_score),
                             *(_number(by_name[t].score) if t in by_name else "" for t in titles),
                             f"{r.execution_time:.2f}"])
    return path


def _number(x):
    return f"{x:g}"


# ------------------------------------------------------------------------------------------- the class table
_PATTERNS = (   # (regex on a diagnosis sentence of tinygrad_edu.diagnosis, short label; {g}: the gradient's name)
    (r"regularization gradient is missing", "missing regularization gradient in {g}"),
    (r"a term the loss does not have", "extra regularization term in {g}"),
    (r"batch size twice", "divided by N twice in {g}"),
    (r"divide by the batch size", "forgot 1/N in {g}"),
    (r"activation's OUTPUT|activation's derivative is missing", "{g} summed above the activation (the b1 trap)"),
    (r"the gradient of another parameter", "{g} is another parameter's gradient"),
    (r"sign error in one (row|column)", "sign error in one {0} of {g}"),
    (r"sign flip", "sign flip in {g}"),
    (r"itself \(the same values", "{g} is the parameter array itself"),
    (r"keeps dout on the wrong entries", "ReLU mask on the wrong array in {g}"),
    (r"summed over axis", "bias summed over the wrong axis in {g}"),
    (r"transpose", "transposed {g}"),
    (r"twice the right one", "{g} is 2x the right one"),
    (r"half the right one", "{g} is half the right one"),
    (r"constant factor", "a constant factor off in {g}"),
    (r"has shape|shape \(", "wrong shape of {g}"),
    (r"all zeros", "{g} never computed"),
    (r"zeros where", "a missing term in {g}"),
    (r"non-finite|not finite", "non-finite values in {g}"),
    (r"does not change at all", "loss ignores {g}"),
)
_FAILURES = (   # a failure of the student's code (SandboxFailure.reason) -> its kind, without the call it was in
    (r"timed out", "timed out"),
    (r"out of memory|MemoryError", "ran out of memory"),
    (r"started more than \d+ processes", "started too many processes"),
    (r"sys\.exit|os\._exit|exited|exit status", "exited"),
    (r"killed|signal", "killed by a signal"),
    (r"syntax ?error", "syntax error"),
    (r"raised (\w+)", "raised {0}"),
)


def short_problem(text, name=None):
    """A few words for a diagnosis (name: the parameter, e.g. 'W1' -> 'dW1') or a failure reason."""
    g = f"d{name}" if name else "the gradient"
    for pattern, label in _PATTERNS:
        m = re.search(pattern, text, re.IGNORECASE) if name else None
        if m:
            return label.format(*m.groups(), g=g)
    for pattern, label in _FAILURES:
        m = re.search(pattern, text, re.IGNORECASE)
        if m:
            when = " while imported" if re.search(r"while your file was imported|at import", text) else ""
            return label.format(*m.groups()) + when
    first = re.split(r"[:.;(]", text, maxsplit=1)[0].strip()
    first = re.sub(r"\s+", " ", first)[:60]
    return f"{first} ({g})" if name else first


def merged_problems(labels):
    """Labels of one test with the same mistake in several gradients said once: ("forgot 1/N in dW1",
    "forgot 1/N in db1") -> ("forgot 1/N in dW1, db1",), so one mistake counts once per student."""
    groups = {}
    for label in dict.fromkeys(labels):
        what, sep, where = label.rpartition(" in ")
        key = what if sep and where.startswith("d") and " " not in where else label
        groups.setdefault(key, []).append(where if key == what else None)
    return tuple(key if None in wheres else f"{key} in {', '.join(wheres)}" for key, wheres in groups.items())


def class_table(results, checks):
    """A rich Table: one row per check (points, how many passed, mean score, the most common problem)."""
    from rich.table import Table

    n = len(results)
    table = Table(title=f"{n} submission{'s' if n != 1 else ''} graded", title_justify="left")
    table.add_column("check")
    table.add_column("points", justify="right")
    table.add_column("passed", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("most common problems", ratio=1)
    for check in checks:
        tests = [t for r in results for t in r.tests if t.name == check.title]
        passed = sum(t.passed for t in tests)
        mean = sum(t.score for t in tests) / len(tests) if tests else 0.0
        counts = Counter(p for t in tests for p in dict.fromkeys(t.problems))
        common = "\n".join(f"{k} of {n} {label}" for label, k in counts.most_common(3))
        style = "green" if passed == len(tests) else ("red" if passed < len(tests) / 2 else "yellow")
        table.add_row(check.title, _number(check.points), f"[{style}]{passed}/{len(tests)}[/{style}]",
                      f"{mean:.2f}", common or "-")
    total = [r.score for r in results]
    if total:
        table.caption = (f"total: mean {sum(total) / n:.2f} of {_number(results[0].max_score)}; "
                         f"{sum(r.score == r.max_score for r in results)} of {n} full marks")
    return table
