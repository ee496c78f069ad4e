"""Gradient size -> fill color on a log scale, shared by every node of a picture.

Pale means a small gradient, saturated a large one, so vanishing gradients are visible at a glance.
"""

import math

LOW_EXP, HIGH_EXP = -8, 0          # the scale runs from 1e-8 (palest) to 1e0 and above (darkest)


def grad_color(size: float | None) -> str:
    if size is None:
        return "white"
    if size == 0:
        return "#f4f4f4"
    level = (math.log10(size) - LOW_EXP) / (HIGH_EXP - LOW_EXP)
    level = min(max(level, 0.0), 1.0)
    # from near white (1e-8) to a strong orange (>= 1)
    r, g, b = 255, int(245 - 140 * level), int(235 - 215 * level)
    return f"#{r:02x}{g:02x}{b:02x}"


def legend_label() -> str:
    return f"fill: |grad| on a log scale, 1e{LOW_EXP} (pale) .. 1e{HIGH_EXP}+ (dark)"
