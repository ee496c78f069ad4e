"""render(): write a Digraph's DOT source, and an image when Graphviz's `dot` is installed."""

from __future__ import annotations

import os
import shutil
import sys

INSTALL_HINT = ("Graphviz's `dot` program is not installed, so only the .dot source was written. Install it with "
                "'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or from "
                "https://graphviz.org/download/, then render with: dot -Tsvg {dot_path} -o {image_path}")


def dot_available() -> bool:
    return shutil.which("dot") is not None


def render(dot, path, format="svg", quiet=False):
    """Write `path`.dot, and `path`.<format> when `dot` is available.  Returns the image path, or the .dot path
    (after printing how to install Graphviz) when it is not."""
    base = os.fspath(path)
    for suffix in (".svg", ".png", ".pdf", ".dot"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    dot_path = base + ".dot"
    with open(dot_path, "w", encoding="utf-8") as f:
        f.write(dot.source)
    image_path = f"{base}.{format}"
    if not dot_available():
        if not quiet:
            print(INSTALL_HINT.format(dot_path=dot_path, image_path=image_path), file=sys.stderr)
        return dot_path
    with open(image_path, "wb") as f:
        f.write(dot.pipe(format=format))
    return image_path
