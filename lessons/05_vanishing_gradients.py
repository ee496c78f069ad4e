"""Lesson 5: vanishing gradients - deep sigmoid networks vs ReLU networks

Note 003 ("ReLU vs. Sigmoid"): backpropagation multiplies local derivatives layer by layer, and the sigmoid's is
never more than 1/4, so in a deep sigmoid network the gradient fades on its way back and the first layers barely
learn (underfitting). ReLU's derivative is 1 wherever it is active, so the gradient arrives. We measure it: the
gradient norm of every layer of a 10-layer sigmoid net and of the same net with ReLU, and the backward picture
colored by gradient size.

Run it:   tinygrad-edu lesson 5 [--step] [--out out]     (or: python lessons/05_vanishing_gradients.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

NOTES = "003"
RUN_TIME = "1 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

DEPTH = 10                 # hidden layers (Linear + activation), then one Linear to the classes
WIDTH = 32                 # units per hidden layer
CLASSES = 10
BATCH = 64                 # random inputs and labels: only the size of the gradients matters here


def deep_net(activation):
    """DEPTH x (Linear(WIDTH, WIDTH), activation), then Linear(WIDTH, CLASSES); each with its best-suited init:
    Xavier for sigmoid, He (Kaiming) for ReLU, biases 0. Even with its own best init, sigmoid vanishes."""
    layers = []
    for _ in range(DEPTH):
        linear = nn.Linear(WIDTH, WIDTH)
        if activation is nn.ReLU:
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        else:
            nn.init.xavier_normal_(linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, activation()]
    layers.append(nn.Linear(WIDTH, CLASSES))
    return nn.Sequential(*layers)


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. The sigmoid's derivative is at most 1/4")
    lesson.say("""
        `sigmoid(x) = 1 / (1 + exp(-x))` has the derivative `sigmoid(x) (1 - sigmoid(x))`: a product of two
        numbers that add up to 1, largest when both are 1/2, at x = 0: **1/4**. Far from 0 it is nearly 0
        (the sigmoid is flat: saturated). Let autograd compute it on a grid:
    """)
    x = tg.Tensor(np.linspace(-6, 6, 13), requires_grad=True, dtype=tg.float64, name="x")
    x.sigmoid().sum().backward()                           # d/dx of sum(sigmoid(x)) = sigmoid'(x), entry by entry
    slope = x.grad.numpy()
    r = tg.Tensor(np.linspace(-6, 6, 13), requires_grad=True, dtype=tg.float64)
    r.relu().sum().backward()
    lesson.table("local derivatives", ["x", "sigmoid'(x)", "relu'(x)"],
                 [(f"{v:g}", s, g) for v, s, g in zip(x.numpy(), slope, r.grad.numpy())][::2])
    lesson.check("max of sigmoid'(x) is 1/4, at x = 0", [slope.max(), x.numpy()[slope.argmax()]], [0.25, 0.0])
    lesson.check("sigmoid'(6) is already below 0.0025", slope[-1] < 0.0025, True)
    lesson.ask(f"sigmoid'(x) is at most 1/4: at most what fraction of a gradient survives {DEPTH} sigmoid layers "
               "(ignoring the weights)?", 0.25 ** DEPTH, 0.25 ** DEPTH / 2, f"(1/4)^{DEPTH} = {0.25 ** DEPTH:.2e}")
    lesson.say(f"""
        Going back through one sigmoid multiplies the gradient by at most 1/4; through {DEPTH} of them by at most
        `(1/4)^{DEPTH} = {0.25 ** DEPTH:.2e}` (the weights in between can make up some of it, but not for long).
        ReLU's derivative is exactly 1 for every positive input: it passes the gradient on unchanged.
    """)
    lesson.check(f"(1/4)^{DEPTH}", 0.25 ** DEPTH, 9.5367431640625e-07, atol=1e-15)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section(f"2. {DEPTH} sigmoid layers vs {DEPTH} ReLU layers: the gradient norm of every layer")
    lesson.say(f"""
        Two networks, identical but for the activation: {DEPTH} hidden layers of {WIDTH} units, a final layer to
        {CLASSES} classes, cross-entropy on a batch of {BATCH} random inputs. One backward pass each, then the
        norm `||dL/dW||` of every layer's parameters (layer 0 is the first, next to the input; the numbers are the
        positions in the Sequential, activations sit in between).
    """)
    inputs = np.random.default_rng(0).standard_normal((BATCH, WIDTH)).astype(np.float32)   # (B, WIDTH)
    labels = np.random.default_rng(1).integers(0, CLASSES, size=BATCH)                      # (B,)
    losses, flows = {}, {}
    for name, activation in (("sigmoid", nn.Sigmoid), ("relu", nn.ReLU)):
        tg.manual_seed(0)
        model = deep_net(activation)
        with tg.watch():                                   # keep every intermediate gradient for the picture
            loss = F.cross_entropy(model(tg.Tensor(inputs)), labels)
            loss.name = "loss"
            loss.backward()
        losses[name] = loss
        lesson.console.print()
        flows[name] = visualize.print_gradient_flow(loss, by="layer", console=lesson.console,
                                                    title=f"{name}: ||grad|| per layer, first layer on top")
    sig = [f.grad_norm for f in flows["sigmoid"]]
    rel = [f.grad_norm for f in flows["relu"]]
    lesson.table("the same, side by side", ["layer", "sigmoid ||grad||", "relu ||grad||"],
                 [(f.name, f"{s:.2e}", f"{g:.2e}") for f, s, g in zip(flows["sigmoid"], sig, rel)])
    sig_ratio, relu_ratio = sig[0] / sig[-1], rel[0] / rel[-1]
    per_layer = sig_ratio ** (1 / DEPTH)
    lesson.say(f"""
        First layer over last layer: sigmoid **{sig_ratio:.1e}**, ReLU **{relu_ratio:.2f}**. In the sigmoid net
        each layer passes back about {per_layer:.2f} of the gradient it receives (about 1/{1 / per_layer:.1f}):
        the 1/4 cap times what the weights add. With a learning rate that suits the last layer, the first layers
        of the sigmoid net do not move at all: that is the vanishing gradient, and why the notes switch to ReLU.
    """)
    lesson.check(f"sigmoid: first-layer gradient is below 1e-4 of the last layer's ({sig_ratio:.1e})",
                 sig_ratio < 1e-4, True)
    lesson.check(f"ReLU: first-layer gradient is above 1e-2 of the last layer's ({relu_ratio:.2f})",
                 relu_ratio > 1e-2, True)
    lesson.check("sigmoid: every layer's gradient is smaller than the next one's",
                 all(a < b for a, b in zip(sig, sig[1:])), True)
    lesson.check("per sigmoid layer the gradient shrinks by at least the 1/4 cap's order (< 0.5)", per_layer < 0.5,
                 True)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. The backward pictures, colored by gradient size")
    lesson.say("""
        The same two backward passes drawn from the loss back to the input (run under `with tg.watch():` so every
        intermediate value kept its gradient). Fill is `||grad||` on a log scale: dark red is large, pale is tiny.
        The sigmoid net fades to pale long before it reaches the first layer; the ReLU net stays dark all the way.
    """)
    for name in ("sigmoid", "relu"):
        lesson.picture(visualize.draw(losses[name], direction="backward", collapse="module", rankdir="TB",
                                      title=f"{DEPTH} {name} layers: the backward pass colored by gradient size, "
                                            "one box per layer"),
                       f"05_backward_{name}", f"{name}: the gradient from the loss back to the first layer, "
                                              "one box per Linear and activation with its ||grad||")

    lesson.now_you(5, [
        ("WIDTH = 8", "",
         "width does not rescue the sigmoid: its first-layer gradient is still about 1e-7 of the last layer's, "
         "while ReLU's ratio rises to about 0.8; every check passes"),
        ("DEPTH = 20", "",
         "the lesson stops at its check of (1/4)^10, printing (1/4)^20 = 9.1e-13: each extra sigmoid layer divides "
         "the best case by 4 again"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
