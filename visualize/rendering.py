"""render(): write a Digraph's DOT source, and an image when Graphviz's `dot` is installed.

    visualize.render(dot, "out/loss")                  # out/loss.dot, and out/loss.svg with Graphviz
    visualize.render(dot, "out/loss", format="png")    # svg, png or pdf

Without `dot` the .dot file is still written and a message says how to install Graphviz and render it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

FORMATS = ("svg", "png", "pdf")
INSTALL_COMMANDS = ("sudo apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS), "
                    "conda install graphviz, or https://graphviz.org/download/")
INSTALL_HINT = ("Graphviz's `dot` program is not installed, so only the .dot source was written to {dot_path}.\n"
                "Install it with 'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS), "
                "'conda install graphviz' or from https://graphviz.org/download/, then render with:\n"
                "    dot -T{format} {dot_path} -o {image_path}")
TIMEOUT_S = 300     # a picture that takes dot longer than this is a bug in the collapse, not a wait
MAX_PNG_SIDE = 10_000   # pixels: image viewers and browsers refuse or crawl beyond a few tens of thousands
PNG_DPI = 96            # Graphviz's default resolution for PNG


def dot_available() -> bool:
    return shutil.which("dot") is not None


def _base(path) -> str:
    base = os.fspath(path)
    for suffix in (".svg", ".png", ".pdf", ".dot", ".gv"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def render(dot, path, format="svg", quiet=False):
    """Write `path`.dot, and `path`.<format> when `dot` is available.

    dot: a graphviz.Digraph (what visualize.draw returns) or DOT source text.  path: with or without a suffix.
    Returns the image path, or the .dot path (after printing how to install Graphviz) when `dot` is missing.
    """
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {FORMATS}, got {format!r}")
    source = dot if isinstance(dot, str) else dot.source
    base = _base(path)
    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    dot_path = base + ".dot"
    with open(dot_path, "w", encoding="utf-8") as f:
        f.write(source)
    image_path = f"{base}.{format}"
    if not dot_available():
        if not quiet:
            print(INSTALL_HINT.format(dot_path=dot_path, image_path=image_path, format=format), file=sys.stderr)
        return dot_path
    _run_dot(format, image_path, dot_path)
    size = png_size(image_path) if format == "png" else None
    if size is not None and max(size) > MAX_PNG_SIDE:
        dpi, got = PNG_DPI, size
        for _ in range(4):          # Graphviz itself clips at 32,767 px, so the first size may understate it
            dpi = max(1, int(dpi * MAX_PNG_SIDE / max(got)))
            _run_dot(format, image_path, dot_path, f"-Gdpi={dpi}")
            got = png_size(image_path)
            if max(got) <= MAX_PNG_SIDE:
                break
        if not quiet:
            print(f"render: {image_path} would be {size[0]:,} x {size[1]:,} px, more than image viewers open; "
                  f"written at {dpi} dpi instead of {PNG_DPI} ({MAX_PNG_SIDE:,} px on its longer side). For a "
                  "readable picture of a large graph: draw(..., collapse='module' or 'time'), or --format svg.",
                  file=sys.stderr)
    return image_path


def _run_dot(format, image_path, dot_path, *extra):
    try:
        result = subprocess.run([shutil.which("dot"), f"-T{format}", *extra, "-o", image_path, dot_path],
                                capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"render: Graphviz took more than {TIMEOUT_S} s on {dot_path}; draw it with a smaller "
                           "max_nodes (or collapse='module'/'time') so it is collapsed further") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"render: Graphviz's dot failed on {dot_path}: {message}")


def png_size(path):
    """(width, height) in pixels from a PNG's header, or None when the file is not a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
