"""Lessons run headless (never blocking), check themselves, and write their pictures; the CLI lists and runs them."""

import io
import shutil
import subprocess
import sys

import pytest
from rich.console import Console

import lessons
from lessons.runner import Lesson
from tinygrad_edu import cli


def quiet_console():
    return Console(file=io.StringIO(), width=100, color_system=None)


def test_lessons_are_discovered_in_order():
    infos = lessons.available()
    assert [i.number for i in infos] == sorted(i.number for i in infos)
    assert infos[0].number == 1 and "gradient descent" in infos[0].title.lower()
    with pytest.raises(ValueError, match="no lesson 99"):
        lessons.load(99)


@pytest.mark.parametrize("info", lessons.available(), ids=lambda i: f"lesson{i.number:02d}")
def test_every_lesson_runs_headless_and_writes_pictures(info, tmp_path):
    console = quiet_console()
    lesson = Lesson(out=str(tmp_path), step=True, console=console, fast=True)   # --step never blocks without a tty
    lessons.load(info.number).run(lesson)
    assert lesson.checks > 0
    assert lesson.pictures, "a lesson draws what it teaches"
    written = {p.name for p in tmp_path.iterdir()}
    expected_suffix = ".svg" if shutil.which("dot") else ".dot"
    assert all(p.endswith((expected_suffix, ".svg")) for p in lesson.pictures)      # charts are always SVG
    assert any(name.endswith(".dot") for name in written)


def test_lesson_1_numbers(tmp_path):
    console = quiet_console()
    lessons.load(1).run(Lesson(out=None, console=console))
    text = console.file.getvalue()
    assert "df/dx, df/dy, df/dz: [-4. -4.  3.]" in text
    assert "y1 = x1*w11 + x2*w12 + b1" in text          # the notes' names: w_ji joins input i to output j


def test_cli_lesson_and_lessons(tmp_path, capsys):
    assert cli.main(["lesson", "1", "--fast", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "01_chain_rule.dot").exists()
    assert cli.main(["lesson", "42"]) == 2
    assert "no lesson 42" in capsys.readouterr().err
    blocked = tmp_path / "a_file"
    blocked.write_text("not a directory")
    assert cli.main(["lesson", "1", "--out", str(blocked / "pictures")]) == 2      # a bad --out path
    assert "tinygrad-edu lesson:" in capsys.readouterr().err
    assert cli.main(["lessons"]) == 0
    listing = capsys.readouterr().out
    assert "001, 003, 000" in listing and "13_seq2seq.py" in listing


def test_python_dash_m_lists_lessons():
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "lessons"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "gradient descent" in result.stdout.lower()


def test_missing_optional_data_skips_training_says_how_to_install_and_exits_2(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)             # as if scikit-learn were not installed
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert cli.main(["lesson", "3", "--fast"]) == 2
    out = " ".join(capsys.readouterr().out.split())                # rich wraps lines
    assert "pip install 'tinygrad-edu[data]'" in out
    assert "ok 002: softmax(1, 2, 3)" in out                      # the parts without data still ran
    assert "lesson 3 incomplete" in out and "lesson 3 done" not in out


def test_lessons_list_has_a_run_time_for_each_lesson(capsys):
    assert cli.main(["lessons"]) == 0
    listing = capsys.readouterr().out
    assert "run time" in listing
    assert all(info.run_time.endswith(" s") for info in lessons.available())
