"""Every lesson as a Jupyter notebook, generated from the lesson (lessons/notebook.py) and executed in a kernel
(nbclient, --fast settings), as Jupyter would run it: no errors, the lesson's checks pass, its pictures are inline
beside their paragraphs.  Lesson 1 runs in the quick suite, the others are marked slow.

Skipped, with the reason, without nbformat/nbclient/ipykernel (the dev extra has them).
"""

import re

import pytest

import lessons
from lessons.notebook import GENERATED, build_notebook, write_notebook
from tinygrad_edu import cli

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (it is in the dev extra)")


def _html(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        html = out.get("data", {}).get("text/html", "")
        parts.append("".join(html) if isinstance(html, list) else html)
    return "\n".join(parts)


def test_a_notebook_is_built_from_the_lesson_not_kept_by_hand():
    nb = build_notebook(3, fast=True)
    nbformat.validate(nb)
    intro, settings, run, _, results = nb.cells
    assert intro.cell_type == "markdown" and intro.source.startswith("# Lesson 3: softmax, cross-entropy")
    assert "000's" in intro.source and "Run it:" not in intro.source            # the docstring, without the usage
    assert GENERATED.format(script="03_softmax_cross_entropy.py", number=3) in intro.source
    assert settings.source.startswith("FAST = True") and "run_in_notebook(3, fast=FAST)" in run.source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # written without outputs
    assert "lesson.results" in results.source


def test_the_command_writes_notebooks(tmp_path, capsys):
    assert cli.main(["lesson", "5", "--notebook", str(tmp_path)]) == 0
    assert (tmp_path / "lesson05.ipynb").exists() and "lesson05.ipynb" in capsys.readouterr().out
    assert cli.main(["lessons", "--notebook", str(tmp_path / "all")]) == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [f"lesson{i.number:02d}.ipynb"
                                                                     for i in lessons.available()]


def _slow_after_first(info):
    marks = [] if info.number == 1 else [pytest.mark.slow]
    return pytest.param(info.number, id=f"lesson{info.number:02d}", marks=marks)


@pytest.mark.parametrize("number", [_slow_after_first(i) for i in lessons.available()])
def test_the_notebook_runs_in_a_kernel_with_pictures_inline(number, tmp_path):
    pytest.importorskip("nbclient", reason="nbclient is not installed (it is in the dev extra)")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed (it is in the dev extra)")
    path = write_notebook(number, str(tmp_path), fast=True, execute=True, timeout=300)
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors[0].get("evalue") if errors else ""
    shown = _html(code[1])
    checks = int(re.search(r"(\d+) checks passed", shown).group(1))
    assert checks >= 5 and shown.count('<div class="check">') == checks       # every check shown, none failed
    assert "<h2>" in shown and "<svg" in shown                                  # sections and inline pictures
    first_pair = re.search(r'<div class="pair"><div class="text">(.*?)</div><figure>', shown, re.S)
    assert first_pair and ("<p>" in first_pair.group(1) or 'class="panel"' in first_pair.group(1))   # beside its
    # paragraph (or the panel that derives what it draws)
    printed = "".join(o.get("data", {}).get("text/plain", "") for o in code[2].get("outputs", []))
    assert printed.startswith("{") and len(printed) > 20                       # the checked numbers, by label
