"""Every worked example of ../shared/WORKED_EXAMPLES.md is printed, with its real numbers, by the lesson that
teaches it, and every erratum listed there is named by that lesson (what the notes say next to the right value).

The expectations below are written from WORKED_EXAMPLES.md (the notes), never copied from a lesson's output.
Numbers are given as the notes write them and compared with the numbers the lesson prints at the notes' own
rounding: the notes' 0.731 accepts a printed 0.7311 (within half a unit of the notes' last digit), an integer must
match exactly. Formulas are given in the notes' notation (x·W, Xᵀ, ⊙, Σ, η, ∂) and match the lessons' ASCII
(x.W, X^T, *, sum, eta, d).

Each lesson runs once (fast mode, headless) for the whole module; lessons no example refers to are not run.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

import lessons
import tinygrad_edu as tg
from lessons.runner import Lesson

SHARED_WORKED_EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "WORKED_EXAMPLES.md"
# a copy travels with the repository, so a clone anywhere checks the coverage too; beside ../shared the two must agree
WORKED_EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "WORKED_EXAMPLES.md"


def test_the_copy_of_worked_examples_matches_the_shared_file():
    if not SHARED_WORKED_EXAMPLES.exists():
        pytest.skip(f"{SHARED_WORKED_EXAMPLES} is not here (it lives beside the repository)")
    assert WORKED_EXAMPLES.read_text(encoding="utf-8") == SHARED_WORKED_EXAMPLES.read_text(encoding="utf-8"), \
        "tests/data/WORKED_EXAMPLES.md is out of date: copy ../shared/WORKED_EXAMPLES.md over it"


# ------------------------------------------------------------------------------------------ what must appear
def flat(text: str) -> str:
    """Whitespace collapsed: rich wraps long lines wherever it likes."""
    return " ".join(text.split())


_NUMBER = re.compile(r"(?<![\w.^])-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def numbers_in(text: str) -> list[float]:
    """Every number printed in `text`, in order (numpy's `7.` and `-0.3`, a table's `0.7311`, `1e-06`); digits
    glued to a name (x1, w11, h_0) are names, not numbers."""
    return [float(m.group()) for m in _NUMBER.finditer(text)]


@dataclass(frozen=True)
class Text:
    """A phrase, verbatim (whitespace-insensitive)."""
    phrase: str

    def find(self, text):
        return [m.start() for m in re.finditer(re.escape(flat(self.phrase)), text)]

    def __str__(self):
        return repr(self.phrase)


@dataclass(frozen=True)
class Pattern:
    """A regular expression over the whitespace-collapsed text."""
    regex: str

    def find(self, text):
        return [m.start() for m in re.finditer(self.regex, text)]

    def __str__(self):
        return f"/{self.regex}/"


_NOTATION = {"·": r"\s*[·.*@]?\s*", "ᵀ": r"(?:ᵀ|\^T|\.T)", "⊙": r"\s*[⊙*]\s*", "Σ": r"(?:Σ|sum)\s*",
             "∂": r"(?:∂|d)", "η": r"(?:η|eta)", "←": r"(?:←|<-)", " ": r"\s*"}


def formula(notes: str) -> Pattern:
    """A formula as the notes write it (x·W, Xᵀ, ⊙, Σ, η, ∂, ←); the lessons print it in ASCII."""
    return Pattern("".join(_NOTATION.get(ch, re.escape(ch)) for ch in notes))


@dataclass(frozen=True)
class Numbers:
    """The notes' numbers, in the notes' order, printed one after the other (matrices row by row). With `near`,
    they must come within the first few numbers printed after that phrase. The tolerance is half a unit of the
    notes' last decimal (0 for integers)."""
    notes: str
    near: str | None = None

    @property
    def values(self):
        return numbers_in(self.notes.replace(",", " , "))

    @property
    def tolerance(self):
        decimals = max((len(m.group(1)) for m in re.finditer(r"\d\.(\d+)", self.notes)), default=0)
        return 0.5 * 10 ** -decimals + 1e-9 if decimals else 1e-9

    def find(self, text):
        want, tol = self.values, self.tolerance
        if self.near is None:
            starts, windows = [0], [numbers_in(text)]
        else:
            starts = Text(self.near).find(text)
            windows = [numbers_in(_up_to_next_check(text[s + len(flat(self.near)):]))[:len(want) + 8]
                       for s in starts]
        return [s for s, got in zip(starts, windows) if _contains(got, want, tol)]

    def __str__(self):
        return f"numbers {self.notes}" + (f" after {self.near!r}" if self.near else "") + f" (±{self.tolerance:.0g})"


def _up_to_next_check(text):
    """The text up to the next `ok label: value` line of lesson.check (the next value is not this one's)."""
    end = text.find(" ok ", 1)
    return text if end < 0 else text[:end]


def _contains(got, want, tol):
    return any(all(abs(g - w) <= tol for g, w in zip(got[i:i + len(want)], want))
               for i in range(len(got) - len(want) + 1))


@dataclass(frozen=True)
class Value:
    """One number the lesson prints after `regex` (its group 1), within [low, high]: for a training result that
    the notes give from their own random start."""
    regex: str
    low: float
    high: float

    def find(self, text):
        return [m.start() for m in re.finditer(self.regex, text) if self.low <= float(m.group(1)) <= self.high]

    def __str__(self):
        return f"/{self.regex}/ in [{self.low}, {self.high}]"


@dataclass(frozen=True)
class Example:
    heading: str          # the `##` section of WORKED_EXAMPLES.md
    entry: str            # words of the bullet it belongs to (a substring of that bullet)
    lesson: int
    expect: tuple         # Text / Pattern / Numbers / Value that must all appear in the lesson's output


SOFTMAX, AFFINE, HOMEWORK = "Softmax and cross-entropy", "Affine layer backward (003)", \
    "Two-layer and three-layer homework nets (003)"
CONV, POOL, INCEPTION = "Convolution by hand", "Pooling (001, 002, 003)", "Inception and residual (004)"
RNN, RBM, DESCENT = "Recurrent nets", "Restricted Boltzmann machine, CD-1 (002)", "Gradient descent (003)"

EXAMPLES = [
    # ---------------------------------------------------------------------------------------- softmax, CE
    Example(SOFTMAX, "000: h = [1.3, 2.1, -1.2, 0.7]", 3, (
        Numbers("[1.3, 2.1, -1.2, 0.7]", near="softmax("),
        Numbers("[0.259, 0.577, 0.021, 0.142]", near="softmax(h) ="),
        Numbers("0.26, 0.58, 0.02, 0.14", near="the slide ="))),
    Example(SOFTMAX, "002: o = (1, 2, 3)", 3, (
        Text("o = (1, 2, 3)"),
        Numbers("(0.0900, 0.2447, 0.6652)", near="softmax(1, 2, 3)"))),
    Example(SOFTMAX, "002: d = (1, 0, 0), y = (0.3, 0.5, 0.8)", 3, (
        Text("d = (1, 0, 0), y = (0.3, 0.5, 0.8)"),
        Numbers("1.2040", near="= -ln 0.3 ="),
        Pattern(r"not a (probability )?distribution"))),
    # ---------------------------------------------------------------------------------------- Affine
    Example(AFFINE, "Y = X·W + B. dL/dW = Xᵀ·dL/dY", 2, (
        formula("Y = X·W + B"),
        formula("dL/dW = Xᵀ·dL/dY"),
        formula("dL/dX = dL/dY·Wᵀ"),
        Pattern(r"dL/dB = (sum of dL/dY over the batch|sum over the batch of dL/dY)"),
        Text("ok dL/dW in tensor mode equals scalar mode's"),
        Text("ok dL/dX in tensor mode equals scalar mode's"))),
    Example(AFFINE, "Y = X·W + B. dL/dW = Xᵀ·dL/dY", 1, (
        formula("Y = X·W + B"),
        formula("Xᵀ·dL/dY"),
        Pattern(r"dL/dB = dL/dY summed over the batch"))),
    Example(AFFINE, "on a 1x2 input and a 2x2 W, element by element", 1, (
        formula("y1 = x1·w11 + x2·w12"),
        Text("every multiply and add is its own node"),
        Text("ok tensor mode's dL/dW equals scalar mode's"),
        Text("ok tensor mode's dL/dX equals scalar mode's"),
        Text("ok dL/dB = dL/dY"))),
    # ---------------------------------------------------------------------------------------- homework nets
    Example(HOMEWORK, "Forward: a1 = x·W1 + b1", 4, (
        formula("a1 = x·W1 + b1"), formula("z1 = sigmoid(a1)"), formula("a2 = z1·W2 + b2"),
        formula("y = softmax(a2)"), Text("loss = cross-entropy"),
        Pattern(r"dy = \(y - t\) / (batch|N)"),
        formula("['W2'] = z1ᵀ·dy"), Text("np.sum(dy, axis=0)"), formula("dz1 = dy·W2ᵀ"),
        Pattern(r"da1 = (dz1 \* \(1 - z1\) \* z1|z1 \* \(1 - z1\) \* dz1)"),
        formula("['W1'] = xᵀ·da1"))),
    Example(HOMEWORK, "2-layer network implementation example", 4, (
        Text("grads['b1'] = np.sum(dz1, axis=0)"),
        Text("check_grads(loss_fn) FAILED: wrong gradient for b1"),
        Text("ok b1 fails: the checker points at b1"),
        Text("np.sum(da1, axis=0)"),
        Text("ok the fixed two-layer net passes"))),
    Example(HOMEWORK, "Three-layer variant", 4, (
        Text("(sigmoid, ReLU, softmax)"),
        Text("da2_mask = (a2 <= 0)"),
        Text("da2 = dz2"),
        Text("np.shares_memory(da2, dz2) = True"),
        Text("Harmless on the slide"), Text("classic trap"),
        Text("ok the three-layer net passes"))),
    # ---------------------------------------------------------------------------------------- convolution
    Example(CONV, "001, 1-D: f = [3, 1, 2]", 6, (
        Text("f = [3, 1, 2]"), Text("g = [3, 2, 1]"),
        Text("flips g"),
        Numbers("[9, 9, 11, 5, 2]", near="f * g ="),
        Text("cross-correlation"))),
    Example(CONV, "003, 2-D: input (4,4)", 6, (
        Numbers("[[1,2,3,0],[0,1,2,3],[3,0,1,2],[2,3,0,1]]"),
        Numbers("[[2,0,1],[0,1,2],[1,0,2]]"),
        Text("Padding 1"),
        Numbers("[[7,12,10,2],[4,15,16,10],[10,6,15,6],[8,10,4,3]]", near="padding 1 -> 4x4 output"))),
    Example(CONV, "003, 2-D: input (4,4)", 7, (
        Numbers("[2,0,1,0,1,2,1,0,2]", near="filter as a row:"),
        Text("padding=1"),
        Numbers("[[7,12,10,2],[4,15,16,10],[10,6,15,6],[8,10,4,3]]", near="row @ columns = 003's answer"))),
    Example(CONV, "003: input (7,7) of the repeating rows", 6, (
        Numbers("[1,2,3,0,1,2,3], [0,1,2,3,0,1,2], [3,0,1,2,3,0,1], [2,3,0,1,2,3,0]", near="input:"),
        Text("stride 2"),
        Numbers("(3, 3)", near="7x7, stride 2 -> 3x3:"),
        Numbers("15, 17", near="its first row starts"))),
    Example(CONV, "003, output size: OH = (H + 2P - FH)/S + 1", 6, (
        Text("OH = (H + 2P - FH)/S + 1"),
        Numbers("4", near="(4,4), P1, S1, F3 -> 4:"),
        Numbers("3", near="(7,7), P0, S2, F3 -> 3:"),
        Text('"Cannot."'), formula("(7 - 3)/3 + 1 = 7/3"), Text("7/3 is not an integer"),
        Numbers("(10, 11)", near="(28,31), P2, S3, F5 -> (10, 11):"),
        Text("floor"),
        formula("D·(F - 1) + 1"))),
    Example(CONV, "003, parameters: input 32x32x3", 6, (
        Text("32x32x3"),
        formula("(5·5·3 + 1)"),
        Pattern(r"\b76\b"),
        Numbers("760", near="ten 5x5 filters on 3 channels"))),
    Example(CONV, "003: two 3x3 layers see a 5x5 field", 6, (
        Text("18 weights instead of 25"), Numbers("5, 5, 18, 25", near="two 3x3 layers: a 5x5 field"),
        Text("27 weights instead of 49"), Numbers("7, 7, 27, 49", near="three 3x3 layers: a 7x7 field"))),
    Example(CONV, "002, X vs O: a 9x9 picture", 8, (
        Text("9x9 picture of -1 and +1 pixels"),
        Text("three 3x3 filters: a diagonal, a small X, an anti-diagonal"),
        Text("7x7x3"),
        Numbers("1, 3, 7, 7", near="three 7x7 maps:"),
        Text("ReLU"),
        Text("Max pooling 2x2 with stride 2"))),
    # ---------------------------------------------------------------------------------------- pooling
    Example(POOL, "Max and average pooling, F=2,S=2 and F=3,S=2", 8, (
        Text("Max and average pooling"),
        Text("W2 = (W1 - F)/S + 1"),
        Text("ok F=2, S=2 max pool"), Text("ok F=2, S=2 average pool"),
        Text("F=3, S=2 on 13x13x32: (13 - 3)/2 + 1 = 6, channels unchanged"),
        Text("ok pooling has no parameters"),
        Text("one-pixel shift"),
        Text("ok max pooling: fewer numbers change than without pooling"))),
    # ---------------------------------------------------------------------------------------- inception
    Example(INCEPTION, "InceptionA on MNIST-sized input (1x28x28)", 9, (
        Text("1x28x28"),
        Text("conv 5x5 -> 24x24"), Text("(1, 10, 24, 24)"), Text("pool -> 12x12"),
        Numbers("16, 24, 24, 24", near="branch channels"), Text("16 + 24 + 24 + 24 = 88"),
        Text("conv 5x5 -> 20x8x8"), Text("pool -> 4x4"), Text("Inception -> 88x4x4"),
        formula("88·4·4 = 1408"),
        Text("Linear(1408, 10)"))),
    Example(INCEPTION, "1x1 convolutions as dimension reducers", 9, (
        Text("1x1 convolutions as dimension reducers"),
        Text("ok weights: 153,600 directly"), Text("ok weights with the 1x1 reduction"),
        Text("ok multiplies: 120,422,400 directly"), Text("ok multiplies with the reduction"))),
    Example(INCEPTION, "Residual: out = F(x) + x", 9, (
        Text("out = F(x) + x"),
        Text("ok plain net: the first layer's gradient has vanished"),
        Text("ok residual net: the first layer's gradient is alive"))),
    # ---------------------------------------------------------------------------------------- recurrent
    Example(RNN, '004, "hihell" -> "ihello"', 10, (
        Text('fed "hihell" it should answer "ihello"'),
        Text("Five characters hielo, each a one-hot vector of 5"),
        Numbers("[0,1,0,2,3,3]", near="x_data:"),
        Numbers("[1,0,2,3,3,4]", near="y_data:"),
        Text("nn.RNN(5, 5)"),
        Text("Predicted string: ihello"))),
    Example(RNN, "004, softmax on the RNN output", 10, (
        Text("e^2 / (e^2 + k - 1)"),
        Numbers("0.649", near="e^2 / (e^2 + k - 1) ="), Numbers("0.649", near="ok the cap e^2/(e^2+4):"),
        Text("the notes say this cap is 0.71"), Numbers("0.71", near="ok the notes' 0.71 is k = 4:"),
        Text("0.6487"),
        Text("1.201"),
        Text("CrossEntropyLoss, which applies (log-)softmax again"),
        Text("a Linear on top"),
        Text("the notes print 0.001"),
        # the notes' 0.001 comes from their own random start; ours must reach the same order of magnitude
        Value(r"the loss went to (\d+\.\d+)", 0.0, 0.005))),
    Example(RNN, "002, BPTT", 10, (
        Pattern(r"d[EL]/dW = (Σ|sum)_t d[EL]_t/dW"),
        Text("the gradient vanishes"), Text("the gradient explodes"),
        Text("keeps only the last k factors"))),
    Example(RNN, "001/000/004 equations", 10, (
        Pattern(r"h_t = tanh\((W_x|U) x_t \+ (W_h|W) h_\{t-1\} \+ b\)"),)),
    Example(RNN, "001/000/004 equations", 11, (
        Text("i = sigmoid(.) input gate"), Text("f = sigmoid(.) forget gate"), Text("o = sigmoid(.) output gate"),
        Text("(the notes' c~)"),
        Pattern(r"c_t = f [⊙*] c_\{t-1\} \+ i [⊙*] (c̃|g)"), Pattern(r"h_t = o [⊙*] tanh\(c_t\)"),
        Pattern(r"tanh\(W_in x \+ b_in \+ r [⊙*] \(W_hn h \+ b_hn\)\)"),
        Text("h_t = (1 - z) * n + z * h_{t-1}"),
        Text("note 004 writes h_t = z * n + (1 - z) * h_{t-1}, with z and 1 - z swapped"),
        Text("This library follows PyTorch"))),
    # ---------------------------------------------------------------------------------------- RBM
    Example(RBM, "Visible data (5 students x 6 subjects", 12, (
        Text("Korean, Math, English, Social, Science, Korean history"),
        Text("no biases, learning rate 0.3, k = 1"),
        Numbers("[[1,0,1,0,0,0],[0,1,1,0,1,0],[1,0,1,1,0,1],[1,1,0,1,0,1],[0,1,0,0,1,0]]", near="1 = likes it"),
        Numbers("[[0.2,-0.2],[-0.7,0.1],[0.8,-0.5],[-0.4,-0.2],[0.2,0.4],[-0.1,0.1]]",
                near="W (6 visible x 2 hidden):"),
        Text("the 4th student as [0, 1, 0, 1, 0, 1]"))),
    Example(RBM, "p(h|v) = sigmoid(v·W)", 12, (
        Numbers("[[0.731,0.332],[0.574,0.500],[0.622,0.310],[0.269,0.450],[0.378,0.622]]", near="ok p(h|v):"),)),
    Example(RBM, "Sampled (given in the slides): h =", 12, (
        Numbers("[[1,0],[1,1],[1,0],[0,0],[0,1]]", near="h0, sampled on the slides"),)),
    Example(RBM, "p(v1|h) = sigmoid(h·Wᵀ)", 12, (
        Text("p(v1|h0) = sigmoid(h0 W^T)"),
        Numbers("[0.550,0.332,0.690,0.401,0.550,0.475]", near="p(v1|h0), student 1"),
        Numbers("[0.500,0.354,0.574,0.354,0.646,0.500]", near="p(v1|h0), student 2"),
        Numbers("[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]", near="p(v1|h0), student 4"),
        Numbers("[0.450,0.525,0.378,0.450,0.599,0.525]", near="p(v1|h0), student 5"),
        Text("the slide says 0.60"), Text("the slide says 0.55"),
        Text("prints h.W^T as a 2x6 matrix"))),
    Example(RBM, "Sampled (given): v1 =", 12, (
        Numbers("[[1,0,1,1,0,0],[1,0,1,1,1,0],[0,0,1,1,1,0],[1,0,1,0,0,1],[0,1,0,0,1,0]]", near="v1 ="),
        Numbers("[[1,0],[1,0],[1,1],[1,0],[0,1]]", near="h1 ="))),
    Example(RBM, "vᵀh = [[2,0],[1,2],[3,1],[1,0],[1,2],[1,0]]", 12, (
        Numbers("[[2,0],[1,2],[3,1],[1,0],[1,2],[1,0]]", near="ok v0^T h0"),
        Numbers("[[3,0],[0,1],[4,1],[3,1],[2,2],[1,0]]", near="ok v1^T h1"))),
    Example(RBM, "ΔW = 0.3·(vᵀh - v1ᵀh1)", 12, (
        Numbers("[[-0.3,0],[0.3,0.3],[-0.3,0],[-0.6,-0.3],[-0.3,0],[0,0]]", near="ok dW = 0.3 (v0^T h0 - v1^T h1)"),
        Text("2 - 2 = 0"), Text("the slide writes 0.3 there"))),
    Example(RBM, "W1 = W + ΔW", 12, (
        Numbers("[[-0.1,-0.2],[-0.4,0.4],[0.5,-0.5],[-1.0,-0.5],[-0.1,0.4],[-0.1,0.1]]", near="ok W1 = W + dW"),
        Text("0.7 instead of 0.4"))),
    Example(RBM, "The RBM API must let a lesson supply the samples", 12, (
        Text("(h0=)"), Text("(vk=, hk=)"),
        Text("seeded generator (rng=0)"),
        Text("CD-1 gained"))),
    # ---------------------------------------------------------------------------------------- gradient descent
    Example(DESCENT, "w ← w - η·∂L/∂w", 1, (
        formula("w ← w - η·∂L/∂w"),
        Text("let a Scalar compute the slope"),
        Text("gradient descent on L(w) = (w - 3)^2"),
        Text("ok w after 6 steps"))),
]


@dataclass(frozen=True)
class Erratum:
    heading: str
    entry: str
    lesson: int
    notes_say: Text | Pattern      # what the notes (slides) say ...
    right: Text | Pattern          # ... and the right value, printed close to it
    within: int = 600              # characters of output between the two


ERRATA = [
    Erratum(SOFTMAX, "000: h = [1.3, 2.1, -1.2, 0.7]", 3,
            Text("the slide = [0.26, 0.58, 0.02, 0.14]"), Text("[0.259, 0.577, 0.021, 0.142]")),
    Erratum(SOFTMAX, "002: d = (1, 0, 0)", 3,
            Text("y = (0.3, 0.5, 0.8)"), Pattern(r"y is not a (probability )?distribution")),
    Erratum(HOMEWORK, "2-layer network implementation example", 4,
            Text("grads['b1'] = np.sum(dz1, axis=0)"), Text("np.sum(da1, axis=0)")),
    Erratum(HOMEWORK, "Three-layer variant", 4,
            Text("da2 = dz2 <- NOT a copy"), Text("also zeroes entries of dz2")),
    Erratum(CONV, "003, output size", 6,
            Text('the notes stop at "Cannot."'), Text("PyTorch floors it to 2")),
    Erratum(RNN, "004, softmax on the RNN output", 10,
            Text("the notes say this cap is 0.71"), Text("e^2/(e^2+4) = 0.649 for k = 5"), within=100),
    Erratum(RNN, "004, softmax on the RNN output", 10,
            Text("0.71 = e^2/(e^2+3) = 0.711 is the value for k = 4"), Text("printed tensor tops out at 0.6487")),
    Erratum(RNN, "004, softmax on the RNN output", 10,
            Text("the notes' loss sits at 1.201"), Text("applies (log-)softmax again")),
    Erratum(RNN, "001/000/004 equations", 11,
            Text("note 004 writes h_t = z * n + (1 - z) * h_{t-1}"), Text("This library follows PyTorch")),
    Erratum(RBM, "Visible data (5 students x 6 subjects", 12,
            Text("the 4th student as [0, 1, 0, 1, 0, 1]"), Text("[1, 1, 0, 1, 0, 1] in that row"), within=150),
    Erratum(RBM, "p(v1|h) = sigmoid(h·Wᵀ)", 12,
            Text("the slide says 0.60"), Text("sigmoid(-0.4) = 0.401"), within=60),
    Erratum(RBM, "p(v1|h) = sigmoid(h·Wᵀ)", 12,
            Text("the slide says 0.55"), Text("sigmoid(-0.6) = 0.354"), within=60),
    Erratum(RBM, "p(v1|h) = sigmoid(h·Wᵀ)", 12,
            Text("prints h.W^T as a 2x6 matrix"), Text("not the 5x6 product")),
    Erratum(RBM, "ΔW = 0.3·(vᵀh - v1ᵀh1)", 12,
            Text("the slide writes 0.3 there"), Text("2 - 2 = 0"), within=100),
    Erratum(RBM, "W1 = W + ΔW", 12,
            Pattern(r"0\.7 instead of"), Pattern(r"instead of 0\.4"), within=20),
]

# A bullet of WORKED_EXAMPLES.md that says the notes slipped must have an Erratum row.
ERRATUM_WORDS = re.compile(r"slide says|slide has|notes say|slide writes|slide rounds|slip|mismatch|bug|swapped|"
                           r"not a distribution|trap|Cannot|twice")


# ------------------------------------------------------------------------------------------ running the lessons
class Outputs:
    """The captured text of each lesson, run once (fast, headless) the first time a test asks for it."""

    def __init__(self):
        self._text: dict[int, str] = {}

    def __call__(self, number: int) -> str:
        if number not in self._text:
            tg.manual_seed(0)
            lesson = Lesson(console=Console(file=io.StringIO(), width=200, color_system=None), fast=True)
            lessons.load(number).run(lesson)
            self._text[number] = flat(lesson.console.file.getvalue())
        return self._text[number]


@pytest.fixture(scope="module")
def output():
    return Outputs()


def _example_id(e):
    return f"{e.lesson:02d}-{re.sub(r'[^0-9A-Za-z]+', '_', e.entry)[:40].strip('_')}"


@pytest.mark.parametrize("example", EXAMPLES, ids=_example_id)
def test_the_lesson_prints_the_worked_example(example, output):
    text = output(example.lesson)
    missing = [str(m) for m in example.expect if not m.find(text)]
    assert not missing, f"lesson {example.lesson} does not print, for {example.entry!r}: {missing}"


@pytest.mark.parametrize("erratum", ERRATA, ids=_example_id)
def test_the_lesson_names_the_erratum(erratum, output):
    text = output(erratum.lesson)
    said, right = erratum.notes_say.find(text), erratum.right.find(text)
    assert said, f"lesson {erratum.lesson} does not say what the notes say: {erratum.notes_say}"
    assert right, f"lesson {erratum.lesson} does not give the right value: {erratum.right}"
    gap = min(abs(a - b) for a in said for b in right)
    assert gap <= erratum.within, (f"lesson {erratum.lesson}: {erratum.notes_say} and {erratum.right} are "
                                   f"{gap} characters apart (at most {erratum.within})")


# ------------------------------------------------------------------------------------------ coverage of the file
def worked_examples():
    """{heading: [bullet text, ...]} of WORKED_EXAMPLES.md, each bullet with its continuation lines, flattened."""
    sections: dict[str, list[str]] = {}
    heading = None
    for line in WORKED_EXAMPLES.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
            sections[heading] = []
        elif heading is not None and line.startswith("- "):
            sections[heading].append(line[2:])
        elif heading is not None and line.startswith("  ") and sections[heading]:
            sections[heading][-1] += " " + line.strip()
    return {h: [flat(b) for b in bullets] for h, bullets in sections.items()}


def _bullets_of(sections, row):
    return [(h, b) for h, bullets in sections.items() for b in bullets if flat(row.entry) in b]


def test_every_section_and_entry_of_worked_examples_has_a_row():
    sections = worked_examples()
    assert sections, "no ## sections found"
    for heading, bullets in sections.items():
        assert any(e.heading == heading for e in EXAMPLES), f"no example row for the section {heading!r}"
        assert bullets, f"section {heading!r} has no entries"
        for bullet in bullets:
            assert any(e.heading == heading and flat(e.entry) in bullet for e in EXAMPLES), \
                f"no example row for the entry under {heading!r}: {bullet[:100]!r}"


def test_every_row_names_exactly_one_entry_under_its_heading():
    sections = worked_examples()
    for row in EXAMPLES + ERRATA:
        found = _bullets_of(sections, row)
        assert len(found) == 1, f"{row.entry!r} should name one entry of WORKED_EXAMPLES.md, names {len(found)}"
        assert found[0][0] == row.heading, f"{row.entry!r} is under {found[0][0]!r}, not {row.heading!r}"


def test_every_entry_that_names_a_slip_has_an_erratum_row():
    for heading, bullets in worked_examples().items():
        for bullet in bullets:
            if ERRATUM_WORDS.search(bullet):
                assert any(e.heading == heading and flat(e.entry) in bullet for e in ERRATA), \
                    f"the entry names a slip of the notes but no Erratum row checks it: {bullet[:100]!r}"


def test_the_number_matcher_uses_the_notes_rounding():
    assert numbers_in("ok p(h|v): [[0.7311 0.3318] [ 7. -0.5 ] x1*w11 1e-06") == [0.7311, 0.3318, 7.0, -0.5, 1e-06]
    assert Numbers("0.731").find("p = 0.7311") and not Numbers("0.731").find("p = 0.7316")
    assert Numbers("[15, 17]").find("[15. 17. 15.]") and not Numbers("[15, 17]").find("[15.2 17.]")
    assert Numbers("0.0900").find("[0.09   0.2447]")
    assert formula("dL/dW = Xᵀ·dL/dY").find("dL/dW = X^T . dL/dY")
