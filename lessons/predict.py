"""Predict, then see (Lesson.ask) and the "Now you" section (Lesson.now_you): the text both print.

    closeness(guess, answer, tolerance)    how close a student's guess was, one sentence (rich markup)
    parse_number(text)                     a typed guess: 0.58, -12, 58% or 7/3 (None otherwise)
    now_you_text(number, experiments)      the lesson's exercises with their commands, and its experiments
"""

from __future__ import annotations

import os


def closeness(guess: float, answer: float, tolerance: float) -> str:
    """How close a guess was, as a sentence with rich markup."""
    miss = guess - answer
    if abs(miss) <= tolerance:
        return f"[green]right[/green]: you said {guess:.4g}, the answer is {answer:.4g} (within +-{tolerance:g})"
    share = f", {abs(miss) / abs(answer):.0%} of it" if answer else ""
    side = "high" if miss > 0 else "low"
    return (f"[yellow]not quite[/yellow]: you said {guess:.4g}, the answer is {answer:.4g}: {abs(miss):.3g} too "
            f"{side}{share} (within +-{tolerance:g} would count)")


def parse_number(text: str):
    """A typed number: 0.58, -12, 58% or 7/3 (None when it is none of these)."""
    text = text.strip().replace(",", ".")
    try:
        if text.endswith("%"):
            return float(text[:-1]) / 100
        if "/" in text:
            top, bottom = text.split("/", 1)
            return float(top) / float(bottom)
        return float(text)
    except (ValueError, ZeroDivisionError):
        return None


def script_name(number: int) -> str:
    import lessons

    return next((os.path.basename(i.path) for i in lessons.available() if i.number == number), f"{number:02d}_*.py")


def now_you_text(number: int, experiments=()) -> str:
    """Markdown: the exercises of lesson `number` with the commands, then the experiments, each a tuple
    (the change to a constant at the top of the lesson, e.g. "ETA = 0.5"; a note, may be empty; what to expect)."""
    from lessons.exercises import for_lesson

    lines = []
    exercises = for_lesson(number)
    if exercises:
        lines.append("**Exercises** (you write the code; the checker runs it in a sandbox and explains what is wrong):")
        for e in exercises:
            lines.append(f"- exercise {e.number}, {e.name}: `tinygrad-edu exercise start {e.number}`, write the "
                         f"TODO blocks of {', '.join(e.functions)}, then `tinygrad-edu exercise check {e.number}`")
    if experiments:
        lines.append(f"\n**Experiments**: change one constant at the top of lessons/{script_name(number)}, then run "
                     f"`tinygrad-edu lesson {number}` again:")
        for constant, change, expect in experiments:
            lines.append(f"- `{constant}`{' ' + change if change else ''}: {expect}")
    return "\n".join(lines)
