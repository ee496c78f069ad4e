"""What the lessons that train on real data share: the digits, and a progress bar with loss and accuracy.

    data = digits(lesson)                # None (and a message saying how to install it) without scikit-learn
    with progress(lesson, "LeNet", total=epochs) as advance:
        for epoch in range(epochs):
            ...
            advance(loss=loss.item(), acc=accuracy)
"""

from __future__ import annotations

import contextlib

import numpy as np
from rich.markup import escape

INSTALL_DATA = ("this part needs scikit-learn's bundled digits (8x8 images, no download): "
                "pip install 'tinygrad-edu[data]' (or: pip install scikit-learn)")


def digits(lesson=None, test_fraction=0.25, seed=0):
    """scikit-learn's 1,797 handwritten digits (8x8, values 0..16) as float32 in [0, 1], split once with a seed:
    (X_train (N, 64), y_train (N,) int64, X_test, y_test).  None when scikit-learn is missing (the lesson says so)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        if lesson is not None:
            lesson.console.print(f"[yellow]skipped:[/yellow] {escape(INSTALL_DATA)}")     # [data] is not markup
            if INSTALL_DATA not in lesson.missing:
                lesson.missing.append(INSTALL_DATA)
        return None
    bunch = load_digits()
    X = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


@contextlib.contextmanager
def progress(lesson, description, total):
    """A rich progress bar (drawn only on a terminal) whose advance(**fields) also shows loss/accuracy fields."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[status]}")]
    with Progress(*columns, console=lesson.console, disable=not lesson.console.is_terminal) as bar:
        task = bar.add_task(description, total=total, status="")

        def advance(**fields):
            status = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in fields.items())
            bar.update(task, advance=1, status=status)

        yield advance
