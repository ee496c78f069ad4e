"""Gradient size -> fill color on ONE fixed log scale, shared by every node of every picture.

1e-8 and below is the palest, 1e0 and above the darkest (ColorBrewer's OrRd, monotone in lightness), so a
deep sigmoid network's first layers are visibly paler than a ReLU network's in two pictures side by side.
Exactly zero (a dead ReLU, an unused input) is grey; no gradient kept at all is white.
"""

from __future__ import annotations

import math

LOW_EXP, HIGH_EXP = -8, 0
ZERO = "#d9d9d9"          # a gradient that is exactly 0
NONE = "#ffffff"          # no gradient kept (run forward and backward inside tg.watch())
OP_FILL = "#e8eef9"       # op nodes are not colored by gradient
FORWARD_EDGE = "#404040"
BACKWARD_EDGE = "#c0392b"
RECURRENT_H = "#1f5fbf"
RECURRENT_C = "#1b7f4b"
HIGHLIGHT = "#1f5fbf"

# ColorBrewer OrRd, 9 classes, from pale to dark
_PALETTE = ["#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#b30000", "#7f0000"]


def _rgb(hex_color):
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))


def level(size: float) -> float:
    """Where a positive size sits on the scale: 0 at 1e-8 (and below), 1 at 1e0 (and above)."""
    return min(max((math.log10(size) - LOW_EXP) / (HIGH_EXP - LOW_EXP), 0.0), 1.0)


def grad_color(size: float | None) -> str:
    """The fill for a gradient of this size (a norm); white for None, grey for exactly 0."""
    if size is None or (isinstance(size, float) and math.isnan(size)):
        return NONE
    if size == 0:
        return ZERO
    if math.isinf(size):
        return _PALETTE[-1]
    x = level(size) * (len(_PALETTE) - 1)
    i = min(int(x), len(_PALETTE) - 2)
    frac = x - i
    a, b = _rgb(_PALETTE[i]), _rgb(_PALETTE[i + 1])
    r, g, bl = (round(p + (q - p) * frac) for p, q in zip(a, b))
    return f"#{r:02x}{g:02x}{bl:02x}"


def luminance(hex_color: str) -> float:
    """Relative luminance (WCAG) of '#rrggbb', 0 (black) .. 1 (white)."""
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in _rgb(hex_color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def font_color(fill: str) -> str:
    """Black text on light fills, white on dark ones."""
    return "#ffffff" if luminance(fill) < 0.18 else "#000000"


def legend_cells(what: str = "|grad|") -> str:
    """An HTML-like table row set: the scale's swatches from 1e-8 to 1e0, then 0 and 'none kept'."""
    cells = []
    for e in range(LOW_EXP, HIGH_EXP + 1):
        fill = grad_color(10.0 ** e)
        text = f"1e{e}" if e else "≥1"
        if e == LOW_EXP:
            text = "≤1e-8"
        cells.append(f'<td bgcolor="{fill}"><font color="{font_color(fill)}" point-size="9">{text}</font></td>')
    cells.append(f'<td bgcolor="{ZERO}"><font point-size="9">0</font></td>')
    cells.append(f'<td bgcolor="{NONE}"><font point-size="9">not kept</font></td>')
    head = f'<tr><td colspan="{len(cells)}" align="left"><font point-size="9">fill: {what}, log scale</font></td></tr>'
    return head + "<tr>" + "".join(cells) + "</tr>"


def legend_label() -> str:
    return f"fill: |grad| on a log scale, 1e{LOW_EXP} (pale) .. 1e{HIGH_EXP}+ (dark)"
