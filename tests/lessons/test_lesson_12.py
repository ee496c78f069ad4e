"""Lesson 12 (RBM) runs headless in its fast form, reproduces the notes' CD-1 example and writes its picture."""

import io

import pytest
from rich.console import Console

import lessons
from lessons.runner import Lesson


@pytest.fixture(scope="module")
def lesson12(tmp_path_factory):
    out = tmp_path_factory.mktemp("lesson12")
    lesson = Lesson(out=str(out), step=True, console=Console(file=io.StringIO(), width=120, color_system=None),
                    fast=True)
    lessons.load(12).run(lesson)
    return lesson, lesson.console.file.getvalue(), out


def test_worked_example_and_errata_are_printed(lesson12):
    lesson, text, _ = lesson12
    assert lesson.checks >= 9
    assert "sigmoid(-0.4) = 0.401" in text and "the slide says 0.60" in text and "0.354" in text
    assert "ok dW = 0.3 (v0^T h0 - v1^T h1)" in text and "slide: 0.7 at row 5, column 2" in text


def test_training_and_chain_picture(lesson12):
    lesson, text, out = lesson12
    assert "CD-1 gained" in text and "untrained" in text
    assert (out / "12_gibbs_chain.dot").exists() and lesson.pictures
