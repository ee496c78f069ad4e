"""Lesson 8: pooling and a CNN - X vs O by hand, max vs average pooling, LeNet on handwritten digits

Follows note 002's X-vs-O example (a 9x9 picture, three 3x3 filters, ReLU, 2x2 max pooling), the pooling
slides of 001 and 003 (W2 = (W1 - F)/S + 1, no parameters, channels unchanged, robustness to small shifts)
and note 000's lab 3-2 (a CNN image classifier), trained here as a LeNet on scikit-learn's 8x8 digits.

Run it:   tinygrad-edu lesson 8 [--step] [--out out]     (or: python lessons/08_pooling_and_lenet.py --out out)
"""

import warnings

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from lessons.training import digits, progress
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.nn import functional as F

NOTES = "002, 003, 000"
RUN_TIME = "7 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

EPOCHS = 20                 # full settings: ~98 % on held-out digits; --fast trains 4 epochs
BATCH_SIZE = 32
LEARNING_RATE = 2e-3        # Adam; divided by 10 for the last 40 % of the epochs
SHUFFLE_EPOCHS = 4          # the pixel-shuffle experiment: FC net and LeNet, each on original and shuffled pixels


def grid(a):
    """A matrix as text, its rows lined up inside an indented lesson.show body."""
    return np.array2string(np.asarray(a), precision=2, suppress_small=True, max_line_width=110).replace(
        "\n", "\n        ")


def x_picture():
    """002's X: a 9x9 picture of -1 (background) and +1 (the two diagonals, one pixel in from the border)."""
    x = -np.ones((9, 9))
    for i in range(1, 8):
        x[i, i] = x[i, 8 - i] = 1.0
    return x


def o_picture():
    """An O drawn the same way: a ring of +1 on -1."""
    o = -np.ones((9, 9))
    o[1, 3:6] = o[7, 3:6] = o[3:6, 1] = o[3:6, 7] = 1.0
    o[2, 2] = o[2, 6] = o[6, 2] = o[6, 6] = 1.0
    return o


class LeNet(nn.Module):
    """LeNet-5's shape (conv-pool, conv-pool, three fully connected layers) adapted to 8x8 digits:
    3x3 filters with padding 1 instead of 5x5 without (5x5 would leave nothing of an 8x8 image after two
    poolings), ReLU instead of sigmoid (003: "today mostly ReLU"), and 16/32 channels instead of 6/16."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)      # (N, 1, 8, 8)  -> (N, 16, 8, 8)
        self.pool1 = nn.MaxPool2d(2)                      #               -> (N, 16, 4, 4)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)     #               -> (N, 32, 4, 4)
        self.pool2 = nn.MaxPool2d(2)                      #               -> (N, 32, 2, 2)
        self.fc1 = nn.Linear(32 * 2 * 2, 120)             # flatten 128   -> 120
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)                      # ten digit scores (logits)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = x.flatten(1)                                  # (N, 128)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def fc_net():
    """The FC net of the shuffle experiment: 64 pixels -> 64 -> 10."""
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def quick_accuracy(model, X, y, X_test, y_test, epochs, shape):
    """Train `model` with Adam (lr 2e-3, batches of 32, a seeded order) and return its held-out accuracy;
    `shape` turns a batch of (B, 64) pixel rows into what the model reads."""
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), 32):
            idx = order[start:start + 32]
            loss = F.cross_entropy(model(tg.Tensor(X[idx].reshape(shape))), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with tg.no_grad():
        return float((model(tg.Tensor(X_test.reshape(shape))).numpy().argmax(1) == y_test).mean())


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. X vs O: three filters, ReLU, max pooling (002)")
    lesson.say("""
        Note 002 recognises an X in a 9x9 picture of -1 and +1 pixels with three 3x3 filters: a diagonal,
        a small X, an anti-diagonal. Each filter is slid over the picture; the slides divide each sum of
        9 products by 9, so a perfect match scores **1**. Three filters (필터) give three 7x7 feature maps (특징 맵,
        7x7x3).
    """)
    diagonal = np.array([[1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
    small_x = np.array([[1, -1, 1], [-1, 1, -1], [1, -1, 1]], dtype=float)
    anti_diagonal = diagonal[:, ::-1].copy()
    filters = tg.Tensor(np.stack([diagonal, small_x, anti_diagonal])[:, None])        # (3, 1, 3, 3)
    picture = tg.Tensor(x_picture()[None, None])                                     # (1, 1, 9, 9)
    maps = F.conv2d(picture, filters) / 9.0                                           # (1, 3, 7, 7)
    activated = F.relu(maps)                                                          # negatives -> 0
    m = maps.numpy()[0]
    lesson.show("the X and its three 7x7 feature maps (conv / 9)", f"""
        X picture:
        {grid(x_picture())}
        diagonal filter's map:
        {grid(m[0])}
        X filter's map:
        {grid(m[1])}
        anti-diagonal filter's map:
        {grid(m[2])}""")
    lesson.check("three 7x7 maps", maps.shape, (1, 3, 7, 7))
    lesson.check("perfect matches score 1: diagonal at (1,1), X at the centre, anti-diagonal at (1,5)",
                 [m[0, 1, 1], m[1, 3, 3], m[2, 1, 5]], [1, 1, 1])
    lesson.check("the diagonal filter in the corner: 8 of 9 pixels agree, (8 - 1)/9", m[0, 0, 0], 7 / 9)

    lesson.say("""
        ReLU then sets every negative score to 0. Max pooling 2x2 with stride 2 keeps the largest value of each
        2x2 block. A 7x7 map does not split into 2x2 blocks: `(7 - 2)/2 + 1 = 3.5`. PyTorch (and this engine)
        floors that to **3x3** and drops the last row and column. Both are shown.
    """)
    lesson.erratum("""
        (002 *Pooling Layer*) the notes' picture pools the 7x7 map to **4x4**: it keeps a half-empty last block,
        which is `ceil_mode=True`, not the default (3x3).
    """)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pooled_floor = F.max_pool2d(activated, 2, stride=2)                           # (1, 3, 3, 3)
    for warning in caught:                                                            # the engine says what it drops
        lesson.console.print(f"[yellow]warning:[/yellow] {warning.message}")
    pooled_ceil = F.max_pool2d(activated, 2, stride=2, ceil_mode=True)                # (1, 3, 4, 4)
    lesson.show("the diagonal filter's map after ReLU and 2x2 max pooling", f"""
        after ReLU:
        {grid(activated.numpy()[0, 0])}
        max pool, floor (PyTorch's default) {pooled_floor.shape}:
        {grid(pooled_floor.numpy()[0, 0])}
        max pool, ceil_mode=True (the notes' picture) {pooled_ceil.shape}:
        {grid(pooled_ceil.numpy()[0, 0])}""")
    lesson.check("2x2 max pool, stride 2, floor: 3x3x3", pooled_floor.shape, (1, 3, 3, 3))
    lesson.check("ceil_mode=True: 4x4x3", pooled_ceil.shape, (1, 3, 4, 4))
    lesson.check("ceil_mode's last window holds a single pixel", pooled_ceil.numpy()[0, 0, 3, 3],
                 activated.numpy()[0, 0, 6, 6])

    o_maps = F.relu(F.conv2d(tg.Tensor(o_picture()[None, None]), filters) / 9.0)
    x_best = F.max_pool2d(activated, 7).numpy().ravel()                               # best match of each filter
    o_best = F.max_pool2d(o_maps, 7).numpy().ravel()
    lesson.table("best match of each filter anywhere in the picture", ["picture", "diagonal", "X", "anti-diagonal"],
                 [("X", *x_best), ("O", *o_best)])
    lesson.say(f"""
        All three filters find a perfect match in the X. The O, drawn in pixels, has short diagonal strokes at
        its corners, so the diagonal filters fire there too; but the O has no crossing: the X filter scores 1
        on the X and only {o_best[1]:.2f} on the O. That is the evidence a classifier on top of these features uses.
    """)
    lesson.check("every filter matches the X perfectly", x_best, [1, 1, 1])
    lesson.check("the X filter does not match the O perfectly", float(o_best[1] < 1), 1.0)
    with tg.watch():
        xin = tg.Tensor(x_picture()[None, None], requires_grad=True, name="X picture")
        w3 = tg.Tensor(filters.numpy(), requires_grad=True, name="filters")
        score = F.max_pool2d(F.relu(F.conv2d(xin, w3) / 9.0), 2, stride=2).sum()
        score.name = "score"
        score.backward()
    lesson.picture(visualize.draw(score, rankdir="TB", title="X vs O: conv (3 filters) -> /9 -> ReLU -> 2x2 max pool"),
                   "08_x_vs_o", "the feature pipeline of 002 as one graph")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. Max and average pooling (001, 003)")
    lesson.say("""
        Pooling (풀링) summarises each window: **max** (최대 풀링) keeps the strongest response, **average** (평균
        풀링) the mean. The output
        size follows the convolution formula without padding: `W2 = (W1 - F)/S + 1`. Pooling has **no
        parameters** and works on each channel separately, so the number of channels is unchanged.
    """)
    x44 = tg.Tensor(np.array([[1, 3, 2, 1], [4, 6, 5, 0], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)[None, None])
    rows = []
    for k, s in ((2, 2), (3, 1)):
        mx = F.max_pool2d(x44, k, stride=s).numpy()[0, 0]
        av = F.avg_pool2d(x44, k, stride=s).numpy()[0, 0]
        rows.append((f"F={k}, S={s}", f"(4 - {k})/{s} + 1 = {(4 - k) // s + 1}", str(mx.tolist()),
                     str(np.round(av.astype(float), 3).tolist())))
    lesson.table("on a 4x4 input", ["pooling", "W2", "max", "average"], rows)
    lesson.ask("a 3x3 max pool with stride 2 on a 13x13x32 feature map: how wide is the output?", (13 - 3) // 2 + 1,
               0, "W2 = (13 - 3)/2 + 1 = 6, and the 32 channels stay")
    pool_layer = nn.MaxPool2d(3, stride=2)
    feature_maps = tg.randn(1, 32, 13, 13)
    lesson.check("F=2, S=2 max pool on the 4x4 input", F.max_pool2d(x44, 2, 2).numpy()[0, 0], [[6, 5], [3, 4]])
    lesson.check("F=2, S=2 average pool", F.avg_pool2d(x44, 2, 2).numpy()[0, 0], [[3.5, 2], [2, 2]])
    lesson.check("F=3, S=2 on 13x13x32: (13 - 3)/2 + 1 = 6, channels unchanged", pool_layer(feature_maps).shape,
                 (1, 32, 6, 6))
    lesson.check("pooling has no parameters", len(list(pool_layer.parameters())), 0)

    lesson.say("""
        **Robustness to a one-pixel shift.** Shift the X one pixel to the right and compare the features
        before and after, raw (the 7x7 maps after ReLU) and pooled (3x3 windows, stride 2): how many
        numbers change, and by how much (`||after - before|| / ||before||`)?
    """)
    shifted = np.roll(x_picture(), 1, axis=1)
    shifted[:, 0] = -1.0                                                               # background comes in
    relu_maps = {name: F.relu(F.conv2d(tg.Tensor(p[None, None]), filters) / 9.0)
                 for name, p in (("before", x_picture()), ("after", shifted))}
    ways = {"no pooling": lambda t: t,
            "max pool 3x3, S=2": lambda t: F.max_pool2d(t, 3, stride=2),
            "average pool 3x3, S=2": lambda t: F.avg_pool2d(t, 3, stride=2)}
    rows, change = [], {}
    for name, pool in ways.items():
        a, b = pool(relu_maps["before"]).numpy(), pool(relu_maps["after"]).numpy()
        change[name] = (float(np.mean(np.abs(a - b) > 1e-6)), float(np.linalg.norm(a - b) / np.linalg.norm(a)))
        rows.append((name, str(a.shape[1:]), f"{change[name][0]:.0%}", f"{change[name][1]:.2f}"))
    lesson.table("the X shifted one pixel right", ["features", "shape", "numbers that changed", "relative change"],
                 rows)
    lesson.say("""
        Without pooling almost every number moves. Max pooling changes far fewer: as long as the strongest
        response stays inside its window, the window's maximum does not care where it is. Average pooling
        changes a little in almost every window (the mean feels every pixel), but by less than the raw maps.
    """)
    lesson.check("max pooling: fewer numbers change than without pooling",
                 float(change["max pool 3x3, S=2"][0] < change["no pooling"][0]), 1.0)
    lesson.check("max pooling: fewer numbers change than with average pooling",
                 float(change["max pool 3x3, S=2"][0] < change["average pool 3x3, S=2"][0]), 1.0)
    lesson.check("pooled features change less than raw ones (relative change)",
                 float(max(change["max pool 3x3, S=2"][1], change["average pool 3x3, S=2"][1])
                       < change["no pooling"][1]), 1.0)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. LeNet on handwritten digits (003, 000 lab 3-2)")
    lesson.say(f"""
        LeNet (1998) is the pattern 003 summarises as `[(CONV-RELU)*N - POOL]*M - (FC-RELU)*K, SOFTMAX`.
        Our digits are scikit-learn's 8x8 images (1,797 of them, a quarter held out), far smaller than
        LeNet's 32x32, so the architecture is **adapted**: 3x3 filters with padding 1 (a 5x5 filter without
        padding would leave nothing after two poolings), ReLU instead of sigmoid, 16 and 32 channels.
        Adam, learning rate {LEARNING_RATE:g}, divided by 10 for the last 40 % of the epochs, batches of {BATCH_SIZE}.
    """)
    model = LeNet()
    n_params = sum(p.numel() for p in model.parameters())
    lesson.table("LeNet for 8x8 digits", ["layer", "output shape", "parameters"], [
        ("input", "(N, 1, 8, 8)", 0),
        ("conv1 3x3 p1 + ReLU", "(N, 16, 8, 8)", 16 * 9 + 16),
        ("pool1 2x2", "(N, 16, 4, 4)", 0),
        ("conv2 3x3 p1 + ReLU", "(N, 32, 4, 4)", 32 * 16 * 9 + 32),
        ("pool2 2x2", "(N, 32, 2, 2)", 0),
        ("flatten", "(N, 128)", 0),
        ("fc1 + ReLU", "(N, 120)", 128 * 120 + 120),
        ("fc2 + ReLU", "(N, 84)", 120 * 84 + 84),
        ("fc3", "(N, 10)", 84 * 10 + 10),
        ("total", "", n_params)])
    lesson.check("LeNet's parameter count", n_params, 160 + 4640 + 15480 + 10164 + 850)
    data = digits(lesson)
    if data is None:
        return
    X_train, y_train, X_test, y_test = data
    X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)       # (N, 64) -> (N, C, H, W)
    epochs = 4 if lesson.fast else EPOCHS
    tg.manual_seed(0)
    model = LeNet()
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=BATCH_SIZE, shuffle=True, seed=0)
    history = []
    with progress(lesson, "LeNet", total=epochs) as advance:
        for epoch in range(epochs):
            if epoch == int(0.6 * epochs):                                           # learning-rate step
                for group in optimizer.param_groups:
                    group["lr"] = LEARNING_RATE / 10
            model.train()
            for xb, yb in loader:
                loss = F.cross_entropy(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            model.eval()
            with tg.no_grad():
                accuracy = float((model(tg.Tensor(X_test)).numpy().argmax(axis=1) == y_test).mean())
            history.append((epoch + 1, loss.item(), accuracy))
            advance(loss=loss.item(), acc=accuracy)
    lesson.table("training (accuracy on the held-out quarter)", ["epoch", "last batch loss", "test accuracy"],
                 history[-5:])
    final = history[-1][2]
    lesson.say(f"Held-out accuracy after {epochs} epochs: **{final:.1%}** on {len(y_test)} digits.")
    lesson.check_at_least("held-out accuracy (LeNet; the bar is 80 % in --fast)", final,
                          0.80 if lesson.fast else 0.97)

    with tg.watch():
        loss = F.cross_entropy(model(tg.Tensor(X_test[:16])), y_test[:16])
        loss.name = "loss"
        model.zero_grad()
        loss.backward()
    lesson.picture(visualize.draw(loss, collapse="module", rankdir="TB",
                                  title="LeNet on a batch of 16 digits, one box per module"),
                   "08_lenet", "conv1 -> pool1 -> conv2 -> pool2 -> fc1 -> fc2 -> fc3, colored by gradient size")
    visualize.print_gradient_flow(loss, by="layer", console=lesson.console)

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. Shuffle the pixels: the FC net does not notice, the CNN does (001)")
    lesson.say(f"""
        Lesson 6 said why convolution suits images: **local connectivity** (a filter reads neighbouring pixels)
        and **parameter sharing** (the same filter everywhere). Both assume that neighbours belong together.
        Test it: shuffle the 64 pixels of every digit with **one fixed permutation** (the same for every image,
        train and test), then train an FC net (64 -> 64 -> 10) and LeNet on the original and on the shuffled
        pixels, {SHUFFLE_EPOCHS} epochs each, same seed. For the FC net the shuffle is only a renaming of its
        inputs: with its first layer's initial weights renamed the same way, training runs step for step as
        before. LeNet's 3x3 filters now read pixels that were never neighbours, and no renaming undoes that.
    """)
    perm = np.random.default_rng(0).permutation(64)                                # one fixed shuffle
    flat_train, flat_test = X_train.reshape(-1, 64), X_test.reshape(-1, 64)
    accuracy_of = {}
    for shuffled in (False, True):
        Xa, Xb = (flat_train[:, perm], flat_test[:, perm]) if shuffled else (flat_train, flat_test)
        tg.manual_seed(0)
        fc = fc_net()
        if shuffled:
            fc[0].weight.data[...] = fc[0].weight.data[:, perm]                     # column j reads pixel perm[j]
        accuracy_of["FC", shuffled] = quick_accuracy(fc, Xa, y_train, Xb, y_test, SHUFFLE_EPOCHS, (-1, 64))
        tg.manual_seed(0)
        accuracy_of["LeNet", shuffled] = quick_accuracy(LeNet(), Xa, y_train, Xb, y_test, SHUFFLE_EPOCHS,
                                                        (-1, 1, 8, 8))
    lesson.show("one test digit, original and shuffled", "\n".join(
        " ".join("".join(" .:#"[int(v * 3.99)] for v in img[r * 8:r * 8 + 8]) for img in (flat_test[0],
                                                                                        flat_test[0][perm]))
        for r in range(8)))
    lesson.table(f"held-out accuracy after {SHUFFLE_EPOCHS} epochs", ["net", "original pixels", "shuffled pixels"],
                 [(net, f"{accuracy_of[net, False]:.1%}", f"{accuracy_of[net, True]:.1%}") for net in ("FC", "LeNet")])
    lesson.say(f"""
        The FC net scores exactly the same ({accuracy_of["FC", False]:.1%}): it never knew which pixels were
        neighbours. LeNet drops from {accuracy_of["LeNet", False]:.1%} to {accuracy_of["LeNet", True]:.1%}: its
        filters find no strokes or edges in the shuffled picture. (On images this small LeNet's fully connected
        layers can still learn the scrambled layout given more epochs, and the gap narrows; on large images the
        filters are all there is.)
    """)
    lesson.check("FC net: the fixed shuffle leaves the held-out accuracy unchanged",
                 accuracy_of["FC", True], accuracy_of["FC", False], atol=0.0)
    lesson.check("LeNet: the shuffle costs more than 3 points of held-out accuracy",
                 accuracy_of["LeNet", False] - accuracy_of["LeNet", True] > 0.03, True)


    lesson.recap(
        "Compute pooling outputs by hand (max and average, floor or ceil mode) and say why pooling makes features "
        "robust to small shifts.",
        "Build and train a LeNet-style CNN on images and read its gradient flow per layer.",
        "Show with a pixel shuffle that a CNN relies on neighbouring pixels belonging together, and an FC net "
        "does not.")

    lesson.now_you(8, [
        ("LEARNING_RATE = 5e-2", "",
         "too large for Adam here: LeNet ends near 73 % on the held-out digits instead of about 98 %, and the "
         "accuracy check stops the lesson"),
        ("EPOCHS = 2", "",
         "two epochs are not enough: about 67 % held out (the check wants 97 %)"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
