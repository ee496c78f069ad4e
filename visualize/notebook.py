"""How visualize's reports look in Jupyter: rich tables as HTML (colors kept), and a one-line text repr.

    rich_html(table)              # the HTML a notebook shows for a rich renderable
    FlowReport(rows, title)       # print_gradient_flow's return value: a list of Flow rows that displays as its table
"""

from __future__ import annotations

import io

from rich.console import Console

PRE = ('<pre style="font-family:Menlo,Consolas,monospace;font-size:12px;line-height:1.3;white-space:pre">'
       "{code}</pre>")


def rich_html(renderable, width=120) -> str:
    """A rich renderable (Table, Panel, Text ...) as an HTML <pre> with inline styles."""
    console = Console(record=True, file=io.StringIO(), width=width, color_system="truecolor", force_terminal=True)
    console.print(renderable)
    return console.export_html(inline_styles=True, code_format=PRE)


class FlowReport(list):
    """The rows of a gradient-flow table (a list of Flow, as before), shown in a notebook as the table itself
    instead of a list of dataclass reprs."""

    def __init__(self, rows, title="gradient flow"):
        super().__init__(rows)
        self.title = title

    def _repr_html_(self):
        from .reports import flow_table

        return rich_html(flow_table(list(self), self.title))

    def __repr__(self):
        known = [r for r in self if r.grad_norm is not None]
        if not known:
            return f"<{self.title}: {len(self)} rows, no gradient kept>"
        low, high = min(known, key=lambda r: r.grad_norm), max(known, key=lambda r: r.grad_norm)
        return (f"<{self.title}: {len(self)} rows; smallest |grad| {low.grad_norm:.2g} ({low.name}), largest "
                f"{high.grad_norm:.2g} ({high.name})>")
