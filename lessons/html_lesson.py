"""A lesson as a web page: `tinygrad-edu lesson N --html DIR`, `tinygrad-edu lessons --html DIR`,
`tinygrad-edu render N --format html`.

    path = write_lesson(10, "out")          # out/lesson10.html: narrative, checks, tables, pictures, graphs
    paths = write_all("out")                # every lesson, and out/index.html linking them

`HtmlLesson` runs a lesson exactly as the terminal does (same checks, same numbers) and keeps, in order, what
it says: text as HTML (the lesson's Markdown), panels, tables, checks, whatever it prints to its console
(rich's own HTML export, colors kept), each picture as an inline SVG beside the paragraph before it, and for
a picture drawn from a graph the interactive page of that graph (visualize.interactive) below it.  Each page
is one self-contained file: nothing is fetched, so it opens from disk or a course site alike.
"""

from __future__ import annotations

import html
import io
import os

from markdown_it import MarkdownIt
from rich.console import Console

from .runner import Lesson, _dedent, _fmt, _fmt_checked

MAX_INTERACTIVE_NODES = 2500     # larger graphs get their static picture only (the page would be slow to build)

CSS = """
body{font:15px/1.5 Georgia,'Times New Roman',serif;max-width:1280px;margin:24px auto;padding:0 16px;color:#222}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif}
h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:36px}
pre,code{font-family:Menlo,Consolas,monospace;font-size:13px}
pre{background:#f7f7f7;padding:8px;overflow:auto}
pre.console{background:#fbfbfb;border-left:3px solid #ddd}
.panel{border:1px solid #bbb;border-radius:6px;padding:4px 12px;margin:12px 0}
.panel h4{margin:6px 0;font-family:Helvetica,Arial,sans-serif}
table.data{border-collapse:collapse;margin:12px 0;font:13px Helvetica,Arial,sans-serif}
table.data td,table.data th{border:1px solid #ccc;padding:3px 8px;text-align:right}
table.data caption{text-align:left;font-weight:bold;padding:4px 0}
.check{font-family:Helvetica,Arial,sans-serif;font-size:13px;margin:4px 0}
.check .ok{color:#1b7f4b;font-weight:bold}
.pair{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}
.pair>.text{flex:1 1 360px;min-width:300px}
figure{flex:1 1 480px;margin:12px 0;text-align:center;overflow:auto}
figure svg{max-width:100%;height:auto}
figcaption{font:13px Helvetica,Arial,sans-serif;color:#555}
.graph{margin:12px 0 28px 0}
.graph>p{font:13px Helvetica,Arial,sans-serif;color:#555;margin:4px 0}
nav{font:13px Helvetica,Arial,sans-serif}
"""


class HtmlLesson(Lesson):
    """A Lesson that records its output as HTML blocks instead of (only) printing it."""

    def __init__(self, number=None, fast=False, interactive_graphs=True):
        self._buffer = io.StringIO()
        console = Console(record=True, file=self._buffer, width=110, color_system="truecolor", force_terminal=True)
        super().__init__(out=None, console=console, interactive=False, fast=fast)
        self.number = number
        self.blocks: list = []                  # [kind, html]: kind text (a paragraph), picture, other
        self.interactive_graphs = interactive_graphs
        self._markdown = MarkdownIt("commonmark").enable("table")

    # ------------------------------------------------------------------ capture
    def _flush(self):
        """Whatever the lesson printed to its console since the last block, as rich's HTML (colors kept)."""
        if self.console.export_text(clear=False).strip():
            code = self.console.export_html(inline_styles=True, clear=True, code_format="{code}")
            self.blocks.append(["other", f'<pre class="console">{code}</pre>'])
        else:
            self.console.export_text(clear=True)

    def _drop(self):
        """Forget what the terminal methods just printed (the block written instead says it)."""
        self.console.export_text(clear=True)

    # ------------------------------------------------------------------ narrative
    def section(self, title: str):
        self._flush()
        self.blocks.append(["other", f"<h2>{html.escape(title)}</h2>"])

    def say(self, text: str):
        self._flush()
        self.blocks.append(["text", self._markdown.render(_dedent(text))])

    def show(self, title: str, body: str, graph=None):
        self._flush()
        super().show(title, body, graph)
        self._drop()
        self.blocks.append(["text", f'<div class="panel"><h4>{html.escape(title)}</h4>'
                                    f"<pre>{html.escape(_dedent(body))}</pre></div>"])

    def table(self, title: str, columns, rows):
        self._flush()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>" for r in rows)
        self.blocks.append(["other", f'<table class="data"><caption>{html.escape(title)}</caption>'
                                     f"<tr>{head}</tr>{body}</table>"])

    def check(self, label: str, got, expected, atol=1e-6):
        self._flush()
        super().check(label, got, expected, atol)
        self._drop()
        self.blocks.append(["other", f'<div class="check"><span class="ok">ok</span> {html.escape(label)}: '
                                     f"<code>{html.escape(_fmt_checked(got))}</code></div>"])

    def check_at_least(self, label: str, got: float, minimum: float):
        self._flush()
        super().check_at_least(label, got, minimum)
        self._drop()
        self.blocks.append(["other", f'<div class="check"><span class="ok">ok</span> {html.escape(label)}: '
                                     f"{float(got):.4g} (at least {minimum:.4g})</div>"])

    # ------------------------------------------------------------------ pictures
    def _beside(self, figure):
        """Put a figure beside the last paragraph (the one that refers to it), or on its own line."""
        for i in range(len(self.blocks) - 1, -1, -1):
            kind, text = self.blocks[i]
            if kind == "picture":
                break
            if kind == "text":
                self.blocks[i] = ["picture", f'<div class="pair"><div class="text">{text}</div>{figure}</div>']
                return
        self.blocks.append(["picture", figure])

    def picture(self, dot, name: str, caption: str = ""):
        self._flush()
        roots = getattr(dot, "roots", ())
        if len(roots) == 1:
            self.focus(roots[0])
        svg = _svg_of(dot)
        self.pictures.append(name)
        cap = f"<figcaption><b>{html.escape(name)}</b>" + (f": {html.escape(caption)}" if caption else "")
        self._beside(f"<figure>{svg}{cap}</figcaption></figure>")
        if self.interactive_graphs and len(roots) == 1:
            self.blocks.append(["other", _interactive_block(roots[0], name)])
        return name

    def chart(self, svg, name: str, caption: str = ""):
        self._flush()
        self.pictures.append(name)
        text = svg if isinstance(svg, str) else str(svg)
        cap = f"<figcaption><b>{html.escape(name)}</b>" + (f": {html.escape(caption)}" if caption else "")
        self._beside(f"<figure>{text[text.find('<svg'):]}{cap}</figcaption></figure>")
        return name

    # ------------------------------------------------------------------ the page
    def html(self, title: str) -> str:
        self._flush()
        nav = '<nav><a href="index.html">all lessons</a></nav>' if self.number is not None else ""
        body = "\n".join(b for _, b in self.blocks)
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<style>{CSS}</style></head><body>{nav}<h1>{html.escape(title)}</h1>\n{body}\n"
                f"<p><i>{self.checks} checks passed.</i></p></body></html>\n")


def _svg_of(dot) -> str:
    """The picture as inline SVG (Graphviz), or its DOT source with the install hint when `dot` is missing."""
    from visualize import dot_available
    from visualize.rendering import INSTALL_COMMANDS

    if not dot_available():
        return (f"<pre>Graphviz's dot is not installed ({html.escape(INSTALL_COMMANDS)}); the DOT source:\n"
                f"{html.escape(dot.source)}</pre>")
    text = dot.pipe(format="svg").decode("utf-8")
    return text[text.find("<svg"):]


def _interactive_block(root, name) -> str:
    import tinygrad_edu as tg
    from visualize import interactive

    try:
        size = len(tg.graph.trace(root))
        if size > MAX_INTERACTIVE_NODES:
            return (f'<div class="graph"><p>{html.escape(name)}: {size:,} nodes, too many to step through here '
                    "(the picture above shows it)</p></div>")
        page = interactive(root, title=name)
    except (TypeError, ValueError, RuntimeError) as error:
        return f'<div class="graph"><p>no interactive page for {html.escape(name)}: {html.escape(str(error))}</p></div>'
    return (f'<div class="graph"><p>Step through {html.escape(name)}: ← / → (click the page first), Home, End; '
            "click a node for its numbers, a group's name to close it.</p>" + page.fragment() + "</div>")


def lesson_title(number: int) -> str:
    import lessons

    info = next((i for i in lessons.available() if i.number == number), None)
    return info.title if info else f"Lesson {number}"


def write_lesson(number: int, out: str, fast=False, interactive_graphs=True) -> str:
    """Run lesson `number` and write it as `out/lessonNN.html`; returns the path."""
    import lessons

    module = lessons.load(number)
    lesson = HtmlLesson(number, fast=fast, interactive_graphs=interactive_graphs)
    module.run(lesson)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"lesson{number:02d}.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(lesson.html(lesson_title(number)))
    return path


def write_index(out: str, written) -> str:
    """out/index.html: one link per lesson page written, with the notes each follows."""
    import lessons

    rows = []
    for info in lessons.available():
        if info.number in written:
            rows.append(f'<li><a href="{os.path.basename(written[info.number])}">{html.escape(info.title)}</a>'
                        + (f" <small>(notes {html.escape(info.notes)})</small>" if info.notes else "") + "</li>")
    path = os.path.join(out, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>tinygrad_edu lessons</title>'
                f"<style>{CSS}</style></head><body><h1>tinygrad_edu lessons</h1><ol>{''.join(rows)}</ol>"
                "<p>Each page runs its lesson's checks when it is written; the graphs on it can be stepped through "
                "forward and backward in the browser.</p></body></html>\n")
    return path


def write_all(out: str, fast=False, numbers=None) -> list:
    """Every lesson (or those in `numbers`) as a page, then the index; returns the paths, index last."""
    import lessons

    written = {}
    for info in lessons.available():
        if numbers is None or info.number in numbers:
            written[info.number] = write_lesson(info.number, out, fast=fast)
    return list(written.values()) + [write_index(out, written)]


def render_pictures_html(number: int, out: str) -> list:
    """`tinygrad-edu render N --format html`: each picture of lesson N as its own interactive page (a picture
    drawn from one graph) or as a page holding its SVG; returns the paths."""
    import lessons
    from visualize import interactive

    class PictureLesson(HtmlLesson):
        def picture(self, dot, name, caption=""):
            roots = getattr(dot, "roots", ())
            path = os.path.join(out, f"{name}.html")
            if len(roots) == 1:
                try:
                    interactive(roots[0], title=caption or name).save(path)
                    self.pictures.append(path)
                    return path
                except (TypeError, ValueError, RuntimeError):
                    pass
            _static_page(_svg_of(dot), name, caption, path)
            self.pictures.append(path)
            return path

        def chart(self, svg, name, caption=""):
            path = os.path.join(out, f"{name}.html")
            _static_page(svg[svg.find("<svg"):], name, caption, path)
            self.pictures.append(path)
            return path

    os.makedirs(out, exist_ok=True)
    lesson = PictureLesson(number)
    lessons.load(number).run(lesson)
    return list(lesson.pictures)


def _static_page(svg, name, caption, path):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(name)}</title>'
                f"<style>{CSS}</style></head><body><figure>{svg}<figcaption>{html.escape(caption)}</figcaption>"
                "</figure></body></html>\n")
