"""How the checkers' reports look in Jupyter: small HTML tables (standard library only, no rich), so a notebook shows
the verdict instead of a dataclass repr full of arrays.

    homework_html(report)        # HomeworkReport / GradcheckReport: one row per parameter
    param_html(result)           # ParamResult: report["W1"] on its own
    exercise_html(report)        # ExerciseReport: one row per part
    submission_html(result)      # the grader's SubmissionResult: one row per test, the score
"""

from __future__ import annotations

from html import escape

import numpy as np

OK, FAIL, DIM = "#1a7f37", "#c62828", "#6a6a6a"
TABLE = '<table style="border-collapse:collapse;font-size:13px">'
CELL = 'style="padding:2px 8px;border-bottom:1px solid #ddd;text-align:{align}"'


def _mark(passed) -> str:
    color, text = (OK, "ok") if passed else (FAIL, "FAIL")
    return f'<b style="color:{color}">{text}</b>'


def _row(cells, right, header=False) -> str:
    tag = "th" if header else "td"
    out = []
    for k, cell in enumerate(cells):
        align = "right" if k in right else "left"
        out.append(f"<{tag} {CELL.format(align=align)}>{cell}</{tag}>")
    return "<tr>" + "".join(out) + "</tr>"


def _table(headline, passed, header, rows, lines=(), right=()) -> str:
    """A headline, a table (columns numbered in `right` are numbers, aligned right) and lines of (text, color)."""
    color = OK if passed else FAIL
    body = "".join(_row(r, right) for r in rows)
    text = "".join(f'<div style="color:{c};font-size:12px">{escape(s)}</div>' for s, c in lines)
    return (f'<div><div style="font-weight:bold;color:{color}">{escape(headline)}</div>{TABLE}'
            f"{_row([escape(h) for h in header], right, header=True)}{body}</table>{text}</div>")


def _param_cells(r) -> list:
    size = f"{r.checked}/{r.size}"
    if r.shape_error:
        return [_mark(r.passed), escape(r.name), escape(r.shape_error), "", "", "", size, ""]
    worst = "" if np.isnan(r.analytic) else escape(str(list(r.worst_index)))
    return [_mark(r.passed), escape(r.name), f"{r.max_rel_error:.1e}", worst, f"{r.analytic:.4g}", f"{r.numeric:.4g}",
            size, str(len(r.kinks)) if r.kinks else ""]


PARAM_HEADER = ("", "param", "max rel err", "worst at", "analytic", "numeric", "checked", "kinks")
NUMBERS = range(2, 8)


def _param_lines(results) -> list:
    lines = [(f"{r.name}: {len(r.kinks)} entries at a kink (one-sided differences disagree, your value lies between "
              f"them; not counted), e.g. {r.name}{list(r.kinks[0])}", DIM) for r in results if r.kinks]
    return lines + [(f"{r.name}: {r.diagnosis}", FAIL) for r in results if r.diagnosis]


def homework_html(report) -> str:
    """A HomeworkReport: the headline, a row per parameter, the rule, kinks, diagnoses, notes and mutations."""
    lines = [(report.thresholds(), DIM)] + _param_lines(report.results)
    lines += [(f"note: {n}", "#9a6700") for n in report.notes]
    lines += [(f"mutation: {m}", "#9a6700") for m in report.mutations]
    if report.isolation:
        lines.append((f"ran in: {report.isolation}", DIM))
    return _table(report.headline(), report.passed, PARAM_HEADER, [_param_cells(r) for r in report.results], lines,
                  NUMBERS)


def param_html(result) -> str:
    """One ParamResult as a one-row table."""
    return _table(f"{result.name}: {'matches' if result.passed else 'wrong gradient'}", result.passed, PARAM_HEADER,
                  [_param_cells(result)], _param_lines([result]), NUMBERS)


def exercise_html(report) -> str:
    """An ExerciseReport: a row per part with what was compared and why it failed."""
    rows = []
    for p in report.parts:
        detail = [escape(line) for line in p.lines] + ([escape(p.failure)] if p.failure else [])
        detail += [f'<span style="color:{FAIL}">diagnosis: {escape(d)}</span>' for d in p.diagnoses]
        rows.append([_mark(p.passed), escape(p.title), "<br/>".join(detail)])
    ok = sum(p.passed for p in report.parts)
    if report.passed:
        headline = f"{report.title}: PASS, all {len(report.parts)} parts"
    else:
        todo = f"; not written yet: {', '.join(report.unfinished)}" if report.unfinished else ""
        headline = f"{report.title}: FAIL, {ok} of {len(report.parts)} parts pass{todo}"
    lines = [(f"your code ran in a sandbox: {report.isolation}", DIM)] if report.isolation else []
    return _table(headline, report.passed, ("", "part", "details"), rows, lines)


def submission_html(result) -> str:
    """A graded submission: a row per test with its score, the total in the headline."""
    rows = [[_mark(t.passed), escape(t.name), f"{t.score:g} / {t.max_score:g}",
             escape("; ".join(t.problems))] for t in result.tests]
    passed = all(t.passed for t in result.tests) and bool(result.tests)
    headline = f"{result.name}: {result.score:g} / {result.max_score:g} points"
    return _table(headline, passed, ("", "test", "score", "problems"), rows, right=(2,))
