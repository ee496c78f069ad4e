"""Predict, then see (Lesson.ask) and the "Now you" section (issue 16): ask waits for a guess only in --step mode at
a real terminal (driven through tmux here), never without one; every lesson ends with its exercises' commands and
experiments on constants that exist at the top of the lesson."""

import io
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from rich.console import Console

import lessons
from lessons.exercises import EXERCISES
from lessons.predict import closeness, now_you_text, parse_number
from lessons.runner import Lesson, LessonQuit

WITH_WORKED_NUMBERS = tuple(range(1, 15))                  # every lesson computes a number a student can predict


def headless(interactive=False, lines=()):
    buffer = io.StringIO()
    lesson = Lesson(console=Console(file=buffer, width=200, color_system=None), step=True, interactive=interactive)
    typed = list(lines)
    lesson.read_line = lambda prompt: typed.pop(0)         # what the student types, line by line
    lesson.read_key = lambda prompt: "\n"
    return lesson, buffer


def test_without_a_terminal_ask_prints_the_answer_and_never_reads():
    lesson, buffer = headless(interactive=False)
    lesson.read_line = lambda prompt: pytest.fail("ask read from the terminal without one")
    assert lesson.ask("softmax(h)[1]?", 0.5769, 0.02, "exp(2.1) / 14.17") is None
    out = buffer.getvalue()
    assert "Predict: softmax(h)[1]?" in out and "answer: 0.5769" in out and "exp(2.1) / 14.17" in out
    assert lesson.asked == [("softmax(h)[1]?", 0.5769, None)]


@pytest.mark.parametrize("typed, said", [
    (["0.58"], "right: you said 0.58, the answer is 0.5769"),
    (["0.7"], "not quite: you said 0.7, the answer is 0.5769: 0.123 too high, 21% of it"),
    (["58%"], "right: you said 0.58"),
    (["lots", "0.5"], "not quite: you said 0.5, the answer is 0.5769: 0.0769 too low"),
    ([""], None),
])
def test_in_step_mode_the_guess_is_read_and_judged(typed, said):
    lesson, buffer = headless(interactive=True, lines=typed)
    guess = lesson.ask("softmax(h)[1]?", 0.5769, 0.02)
    out = buffer.getvalue()
    assert "answer: 0.5769" in out
    if said is None:
        assert guess is None and "you said" not in out
    else:
        assert said in out and guess == parse_number(typed[-1])
    if "lots" in typed:
        assert "lots is not a number" in out


def test_q_at_a_question_quits_the_lesson():
    lesson, _ = headless(interactive=True, lines=["q"])
    with pytest.raises(LessonQuit):
        lesson.ask("OH?", 10, 0)


def test_numbers_a_student_may_type():
    assert parse_number("7/3") == pytest.approx(7 / 3) and parse_number("-12") == -12.0
    assert parse_number("0,58") == 0.58 and parse_number("x") is None and parse_number("1/0") is None
    assert closeness(10, 10, 0).startswith("[green]right")


@pytest.mark.parametrize("number", WITH_WORKED_NUMBERS)
def test_lessons_with_a_worked_number_ask_for_it(number):
    source = open(lessons.load(number).__file__, encoding="utf-8").read()
    assert "lesson.ask(" in source


@pytest.mark.parametrize("info", lessons.available(), ids=lambda i: f"lesson{i.number}")
def test_every_lesson_ends_with_now_you(info):
    source = open(info.path, encoding="utf-8").read()
    body = source[:source.index('if __name__ == "__main__"')].rstrip()
    last = body[body.rindex("    lesson.now_you("):]
    assert last.startswith(f"    lesson.now_you({info.number}")
    module = lessons.load(info.number)
    constants = re.findall(r'\(\s*"([A-Z_][A-Z0-9_]*) = ', last)
    for name in constants:                                    # each experiment changes a constant at the top
        assert re.search(rf"^{name}\b.*=", source, flags=re.M) or re.search(rf"^[A-Z, ]*\b{name}\b[A-Z, ]* =",
                                                                             source, flags=re.M), name
        assert hasattr(module, name), name
    assert 2 <= len(constants) <= 3, f"lesson {info.number}: {len(constants)} experiments, 2-3 belong"


def test_now_you_gives_every_exercise_with_its_commands():
    for e in EXERCISES:
        for lesson in (int(n) for n in e.lessons.split(",")):
            text = now_you_text(lesson)
            assert f"tinygrad-edu exercise start {e.number}`" in text
            assert f"tinygrad-edu exercise check {e.number}`" in text


def test_step_without_a_terminal_never_waits_at_a_question():
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "lesson", "12", "--step", "--fast"],
                            capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
                            env=dict(os.environ, COLUMNS="200"))
    assert result.returncode == 0, result.stderr
    assert "Predict: student 1 likes Korean and English" in result.stdout and "answer: 0.7311" in result.stdout
    assert "your guess" not in result.stdout and "Now you" in result.stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_ask_in_a_real_terminal(tmp_path):
    from tests.lessons.test_step_in_terminal import Terminal

    done = tmp_path / "exit_status"
    term = Terminal(f"{sys.executable} -m tinygrad_edu lesson 12 --step --fast; echo $? > {done}; sleep 60")
    try:
        term.wait_for("-- step 1 --")
        assert "your guess" not in term.screen()
        term.keys("Enter")
        asked = term.wait_for("your guess")
        assert "Predict: student 1 likes Korean and English" in asked and "answer: 0.7311" not in asked
        term.keys("0.7", "Enter")
        judged = term.wait_for("answer: 0.7311")
        assert "not quite: you said 0.7, the answer is 0.7311: 0.0311 too low" in judged
        assert "v . W[:, 0] = 0.2 + 0.8 = 1.0" in judged
        term.wait_for("-- step 2 --")
        term.keys("q")
        term.wait_for("stopped at step 2")
        deadline = time.monotonic() + 20
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert done.read_text().strip() == "0"
    finally:
        term.close()
