"""The backward stepper: the backward pass replayed node by node, as a derivation on the board.

    stepper = visualize.Stepper(out)        # out = (a*b + c).tanh(), before or after out.backward()
    stepper.print()                         # every step, rendered with rich
    for step in stepper: ...                # Step(op, output, upstream, terms: one Term per input)
    stepper.picture(2)                      # the backward graph after step 2, the active node highlighted

Each step takes one op in the engine's order (a topological order from the output back: an op runs once the
gradient of its output is complete) and gives the upstream gradient ∂L/∂y, then for each input x: the local
derivative (scalar mode: a formula and its number, "∂(a·b)/∂a = b = 3.0"; tensor mode: the backward formula),
the product upstream × local that flows to x, and x's gradient before and after adding it (a value used twice
receives two contributions).  Formulas are the ops' own (Function.derivatives) and every number comes from the op's
own backward (graph.vjp).  Scalar mode replays each op from its recorded inputs, so it works before or after
backward(); tensor mode uses what forward saved, so create the Stepper before backward() or call
backward(retain_graph=True).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tinygrad_edu import graph as tg_graph

from .derivatives import expression, scalar_local, tensor_formula
from .draw import draw_graph, gradient_text
from .labels import display_names, escape, op_title, wrap
from .summary import fmt_norm, is_tiny, norm, num, summarize


@dataclass(frozen=True)
class Term:
    """What one op's backward does for one of its inputs."""

    input_id: str
    index: int               # which input of the op (x * x: 0 and 1)
    input: str               # the input's name in the derivation
    formula: str             # "∂(a·b)/∂a = b = 3.0" (scalar) or "∂L/∂W = gᵀ · X" (tensor)
    local: float | None      # the local derivative's number (scalar mode)
    product: object          # upstream × local: what flows to the input along this edge
    before: object           # the input's gradient before (None: nothing had arrived)
    after: object            # ... and after adding the product


@dataclass(frozen=True)
class Step:
    index: int               # 1-based
    op_id: str
    op: str                  # "Mul", "Affine 2→3"
    output_id: str
    output: str              # the output's name in the derivation ("a·b" when unnamed)
    expression: str          # the op on its inputs' names ("a·b")
    upstream: object         # ∂L/∂output, complete when the step runs
    terms: tuple


def value_text(v) -> str:
    if v is None:
        return "0 (nothing yet)"
    if isinstance(v, float):
        return num(v) if v == 0 or 1e-4 <= abs(v) < 1e6 else f"{v:.4g}"
    if is_tiny(v):
        return summarize(v)
    return f"‖{fmt_norm(norm(v))}‖ {tuple(np.shape(v))}"


class Stepper:
    """The backward pass from `root` (a Scalar, or a single-element Tensor), replayed step by step."""

    def __init__(self, root, gradient=None):
        if isinstance(root, (list, tuple)):
            raise TypeError("Stepper: give one output (the loss), not a sequence")
        self.graph = tg_graph.trace(root)
        self.root = self.graph.node(self.graph.roots[0])
        if not self.root.requires_grad:
            raise ValueError("Stepper: the output does not require grad, so there is no backward pass to replay; "
                             "create the inputs with requires_grad=True")
        self.scalar = self.root.shape is None
        if gradient is not None:
            seed = float(gradient) if self.scalar else np.asarray(gradient, dtype=self.root.data.dtype)
        elif self.scalar:
            seed = 1.0
        else:
            if np.size(self.root.data) != 1:
                raise ValueError(f"Stepper: the output has shape {self.root.shape}; give gradient=... of that shape "
                                 "or step from a single-element output (a loss)")
            seed = np.ones_like(self.root.data)
        self.seed = seed
        self.names = display_names(self.graph)
        self.steps = self._replay(seed)

    # ------------------------------------------------------------------ the replay
    def _replay(self, seed):
        g = self.graph
        uses = {}
        for e in g.edges:
            src = g.node(e.src)
            if src.kind == "value" and src.requires_grad:
                uses[e.src] = uses.get(e.src, 0) + 1
        acc = {self.root.id: seed}
        ready, steps = [self.root.id], []
        while ready:                                   # the engine's order: a stack, inputs pushed in order
            value_id = ready.pop()
            producers = g.inputs_of(value_id)
            if not producers:
                continue                               # a leaf: its gradient is complete
            op, out = producers[0], g.node(value_id)
            upstream = acc[value_id]
            in_edges = g.in_edges(op.id)
            inputs = [g.node(e.src) for e in in_edges]
            names = [self.names.get(x.id, "?") for x in inputs]
            shares = None
            terms = []
            for e, x in zip(in_edges, inputs):
                if x.kind != "value" or not x.requires_grad:
                    continue
                local = None
                if self.scalar and out.shape is None:
                    formula, local = scalar_local(g, op, names, e.index)
                    product = upstream * local if local is not None else None
                else:
                    formula = tensor_formula(g, op, names, e.index)
                    product = None
                if product is None:
                    if shares is None:
                        shares = self._vjp(op, upstream)
                    product = shares[e.index]
                before = acc.get(x.id)
                after = product if before is None else before + product
                acc[x.id] = after
                terms.append(Term(x.id, e.index, names[inputs.index(x)], formula, local, product, before, after))
                uses[x.id] -= 1
                if uses[x.id] == 0:
                    ready.append(x.id)
            steps.append(Step(len(steps) + 1, op.id, op_title(op, inputs), value_id, self.names.get(value_id, "?"),
                              expression(op.op, names), upstream, tuple(terms)))
        return steps

    def _vjp(self, op, upstream):
        try:
            return self.graph.vjp(op.id, upstream)
        except RuntimeError as error:
            raise RuntimeError(f"Stepper: {error}") from None

    # ------------------------------------------------------------------ reading it
    def __iter__(self):
        return iter(self.steps)

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, i):
        return self.steps[i]

    def grads_after(self, k) -> dict:
        """{value id: gradient accumulated so far} after the first k steps (k = 0: only the output's seed)."""
        grads = {self.root.id: self.seed}
        for step in self.steps[:k]:
            for t in step.terms:
                grads[t.input_id] = t.after
        return grads

    def panel(self, step: Step) -> Panel:
        """One step as a rich panel: the upstream gradient, then one row per input."""
        head = Text.assemble(("upstream ", "bold"), f"∂L/∂{wrap(step.output)} = {value_text(step.upstream)}")
        t = Table(show_edge=False, box=None, pad_edge=False, padding=(0, 2))
        t.add_column("input", style="bold")
        t.add_column("local derivative")
        t.add_column("× upstream =", justify="right")
        t.add_column("gradient of the input: before → after")
        for term in step.terms:
            t.add_row(term.input, term.formula, value_text(term.product),
                      f"{value_text(term.before)} → {value_text(term.after)}")
        if not step.terms:
            t.add_row("—", "no input needs a gradient", "", "")
        title = f"backward step {step.index}/{len(self.steps)}: {step.op} → {step.output}"
        return Panel(Group(head, t), title=title, title_align="left", expand=False)

    def table(self) -> Table:
        """Every step in one table (one row per input)."""
        t = Table(title="the backward pass, step by step", title_justify="left")
        for col in ("step", "op → output", "upstream", "input", "local derivative", "product", "input's grad"):
            t.add_column(col, justify="right" if col in ("step", "upstream", "product") else "left")
        for step in self.steps:
            for i, term in enumerate(step.terms or [None]):
                first = i == 0
                t.add_row(str(step.index) if first else "", f"{step.op} → {step.output}" if first else "",
                          value_text(step.upstream) if first else "", term.input if term else "—",
                          term.formula if term else "", value_text(term.product) if term else "",
                          f"{value_text(term.before)} → {value_text(term.after)}" if term else "")
        return t

    def print(self, console=None, panels=True):
        """Print every step (panels, or one table with panels=False)."""
        console = console or Console()
        if panels:
            for step in self.steps:
                console.print(self.panel(step))
        else:
            console.print(self.table())

    def picture(self, k, show=("data", "grad"), rankdir="LR", max_nodes=500):
        """The backward graph after step k (1-based): gradients as accumulated so far, the active op, its
        output and inputs outlined in blue, each arrow labelled once its step has run."""
        if not 1 <= k <= len(self.steps):
            raise IndexError(f"Stepper.picture: step {k} out of 1..{len(self.steps)}")
        step = self.steps[k - 1]
        labels = {(e.src, e.dst, e.index): None for e in self.graph.edges}     # None: not run yet (drawn grey)
        for done in self.steps[:k]:
            labels[(done.op_id, done.output_id, 0)] = gradient_text(done.upstream)
            for t in done.terms:
                labels[(t.input_id, done.op_id, t.index)] = gradient_text(t.product)
        active = {step.op_id, step.output_id} | {t.input_id for t in step.terms}
        edges = {(step.op_id, step.output_id)} | {(t.input_id, step.op_id) for t in step.terms}
        title = f"backward step {k}/{len(self.steps)}: {step.op} → {step.output}"
        return draw_graph(self.graph, direction="backward", show=show, rankdir=rankdir, max_nodes=max_nodes,
                          title=title, grads=self.grads_after(k), highlight=active, highlight_edges=edges,
                          edge_labels=labels,
                          extra_caption=[escape("blue: the active step; grad — : nothing has arrived yet")])

    def _repr_html_(self):
        """In a notebook: every step as one table (visualize.interactive(root) steps through them instead)."""
        from .notebook import rich_html

        return rich_html(self.table())

    def __repr__(self):
        return (f"<Stepper: {len(self.steps)} backward steps from {self.names.get(self.root.id, 'the output')}; "
                ".print() shows them, visualize.interactive(root) steps through them>")


def backward_steps(root, gradient=None) -> list:
    """The steps of the backward pass from root (see Stepper)."""
    return Stepper(root, gradient).steps
