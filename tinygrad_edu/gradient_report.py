"""The one report type of every gradient check (gradcheck on the engine's ops, the homework checkers).

    ParamResult       one array's verdict: errors, the worst entry, kinks, a diagnosis
    Mutation          student code wrote into an array it was given
    HomeworkReport    the verdict of one check: truthy when every gradient matches and something was tested
                      (GradcheckReport is the same class)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ParamResult", "Mutation", "HomeworkReport"]


@dataclass(frozen=True)
class ParamResult:
    """One parameter's verdict.  analytic/numeric: the two values at worst_index; analytic_grad: the gradient
    under test (float64, as returned); numeric_grad: central differences (NaN where not sampled); kinks: indices
    where the one-sided differences disagree and the analytic value lies between them (not counted as wrong);
    shape: the parameter's shape (a gradient of another shape fails and says so)."""

    name: str
    passed: bool
    max_rel_error: float
    worst_index: tuple
    analytic: float
    numeric: float
    diagnosis: str | None
    checked: int
    size: int
    kinks: tuple
    analytic_grad: np.ndarray
    numeric_grad: np.ndarray
    max_abs_error: float = float("nan")
    shape: tuple | None = None

    @property
    def shape_error(self) -> str | None:
        """'shape (4, 3), expected (3, 4)' when the gradient has the wrong shape, else None."""
        if self.shape is None or tuple(np.shape(self.analytic_grad)) == tuple(self.shape):
            return None
        return f"shape {tuple(np.shape(self.analytic_grad))}, expected {tuple(self.shape)}"

    def _repr_html_(self):
        """Jupyter shows the verdict as a one-row table, not the dataclass with its arrays."""
        from .report_html import param_html

        return param_html(self)

    def __str__(self):
        mark = "ok  " if self.passed else "FAIL"
        if self.shape_error:
            text = f"{mark} {self.name}: {self.shape_error}"
        else:
            where = (f"; worst entry {self.name}{list(self.worst_index)}: analytic {self.analytic:.6g}, numeric "
                     f"{self.numeric:.6g}") if not np.isnan(self.analytic) else ""
            sampled = f", {self.checked} of {self.size} entries sampled" if self.checked < self.size else ""
            text = f"{mark} {self.name}: max relative error {self.max_rel_error:.3g}{where}{sampled}"
        if self.kinks:
            text += (f"\n       {len(self.kinks)} entries at a kink (one-sided differences disagree, your value lies "
                     f"between them; not counted), e.g. {self.name}{list(self.kinks[0])}")
        if self.diagnosis:
            text += f"\n       diagnosis: {self.diagnosis}"
        return text


@dataclass(frozen=True)
class Mutation:
    """Student code changed an array it was given (the check undid it)."""

    by: str
    what: str
    changed: int
    index: tuple | None

    def __str__(self):
        where = f", first at {list(self.index)}" if self.index else ""
        entries = "1 entry" if self.changed == 1 else f"{self.changed} entries"
        return (f"{self.by} modified {self.what} in place ({entries}{where}). The check undid it, but your code "
                "changes its caller's arrays: work on a copy (x = x.copy()) or build a new array")


RULES = {  # rule -> how an entry passes, as the report says it
    "relative": "relative error |a - n| / max(1e-8, |a| + |n|) per entry (cs231n), max over the entries checked; "
                "an entry passes at <= {rtol:g}, or when |a - n| <= {atol:.2g} (the differences' rounding noise). "
                "cs231n's guide: < 1e-7 good, < 1e-4 fine with kinks, > 1e-2 probably wrong",
    "allclose": "an entry passes when |analytic - numeric| <= atol + rtol * |numeric|, atol={atol:g}, rtol={rtol:g}",
}


@dataclass(frozen=True)
class HomeworkReport:
    """The verdict of one gradient check: truthy when every gradient matches and the check tested something.

    report["b1"].passed, `for r in report`, str(report) (plain text), report.print(console=None) (a rich table).
    rule: "relative" (cs231n's relative error, the homework checkers) or "allclose" (gradcheck on the engine's
    ops); notes: precision warnings; mutations: arguments the code changed in place; vacuous: why the check
    tested nothing (no parameters, or a loss that changes with none of them): then it does not pass;
    isolation: where the code under test ran (the sandbox's description; "" in this process).
    """

    check: str
    results: tuple
    h: float
    rtol: float
    atol: float
    notes: tuple = ()
    mutations: tuple = ()
    rule: str = "relative"
    vacuous: str | None = None
    isolation: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.results) and self.vacuous is None and all(r.passed for r in self.results)

    @property
    def eps(self) -> float:
        """gradcheck's name for the step h."""
        return self.h

    @property
    def failed(self) -> list[str]:
        return [r.name for r in self.results if not r.passed]

    def __bool__(self) -> bool:
        return self.passed

    def __iter__(self) -> Iterator[ParamResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, name: str) -> ParamResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"{self.check} report: no parameter named {name!r} (checked: {[r.name for r in self.results]})")

    def headline(self) -> str:
        if self.passed:
            return f"{self.check} passed: every gradient matches ({len(self.results)} checked)"
        if self.vacuous is not None or not self.results:
            return f"{self.check} FAILED: nothing was tested ({self.vacuous or 'no parameters'})"
        return f"{self.check} FAILED: wrong gradient for {', '.join(self.failed)} ({len(self.results)} checked)"

    def thresholds(self) -> str:
        return f"central differences, h={self.h:g}; " + RULES[self.rule].format(rtol=self.rtol, atol=self.atol)

    def __str__(self):
        lines = [self.headline(), "  " + self.thresholds()]
        lines += ["  " + str(r) for r in self.results]
        lines += ["  NOTE: " + n for n in self.notes]
        lines += ["  MUTATION: " + str(m) for m in self.mutations]
        if self.isolation:
            lines.append(f"  ran in: {self.isolation}")
        return "\n".join(lines)

    def __rich__(self):
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.headline(), title_style="bold green" if self.passed else "bold red")
        for column in ("", "param", "max rel err", "worst at", "analytic", "numeric", "checked", "kinks"):
            table.add_column(column, justify="left" if column in ("", "param") else "right")
        for r in self.results:
            mark = Text("ok", style="green") if r.passed else Text("FAIL", style="bold red")
            if r.shape_error:
                table.add_row(mark, r.name, r.shape_error, "", "", "", f"{r.checked}/{r.size}", "")
                continue
            table.add_row(mark, r.name, f"{r.max_rel_error:.1e}", str(list(r.worst_index)), f"{r.analytic:.4g}",
                          f"{r.numeric:.4g}", f"{r.checked}/{r.size}", str(len(r.kinks)) if r.kinks else "")
        parts = [table, Text(self.thresholds(), style="dim")]
        parts += [Text(f"{r.name}: {len(r.kinks)} entries at a kink (one-sided differences disagree, your value lies "
                       f"between them; not counted), e.g. {r.name}{list(r.kinks[0])}", style="dim")
                  for r in self.results if r.kinks]
        parts += [Text(f"{r.name}: {r.diagnosis}", style="red") for r in self.results if r.diagnosis]
        parts += [Text(f"note: {n}", style="yellow") for n in self.notes]
        parts += [Text(f"mutation: {m}", style="bold yellow") for m in self.mutations]
        if self.isolation:
            parts.append(Text(f"ran in: {self.isolation}", style="dim"))
        return Group(*parts)

    def _repr_html_(self):
        """Jupyter shows the report as a table (what print() shows in a terminal)."""
        from .report_html import homework_html

        return homework_html(self)

    def print(self, console: Any = None) -> None:     # a rich Console (rich is imported only to print)
        from rich.console import Console

        (console or Console()).print(self)

