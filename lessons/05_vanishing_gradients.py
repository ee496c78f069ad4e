"""Lesson 5: vanishing gradients - deep sigmoid networks vs ReLU networks

Note 003 (Backprop & CNN, "ReLU vs. Sigmoid"): the notes picture backpropagation through a deep sigmoid net as a
message whispered down a line of students, fainter at every ear. We first watch it happen (ten epochs of a
10-layer sigmoid net and the same net with ReLU, both from the same initialisation: one learns, one stalls),
then see why: backpropagation multiplies local derivatives layer by layer, and the sigmoid's is never more than
1/4, so the gradient fades on its way back and the first layers barely learn (underfitting). ReLU's derivative is
1 wherever it is active, so the gradient arrives. We measure it per layer and draw it colored by gradient size.

Run it:   tinygrad-edu lesson 5 [--step] [--out out]     (or: python lessons/05_vanishing_gradients.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.figures import curves_svg
from lessons.runner import Lesson
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

NOTES = "003"
RUN_TIME = "1 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

DEPTH = 10                 # hidden layers (Linear + activation), then one Linear to the classes
WIDTH = 32                 # units per hidden layer
CLASSES = 10
BATCH = 64                 # random inputs and labels: only the size of the gradients matters here
INIT = "he"                # both nets start from this init ("he" or "xavier"): the activation is the only difference
EPOCHS = 10                # section 1's training run: 1,024 points near 10 prototypes, batches of 64
LEARNING_RATE = 0.05       # plain SGD


def deep_net(activation):
    """DEPTH x (Linear(WIDTH, WIDTH), activation), then Linear(WIDTH, CLASSES); the same init for both
    activations (INIT: He, i.e. Kaiming normal, or Xavier normal), biases 0, so only the activation differs."""
    layers = []
    for _ in range(DEPTH):
        linear = nn.Linear(WIDTH, WIDTH)
        if INIT == "he":
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        else:
            nn.init.xavier_normal_(linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, activation()]
    layers.append(nn.Linear(WIDTH, CLASSES))
    return nn.Sequential(*layers)


def prototypes_task(n=1024):
    """A 10-class task an MLP learns in a few epochs: points near one of CLASSES random prototypes.
    Returns X (n, WIDTH) float32 and y (n,) int64."""
    rng = np.random.default_rng(0)
    prototypes = rng.standard_normal((CLASSES, WIDTH)).astype(np.float32)
    y = rng.integers(0, CLASSES, n)
    return (prototypes[y] + 0.5 * rng.standard_normal((n, WIDTH))).astype(np.float32), y


def train(activation, X, y):
    """EPOCHS of SGD on (X, y); returns the mean loss of every epoch, the first layer's relative change and the
    trained model."""
    tg.manual_seed(0)
    model = deep_net(activation)
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE)
    first = model[0].weight.numpy().copy()
    history = []
    for epoch in range(EPOCHS):
        order = np.random.default_rng(epoch).permutation(len(y))
        total = 0.0
        for start in range(0, len(y), BATCH):
            batch = order[start:start + BATCH]
            loss = F.cross_entropy(model(tg.Tensor(X[batch])), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        history.append(total / len(y))
    moved = np.linalg.norm(model[0].weight.numpy() - first) / np.linalg.norm(first)
    return history, float(moved), model


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. A message whispered down a line of students")
    lesson.say(f"""
        Note 003 pictures a deep network as a line of students passing a message by whispering: the last student
        hears the answer's correction loud and clear, each one passes on a quieter, garbled copy, and by the
        front of the line almost nothing is left. Backpropagation (역전파) is that line, the gradient (기울기) is
        the message, and the first layers are the front of the line: they hardly learn. That is the **vanishing
        gradient** (기울기 소실).

        Watch it first. Two networks, identical but for the **activation function** (활성화 함수): {DEPTH} hidden
        layers of {WIDTH} units with a **sigmoid** (시그모이드) after each, and the same with ReLU. Both start from
        the *same* weights ({"He" if INIT == "he" else "Xavier"} initialisation, biases 0), so the activation is
        the only difference. The task: 1,024 points scattered around {CLASSES} random prototypes, label = which
        prototype; {EPOCHS} epochs of plain SGD, learning rate {LEARNING_RATE:g}, batches of {BATCH}.
    """)
    X, y = prototypes_task()
    runs = {name: train(act, X, y) for name, act in (("sigmoid", nn.Sigmoid), ("relu", nn.ReLU))}
    lesson.table(f"mean training loss per epoch (chance: ln {CLASSES} = {np.log(CLASSES):.3f})",
                 ["epoch", "sigmoid net", "ReLU net"],
                 [(e + 1, runs["sigmoid"][0][e], runs["relu"][0][e]) for e in range(EPOCHS)])
    sig_hist, sig_moved, sig_model = runs["sigmoid"]
    relu_hist, relu_moved, _ = runs["relu"]
    lesson.focus(F.cross_entropy(sig_model(tg.Tensor(X[:BATCH])), y[:BATCH]))   # --step: b steps the sigmoid net
    lesson.say(f"""
        The sigmoid net **stalls**: its loss sits at ln {CLASSES} = {np.log(CLASSES):.3f}, the loss of a uniform
        guess, for all {EPOCHS} epochs. The ReLU net's falls to {relu_hist[-1]:.3f}. And the first layer tells
        why: in the sigmoid net its weights moved by {sig_moved:.1e} of their size in {EPOCHS} epochs, in the
        ReLU net by {relu_moved:.2f}. The message never reached the front of the line.
    """)
    lesson.check(f"sigmoid net: still at chance after {EPOCHS} epochs (loss within 0.01 of ln {CLASSES})",
                 bool(abs(sig_hist[-1] - np.log(CLASSES)) < 0.01), True)
    lesson.check(f"ReLU net: loss below half of chance after {EPOCHS} epochs",
                 bool(relu_hist[-1] < np.log(CLASSES) / 2), True)
    lesson.check("sigmoid net: the first layer's weights moved by less than 1e-4 of their size",
                 bool(sig_moved < 1e-4), True)
    lesson.check("ReLU net: the first layer's weights moved by more than 1e-2 of their size", bool(relu_moved > 1e-2),
                 True)
    lesson.chart(curves_svg({"sigmoid": list(enumerate(sig_hist, 1)), "ReLU": list(enumerate(relu_hist, 1))},
                            title=f"{DEPTH} layers, same init: the sigmoid net stalls at ln {CLASSES}",
                            ylabel="mean training loss"),
                 "05_training_stall", "the loss per epoch of the two nets")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. Why: the sigmoid's derivative is at most 1/4")
    lesson.say("""
        `sigmoid(x) = 1 / (1 + exp(-x))` has the derivative `sigmoid(x) (1 - sigmoid(x))`: a product of two
        numbers that add up to 1, largest when both are 1/2, at x = 0: **1/4**. Far from 0 it is nearly 0
        (the sigmoid is flat: saturated). Each student, in the notes' picture, passes on at most a quarter of
        the message. Let autograd compute the derivative on a grid:
    """)
    x = tg.Tensor(np.linspace(-6, 6, 13), requires_grad=True, dtype=tg.float64, name="x")
    total = x.sigmoid().sum()
    total.name = "sum sigmoid(x)"
    total.backward(retain_graph=True)                      # d/dx of sum(sigmoid(x)) = sigmoid'(x), entry by entry
    lesson.focus(total)
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
    lesson.section(f"3. {DEPTH} sigmoid layers vs {DEPTH} ReLU layers: the gradient norm of every layer")
    lesson.say(f"""
        The two untrained networks of section 1 again ({DEPTH} hidden layers of {WIDTH} units, a final layer to
        {CLASSES} classes, the same init), cross-entropy on a batch of {BATCH} random inputs. One backward pass
        each, then the norm `||dL/dW||` of every layer's parameters (layer 0 is the first, next to the input;
        the numbers are the positions in the Sequential, activations sit in between).
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
            loss.backward(retain_graph=True)               # kept: the b key can replay it
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
    lesson.section("4. The backward pictures, colored by gradient size")
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

    lesson.recap(
        "Recognise a vanishing gradient in training: a loss stuck at chance and first-layer weights that do not move.",
        "Explain it with the chain rule: each sigmoid multiplies the gradient by at most 1/4, so (1/4)^depth.",
        "Measure ||grad|| per layer of any net and see why ReLU (derivative 1 where active) lets it through.")
    lesson.now_you(5, [
        ('INIT = "xavier"', "",
         "both nets start from Xavier weights instead: the sigmoid net still stalls at ln 10, while the ReLU net "
         "learns more slowly (its loss is about 1.67 after 10 epochs: Xavier's weights are too small for ReLU), so "
         "the check 'loss below half of chance' stops the lesson: He init helps ReLU, no init rescues the sigmoid"),
        ("WIDTH = 8", "",
         "the sigmoid net still stalls; the narrow ReLU net learns more slowly (about 1.63 after 10 epochs) and the "
         "check 'loss below half of chance' stops the lesson"),
        ("DEPTH = 20", "",
         "the sigmoid net still stalls; the 20-layer ReLU net is slower to start (about 1.68 after 10 epochs) and "
         "the check 'loss below half of chance' stops the lesson: depth makes even ReLU nets harder to train"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
