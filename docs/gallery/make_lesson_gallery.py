"""Regenerate docs/gallery/lessons/: the lesson pictures shown in the README, made by the lessons themselves.

    .venv/bin/python docs/gallery/make_lesson_gallery.py        # needs Graphviz's `dot`; under a minute

Each lesson below runs headless at full settings, exactly as `tinygrad-edu render N --out DIR` does (the lessons
are seeded, so the pictures change only when a lesson, the drawing code or the engine's numbers change); the
pictures listed in PICTURES are copied here as SVG.  docs/gallery/README.md and the top-level README.md show them
with the captions below.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "lessons")
LIMIT = 300_000            # bytes: a picture bigger than this is too busy for the README (draw it collapsed)

# (lesson, picture name, what to see): the README captions say the same
PICTURES = [
    (1, "01_chain_rule", "the chain rule on f = (x + y)·z: every value with its data and gradient"),
    (5, "05_backward_sigmoid", "10 sigmoid layers, backward, one box per layer: the gradient fades to ~1e-7"),
    (5, "05_backward_relu", "the same net with ReLU: the gradient arrives at the first layer"),
    (8, "08_lenet", "LeNet collapsed by module: conv, pool and fc boxes with shapes and ‖grad‖"),
    (9, "09_plain_gradients", "10 plain blocks of two convolutions, one box each: the first get ‖grad‖ ~1e-10"),
    (9, "09_residual_gradients", "the same blocks with shortcuts (x + F(x)): every block gets ~0.05"),
    (10, "10_bptt_hihell", "an RNN unrolled over 'hihell': one cluster per step with ‖∂L/∂h_t‖"),
    (11, "11_lstm_conveyor_belt", "an LSTM over 4 steps: the cell state c on its own green lane"),
    (11, "11_rnn_lstm_gru_gradients", "‖∂L/∂h_t‖ against t: at t = 0 the RNN's is 7e-9, a gated cell's 2e-3"),
    (12, "12_gibbs_chain", "an RBM's Gibbs chain v0 → h0 → v1 → h1 → v2 → h2, one box per step"),
]


def main():
    sys.path.insert(0, ROOT)
    import visualize
    from lessons.runner import render_lesson

    if not visualize.dot_available():
        print("Graphviz's dot is not installed: sudo apt-get install graphviz (or brew install graphviz)")
        return 1
    os.makedirs(OUT, exist_ok=True)
    too_big = []
    with tempfile.TemporaryDirectory() as scratch:
        for number in sorted({n for n, _, _ in PICTURES}):
            start = time.perf_counter()
            out = os.path.join(scratch, f"{number:02d}")
            render_lesson(number, out, "svg")
            print(f"lesson {number}: {time.perf_counter() - start:.0f} s")
            for _, name, _ in (p for p in PICTURES if p[0] == number):
                target = os.path.join(OUT, f"{name}.svg")
                shutil.copy(os.path.join(out, f"{name}.svg"), target)
                size = os.path.getsize(target)
                print(f"  docs/gallery/lessons/{name}.svg  {size / 1000:.0f} KB")
                if size > LIMIT:
                    too_big.append(name)
    if too_big:
        print(f"larger than {LIMIT // 1000} KB: {', '.join(too_big)} (draw them collapsed)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
