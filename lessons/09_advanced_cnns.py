"""Lesson 9: advanced CNNs - 1x1 convolutions, Inception, the famous networks, residual and dense connections

Follows note 004 ("Advanced CNN"): 1x1 convolutions as dimension reducers in front of expensive 5x5 filters and
as an added nonlinearity (001, *1x1 convolution*), the InceptionA module of its PyTorch MNIST network (four
branches, 16 + 24 + 24 + 24 = 88 channels, 1408 features before the classifier), 002's AlexNet / VGG /
GoogLeNet / ResNet as a table, 004's *Problems with stacking layers* (the degradation problem, trained here),
residual connections `out = F(x) + x` that keep the gradient alive, and DenseNet's dense block (concatenation
instead of addition). Ends by training a small residual network on handwritten digits.

Run it:   tinygrad-edu lesson 9 [--step] [--out out]     (or: python lessons/09_advanced_cnns.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons import cnn_zoo
from lessons.runner import Lesson
from lessons.training import digits, progress
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.nn import functional as F
from visualize import charts

NOTES = "004, 002"
RUN_TIME = "20 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

DEPTH = 10                  # residual blocks (two 3x3 convs each) in the gradient experiment: 20 conv layers
TRAIN_DEPTH = 10            # blocks of the plain and residual nets trained side by side (the degradation problem)
TRAIN_STEPS = 100           # their Adam steps at full settings (--fast: 40)
GROWTH_RATE = 4             # DenseNet: channels each layer of the dense block adds (004's figure: k = 4)
EPOCHS = 15                 # digits training at full settings (~98 %); --fast trains 3
BATCH_SIZE = 32
LEARNING_RATE = 2e-3        # Adam; divided by 10 for the last 40 % of the epochs


def conv_cost(conv: nn.Conv2d, out_h, out_w):
    """(weights, multiplies) of a conv layer producing an out_h x out_w map: every output number is one dot
    product of length C_in * FH * FW."""
    c_out, c_in, fh, fw = conv.weight.shape
    return conv.weight.numel(), out_h * out_w * c_out * c_in * fh * fw


class InceptionA(nn.Module):
    """004's Inception block: four branches side by side, concatenated along the channels.
    (N, C, H, W) -> (N, 16 + 24 + 24 + 24 = 88, H, W): every branch keeps H and W (padding)."""

    def __init__(self, in_channels):
        super().__init__()
        self.branch1x1 = nn.Conv2d(in_channels, 16, 1)                        # 1x1            -> 16
        self.branch5x5_1 = nn.Conv2d(in_channels, 16, 1)                      # 1x1 reduce, 5x5 -> 24
        self.branch5x5_2 = nn.Conv2d(16, 24, 5, padding=2)
        self.branch3x3dbl_1 = nn.Conv2d(in_channels, 16, 1)                   # 1x1, 3x3, 3x3   -> 24
        self.branch3x3dbl_2 = nn.Conv2d(16, 24, 3, padding=1)
        self.branch3x3dbl_3 = nn.Conv2d(24, 24, 3, padding=1)
        self.branch_pool = nn.Conv2d(in_channels, 24, 1)                      # avg pool, 1x1   -> 24

    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = self.branch_pool(F.avg_pool2d(x, 3, stride=1, padding=1))
        return tg.cat([branch1x1, branch5x5, branch3x3dbl, branch_pool], dim=1)


class InceptionNet(nn.Module):
    """004's MNIST network: (N, 1, 28, 28) -> conv 5x5 -> pool -> Inception -> conv 5x5 -> pool -> Inception
    -> flatten 88*4*4 = 1408 -> 10 classes."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(88, 20, kernel_size=5)
        self.incept1 = InceptionA(in_channels=10)
        self.incept2 = InceptionA(in_channels=20)
        self.mp = nn.MaxPool2d(2)
        self.fc = nn.Linear(1408, 10)

    def forward(self, x):
        x = F.relu(self.mp(self.conv1(x)))       # (N, 10, 12, 12)
        x = self.incept1(x)                      # (N, 88, 12, 12)
        x = F.relu(self.mp(self.conv2(x)))       # (N, 20, 4, 4)
        x = self.incept2(x)                      # (N, 88, 4, 4)
        x = x.flatten(1)                         # (N, 1408)
        return self.fc(x)


class Block(nn.Module):
    """A residual block (004): y = conv2(relu(conv1(x))); out = relu(x + y).  With skip=False, the same block
    without the shortcut: out = relu(y) (a "plain" network)."""

    def __init__(self, channels, skip=True):
        super().__init__()
        self.skip = skip
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(x)))
        return F.relu(x + y) if self.skip else F.relu(y)


class DeepNet(nn.Module):
    """stem conv -> `depth` blocks -> linear classifier, on (N, 1, 8, 8) digits."""

    def __init__(self, depth, skip, channels=8):
        super().__init__()
        self.stem = nn.Conv2d(1, channels, 3, padding=1)
        self.blocks = nn.Sequential(*[Block(channels, skip) for _ in range(depth)])
        self.fc = nn.Linear(channels * 8 * 8, 10)

    def forward(self, x):
        return self.fc(self.blocks(F.relu(self.stem(x))).flatten(1))


class ResNet(nn.Module):
    """A small residual network for 8x8 digits, in the shape of 004's: conv, residual block, pool, twice."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)      # (N, 16, 8, 8)
        self.rblock1 = Block(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)     # (N, 32, 4, 4) after pooling
        self.rblock2 = Block(32)
        self.mp = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = self.mp(self.rblock1(F.relu(self.conv1(x))))     # (N, 16, 4, 4)
        x = self.mp(self.rblock2(F.relu(self.conv2(x))))     # (N, 32, 2, 2)
        return self.fc(x.flatten(1))


class DenseBlock(nn.Module):
    """DenseNet's dense block (004's figure): layer l sees the concatenation of the block's input and every
    earlier layer's output, and adds `growth_rate` new channels.  (N, C0, H, W) -> (N, C0 + layers * k, H, W)."""

    def __init__(self, in_channels, growth_rate, layers):
        super().__init__()
        self.layers = nn.ModuleList([nn.Conv2d(in_channels + l * growth_rate, growth_rate, 3, padding=1)
                                     for l in range(layers)])

    def forward(self, x):
        features = x
        for conv in self.layers:
            features = tg.cat([features, F.relu(conv(features))], dim=1)   # keep everything, append k channels
        return features


def train_steps(model, X, y, steps, batch_size=32, lr=1e-3, seed=0):
    """`steps` Adam steps on random batches of (X, y); returns the loss on the whole of X after each step."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        idx = rng.choice(len(y), batch_size, replace=False)
        loss = F.cross_entropy(model(tg.Tensor(X[idx])), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with tg.no_grad():
        final = F.cross_entropy(model(tg.Tensor(X)), y).item()
    return losses, final


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. 1x1 convolutions as dimension reducers (004)")
    lesson.say("""
        A 1x1 convolution (1x1 합성곱) looks at one pixel at a time, across all channels (채널): a fully
        connected layer applied
        at every position. It changes the **number of channels** and nothing else. Inception puts one in
        front of each expensive filter to shrink the channels first (004, "Why 1x1 convolution").

        The classic example: a 28x28x192 input and a 5x5 convolution with 32 filters ("same" padding). Each
        of the `28*28*32` outputs is a dot product of length `5*5*192`. Reduce to 16 channels with a 1x1
        first, and the 5x5 runs on 16 channels instead of 192.
    """)
    H = W = 28
    direct = nn.Conv2d(192, 32, 5, padding=2)                                 # 192 -> 32, 5x5
    reduce = nn.Conv2d(192, 16, 1)                                            # 192 -> 16, 1x1
    after = nn.Conv2d(16, 32, 5, padding=2)                                   # 16 -> 32, 5x5
    w_direct, m_direct = conv_cost(direct, H, W)
    w_reduce, m_reduce = conv_cost(reduce, H, W)
    w_after, m_after = conv_cost(after, H, W)
    lesson.table("28x28x192 -> 28x28x32 (weights without biases)", ["path", "weights", "multiplies"], [
        ("5x5 conv directly", f"5*5*192*32 = {w_direct:,}", f"28*28*32 * 5*5*192 = {m_direct:,}"),
        ("1x1 to 16, then 5x5", f"{w_reduce:,} + {w_after:,} = {w_reduce + w_after:,}",
         f"{m_reduce:,} + {m_after:,} = {m_reduce + m_after:,}"),
        ("saving", f"{w_direct / (w_reduce + w_after):.1f}x", f"{m_direct / (m_reduce + m_after):.1f}x")])
    x192 = tg.randn(1, 192, H, W)                                             # (N, C, H, W)
    with tg.no_grad():
        y_direct, y_reduced = direct(x192), after(reduce(x192))
        per_pixel = np.einsum("oc,nchw->nohw", reduce.weight.numpy()[:, :, 0, 0], x192.numpy()) \
            + reduce.bias.numpy()[None, :, None, None]
        as_linear = reduce(x192).numpy()
    lesson.check("both paths give 28x28x32", [*y_direct.shape, *y_reduced.shape], [1, 32, 28, 28, 1, 32, 28, 28])
    lesson.check("weights: 153,600 directly", w_direct, 153_600)
    lesson.check("weights with the 1x1 reduction: 3,072 + 12,800", w_reduce + w_after, 15_872)
    lesson.check("multiplies: 120,422,400 directly", m_direct, 120_422_400)
    lesson.check("multiplies with the reduction: 2,408,448 + 10,035,200", m_reduce + m_after, 12_443_648)
    lesson.check("a 1x1 conv is a linear layer at every pixel (largest difference)",
                 np.abs(per_pixel - as_linear).max(), 0.0, atol=1e-4)

    lesson.say("""
        001 lists a third advantage of the 1x1 convolution (*1x1 convolution*): "모델을 비선형적으로 만들어서 더
        복잡하게 만들어줌" - it makes the model more **nonlinear** (비선형). A 1x1 conv alone is linear; the gain
        comes from the ReLU after it. Two 1x1 convs with nothing between them collapse into one 1x1 conv with
        weight `W2 W1`. Put a ReLU between them and no single 1x1 conv reproduces the result: the best one
        (least squares over every pixel) still misses by a wide margin. Each pixel now goes through a small
        two-layer network (the "network in network" idea Inception borrowed).
    """)
    tg.manual_seed(1)
    first, second = nn.Conv2d(8, 8, 1, bias=False), nn.Conv2d(8, 4, 1, bias=False)      # 8 -> 8 -> 4 channels
    x8 = tg.randn(2, 8, 6, 6)                                                           # (N, C, H, W)
    merged = second.weight.numpy()[:, :, 0, 0] @ first.weight.numpy()[:, :, 0, 0]       # (4, 8): W2 W1
    with tg.no_grad():
        linear_stack = second(first(x8)).numpy()
        relu_stack = second(F.relu(first(x8))).numpy()
    pixels = x8.numpy().transpose(0, 2, 3, 1).reshape(-1, 8)                            # (N*H*W, 8): one row a pixel
    as_one = np.einsum("oc,nchw->nohw", merged, x8.numpy())
    targets = relu_stack.transpose(0, 2, 3, 1).reshape(-1, 4)                           # (N*H*W, 4)
    best, *_ = np.linalg.lstsq(pixels, targets, rcond=None)                             # the best single 1x1 conv
    miss = np.linalg.norm(pixels @ best - targets) / np.linalg.norm(targets)
    lesson.table("two 1x1 convs (8 -> 8 -> 4 channels) against one", ["between them", "best single 1x1 conv",
                                                                      "relative error"], [
        ("nothing", "W2 W1", f"{np.linalg.norm(as_one - linear_stack) / np.linalg.norm(linear_stack):.1e}"),
        ("ReLU", "least-squares fit", f"{miss:.2f}")])
    lesson.check("without a ReLU, two 1x1 convs are one 1x1 conv with weight W2 W1 (largest difference)",
                 np.abs(as_one - linear_stack).max(), 0.0, atol=1e-4)
    lesson.check("with a ReLU between, the best single 1x1 conv misses by more than 30 %", miss > 0.3, True)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. The Inception module and 004's network (1408 features)")
    lesson.say("""
        InceptionA runs four branches on the same input and stacks their outputs along the channels:
        a 1x1 (16 channels), a 1x1 then 5x5 (24), a 1x1 then two 3x3 (24), and a 3x3 average pool then
        1x1 (24). Padding keeps every branch at the input's height and width, so they can be concatenated:
        `16 + 24 + 24 + 24 = 88` channels. The network learns which filter size is useful where.
    """)
    tg.manual_seed(0)
    block = InceptionA(10)
    lesson.ask("InceptionA's four branches give 16, 24, 24 and 24 channels: how many channels come out?", 88, 0,
               "the branches are concatenated along the channels: 16 + 24 + 24 + 24 = 88")
    x = tg.randn(1, 10, 12, 12)
    with tg.no_grad():
        branches = [("branch1x1", block.branch1x1(x)),
                    ("1x1 -> 5x5", block.branch5x5_2(block.branch5x5_1(x))),
                    ("1x1 -> 3x3 -> 3x3", block.branch3x3dbl_3(block.branch3x3dbl_2(block.branch3x3dbl_1(x)))),
                    ("avg pool -> 1x1", block.branch_pool(F.avg_pool2d(x, 3, stride=1, padding=1)))]
        together = block(x)
    lesson.table("InceptionA(10) on a (1, 10, 12, 12) input", ["branch", "output shape"],
                 [(name, str(b.shape)) for name, b in branches] + [("concatenated", str(together.shape))])
    lesson.check("branch channels 16 + 24 + 24 + 24", [b.shape[1] for _, b in branches], [16, 24, 24, 24])
    lesson.check("InceptionA outputs 88 channels, same height and width", together.shape, (1, 88, 12, 12))

    lesson.say("""
        004's MNIST network uses two of them. For a 1x28x28 image: conv 5x5 -> 24x24, pool -> 12x12,
        Inception -> 88x12x12, conv 5x5 -> 20x8x8, pool -> 4x4, Inception -> 88x4x4, flattened to
        `88*4*4 = 1408` features for the final `Linear(1408, 10)`.
    """)
    net = InceptionNet()
    image = tg.randn(1, 1, 28, 28)                                            # (N, C, H, W), MNIST-sized
    shapes = []
    with tg.no_grad():
        h = net.conv1(image)
        shapes.append(("conv1 5x5", h.shape))
        h = F.relu(net.mp(h))
        shapes.append(("max pool 2", h.shape))
        h = net.incept1(h)
        shapes.append(("incept1", h.shape))
        jump_input = h
        h = F.relu(net.mp(net.conv2(h)))
        shapes.append(("conv2 5x5 + max pool 2", h.shape))
        h = net.incept2(h)
        shapes.append(("incept2", h.shape))
        shapes.append(("flatten", h.flatten(1).shape))
        shapes.append(("fc", net.fc(h.flatten(1)).shape))
        jump = nn.Conv2d(88, 88, kernel_size=9)(jump_input)                  # 004's residual variant: conv3
    n_params = sum(p.numel() for p in net.parameters())
    lesson.table(f"004's Inception network ({n_params:,} parameters)", ["layer", "output shape"],
                 [(name, str(s)) for name, s in shapes])
    lesson.check("the network flattens to 1408 features (004)", shapes[5][1], (1, 1408))
    lesson.say(f"""
        004's residual variant adds a long shortcut: `jump = conv3(x)` with a 9x9 convolution after incept1,
        `12 - 9 + 1 = 4`, so jump has shape {jump.shape}, exactly incept2's output, and `x = x + jump` before
        flattening.
    """)
    lesson.check("004's 9x9 jump matches incept2's output", jump.shape, (1, 88, 4, 4))
    with tg.watch():
        xi = tg.randn(2, 10, 12, 12, requires_grad=True)
        xi.name = "x"
        out = block(xi).sum()
        out.name = "sum"
        out.backward()
    lesson.picture(visualize.draw(out, collapse="module", title="InceptionA: four branches, concatenated (Cat)"),
                   "09_inception", "one box per convolution; the branches meet in Cat")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. The networks of note 002: AlexNet, VGG, GoogLeNet, ResNet")
    lesson.say("""
        Note 002 (*CNN 영상 분류*) walks through the ImageNet (ILSVRC) winners. Each added one idea; depth grew from
        8 layers to 152 while the parameter count did **not** grow with it. The counts below are computed from
        each network's layer list (`lessons/cnn_zoo.py`: a conv layer has C_out * C_in * K * K weights plus
        C_out biases, a Linear D * M plus M), for 224x224 colour images and 1000 classes.
    """)
    depth = cnn_zoo.layers_with_weights()
    counts = {"AlexNet": cnn_zoo.alexnet(), "VGG-19": cnn_zoo.vgg19(), "ResNet-152": cnn_zoo.resnet152()}
    lesson.table("layers with weights, parameters, and the idea each introduced", ["network", "year", "layers",
                                                                                  "parameters", "the idea"], [
        ("AlexNet", "2012", depth["AlexNet"], f"{counts['AlexNet']:,}",
         "a big CNN trained on GPUs: ReLU, dropout (16.4 % error, 002)"),
        ("VGG-19", "2014", depth["VGG-19"], f"{counts['VGG-19']:,}",
         "only 3x3 filters, stacked deep (lesson 6: two 3x3 see 5x5)"),
        ("GoogLeNet", "2014", depth["GoogLeNet"], "about 6.8 million (its paper)",
         "Inception modules, 1x1 reductions (section 2)"),
        ("ResNet-152", "2015", depth["ResNet-152"], f"{counts['ResNet-152']:,}",
         "residual connections y = F(x) + x (sections 4 and 5)")])
    lesson.say("""
        Most of AlexNet's and VGG's parameters sit in their first fully connected layer (VGG: `25,088 x 4,096`,
        about 103 million of its 144 million). GoogLeNet and ResNet end with a global average pool and one
        small Linear, so ResNet-152, nineteen times deeper than AlexNet, has about as many parameters.
    """)
    lesson.check("AlexNet: 8 layers, 61,100,840 parameters (as torchvision's)", [depth["AlexNet"], counts["AlexNet"]],
                 [8, 61_100_840])
    lesson.check("VGG-19: 19 layers, 143,667,240 parameters", [depth["VGG-19"], counts["VGG-19"]], [19, 143_667_240])
    lesson.check("ResNet-152: 152 layers, 60,192,808 parameters", [depth["ResNet-152"], counts["ResNet-152"]],
                 [152, 60_192_808])
    lesson.check("VGG-19's first FC layer holds most of its weights", 25_088 * 4_096 / counts["VGG-19"] > 0.7, True)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. Residual connections keep the gradient alive")
    lesson.say(f"""
        A residual block adds its input to its output through a shortcut (잔차 연결, residual connection):
        `out = F(x) + x` (then ReLU, as in 004). Its backward
        pass gets `dL/dx = dL/dout * (dF/dx + 1)`: the `+ 1` is a path on which the gradient passes
        unchanged, however small `dF/dx` has become. A plain block has only the `dF/dx` path, and the
        product of many small factors vanishes (기울기 소실, the vanishing gradient of lesson 5).

        Experiment: a stem convolution, {DEPTH} blocks of two 3x3 convolutions ({2 * DEPTH} conv layers, PyTorch's
        default initialisation) and a classifier; once plain, once with the shortcuts. One backward pass on 64
        digits; the gradient norm at each layer:
    """)
    data = digits(lesson)
    if data is not None:
        X_train, y_train, X_test, y_test = data
        X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)   # (N, 1, 8, 8)
        xb, yb = tg.Tensor(X_train[:64]), y_train[:64]
    else:                                                                    # the experiment works on any input
        xb, yb = tg.rand(64, 1, 8, 8), np.arange(64) % 10
    norms = {}
    for skip in (False, True):
        tg.manual_seed(0)                                                    # the same weights for both nets
        deep = DeepNet(DEPTH, skip)
        with tg.watch():                                                     # keep every gradient for the picture
            loss = F.cross_entropy(deep(xb), yb)
            loss.backward()
        kind = "residual" if skip else "plain"
        lesson.picture(visualize.draw(loss, collapse=2, rankdir="TB", title=f"{kind}: one box per block, colored "
                                      "by gradient size"), f"09_{kind}_gradients",
                       f"the {kind} net's gradients, input at the top" + ("" if skip else ": they fade to 1e-10"))
        norms[skip] = {name: float(np.linalg.norm(p.grad.numpy()))
                       for name, p in deep.named_parameters() if name.endswith("weight")}
    shown = ["stem.weight", "blocks.0.conv1.weight", f"blocks.{DEPTH // 2}.conv1.weight",
             f"blocks.{DEPTH - 1}.conv2.weight", "fc.weight"]
    lesson.table("‖dL/dW‖ per layer, input side first", ["layer", "plain", "residual"],
                 [(name, f"{norms[False][name]:.2e}", f"{norms[True][name]:.2e}") for name in shown])
    first_plain, first_residual = norms[False]["stem.weight"], norms[True]["stem.weight"]
    lesson.say(f"""
        At the first layer the plain net's gradient is {first_plain:.1e}: nothing left to learn from. With the
        shortcuts it is {first_residual:.1e}, about the size it has in the last blocks. That is what made networks of
        100+ layers trainable (ResNet, 002).
    """)
    lesson.check("plain net: the first layer's gradient has vanished (< 1e-6)", first_plain < 1e-6, True)
    lesson.check("residual net: the first layer's gradient is alive (> 1e-2)", first_residual > 1e-2, True)
    lesson.check("residual / plain at the first layer > 10^4", first_residual > 1e4 * first_plain, True)
    with tg.watch():
        tg.manual_seed(0)
        small = DeepNet(2, skip=True)
        loss = F.cross_entropy(small(xb[:8]), yb[:8])
        loss.name = "loss"
        loss.backward()
    lesson.picture(visualize.draw(loss, rankdir="TB", title="two residual blocks: each Add is a shortcut"),
                   "09_residual", "blocks.k: conv1 -> ReLU -> conv2, then Add with the block's input (the skip)")

    # ------------------------------------------------------------------------------------------------
    lesson.section("5. The degradation problem: deeper is not better (004)")
    steps = 40 if lesson.fast else TRAIN_STEPS
    lesson.say(f"""
        004 (*Problems with stacking layers*) lists three problems of deep plain stacks: vanishing gradients,
        backpropagation that "gives up", and the **degradation problem** (성능 저하 문제): "with increased network
        depth accuracy gets saturated and then rapidly degrades" - and not from overfitting: the deeper net's
        *training* loss is the higher one. (Odd: a deeper net could copy the shallow one and make its extra
        layers the identity; the optimiser does not find that.) A residual block makes the identity the easy
        answer: `F(x) = 0` gives `out = x`.

        Experiment: three nets, trained the same way ({steps} Adam steps, lr 2e-3, batches of 32, on 512
        training digits): a plain net with 2 blocks, a plain net with {TRAIN_DEPTH} blocks, and its residual
        twin (the same layers, the same initial weights, plus the shortcuts). The training loss on the 512:
    """)
    if data is not None:
        X_fit, y_fit = X_train[:512], y_train[:512]
    else:
        X_fit, y_fit = xb.numpy(), yb
    curves, trained = {}, {}
    for name, depth, skip in (("plain, 2 blocks", 2, False), (f"plain, {TRAIN_DEPTH} blocks", TRAIN_DEPTH, False),
                              (f"residual, {TRAIN_DEPTH} blocks", TRAIN_DEPTH, True)):
        tg.manual_seed(0)
        curves[name], trained[name] = train_steps(DeepNet(depth, skip), X_fit, y_fit, steps, lr=2e-3)
    lesson.table("training loss (cross-entropy; log 10 = 2.303 is a uniform guess)",
                 ["net", "conv layers", "after 1 step", f"after {steps // 2}", f"after {steps} (all 512)"],
                 [(name, 1 + 2 * int(name.split(", ")[1].split()[0]), c[0], c[steps // 2 - 1], trained[name])
                  for name, c in curves.items()])
    plain_shallow, plain_deep, residual_deep = trained.values()
    lesson.chart(charts.line_chart({name: list(enumerate(c, 1)) for name, c in curves.items()}, xlabel="step",
                                   title="training loss per step: plain vs residual",
                                   ylabel="training loss (log scale)"),
                 "09_degradation", "one line per net: the deep plain one stays flat at 2.3")
    lesson.say(f"""
        The deep plain net ends at {plain_deep:.3f}, the shallow plain one at {plain_shallow:.3f}: more layers, a
        **worse** training loss. Its residual twin ends at {residual_deep:.3f}. Without batch norm (as here) the deep
        plain net's gradient has also vanished (section 4), so it barely moves; He et al. (2016) saw the
        degradation even with batch norm keeping the gradients alive: a deep plain net is hard to *optimise*,
        not only short of gradient.
    """)
    lesson.check(f"degradation: the plain net with {TRAIN_DEPTH} blocks trains worse than with 2",
                 plain_deep > plain_shallow, True)
    lesson.check("its residual twin ends lower than the deep plain net", residual_deep < plain_deep, True)
    lesson.check("the residual twin ends below half the deep plain net's loss", residual_deep < 0.5 * plain_deep, True)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("6. DenseNet: concatenate instead of add (004)")
    k, layers, c0 = GROWTH_RATE, 5, 8
    lesson.say(f"""
        004 ends with DenseNet's figure: "a 5-layer dense block with a growth rate of k = 4. Each layer takes all
        preceding feature-maps as input." Where ResNet **adds** a block's input to its output (the channels stay
        the same and the two are mixed), DenseNet **concatenates** (tg.cat along the channels): every layer sees
        the untouched outputs of all earlier layers and adds only k new channels (the growth rate), so each
        layer can stay thin. With C0 = {c0} input channels, layer l reads `C0 + (l - 1) k` channels, and the
        block returns `C0 + {layers} k = {c0 + layers * k}`.
    """)
    tg.manual_seed(0)
    dense = DenseBlock(c0, k, layers)
    x_dense = tg.randn(1, c0, 8, 8)                                                     # (N, C0, H, W)
    with tg.no_grad():
        inputs_seen, feats = [], x_dense
        for conv in dense.layers:
            inputs_seen.append(feats.shape[1])
            feats = tg.cat([feats, F.relu(conv(feats))], dim=1)
        y_dense = dense(x_dense)
        residual_block = Block(c0)
        y_added = residual_block(x_dense)
    dense_params = sum(p.numel() for p in dense.parameters())
    by_formula = sum(k * (c0 + l * k) * 9 + k for l in range(layers))
    lesson.table(f"a dense block, C0 = {c0}, k = {k}, {layers} layers (3x3 convs)", ["layer", "channels in",
                                                                                   "channels out", "weights"],
                 [(l + 1, c_in, k, k * c_in * 9 + k) for l, c_in in enumerate(inputs_seen)]
                 + [("block", c0, y_dense.shape[1], dense_params)])
    lesson.check("layer l reads C0 + (l - 1) k channels: 8, 12, 16, 20, 24", inputs_seen,
                 [c0 + l * k for l in range(layers)])
    lesson.check("the block's output: C0 + 5 k = 28 channels, same height and width", y_dense.shape, (1, 28, 8, 8))
    lesson.check("its parameters: sum over l of k (C0 + (l - 1) k) 9 + k", dense_params, by_formula)
    lesson.check("concatenation keeps the input untouched in the first C0 channels",
                 np.abs(y_dense.numpy()[:, :c0] - x_dense.numpy()).max(), 0.0)
    lesson.check("addition (a residual block) keeps C0 channels, the input mixed in", y_added.shape, (1, c0, 8, 8))
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("7. A small residual network on the digits")
    if data is None:
        return
    lesson.say(f"""
        004's residual network, shrunk for 8x8 digits: conv 3x3 (16) -> residual block -> pool -> conv 3x3 (32)
        -> residual block -> pool -> Linear(128, 10). Adam, learning rate {LEARNING_RATE:g}, divided by 10 for
        the last 40 % of the epochs, batches of {BATCH_SIZE}.
    """)
    epochs = 3 if lesson.fast else EPOCHS
    tg.manual_seed(0)
    model = ResNet()
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=BATCH_SIZE, shuffle=True, seed=0)
    history = []
    with progress(lesson, "ResNet", total=epochs) as advance:
        for epoch in range(epochs):
            if epoch == int(0.6 * epochs):                                   # learning-rate step
                for group in optimizer.param_groups:
                    group["lr"] = LEARNING_RATE / 10
            for xb, yb in loader:
                loss = F.cross_entropy(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            with tg.no_grad():
                accuracy = float((model(tg.Tensor(X_test)).numpy().argmax(axis=1) == y_test).mean())
            history.append((epoch + 1, loss.item(), accuracy))
            advance(loss=loss.item(), acc=accuracy)
    lesson.table("training (accuracy on the held-out quarter)", ["epoch", "last batch loss", "test accuracy"],
                 history[-5:])
    final = history[-1][2]
    lesson.say(f"Held-out accuracy after {epochs} epochs: **{final:.1%}** on {len(y_test)} digits "
               f"({sum(p.numel() for p in model.parameters()):,} parameters).")
    lesson.check_at_least("held-out accuracy (residual net; the bar is 80 % in --fast)", final,
                          0.80 if lesson.fast else 0.97)

    lesson.recap(
        "Count a convolution's weights and multiplies, and shrink them with a 1x1 reduction; say why a ReLU after "
        "a 1x1 conv adds a nonlinearity two linear 1x1 convs cannot.",
        "Place AlexNet, VGG, GoogLeNet and ResNet by depth, parameters and the idea each introduced; build "
        "an Inception or dense block (concatenation) and a residual block (addition) and predict their shapes.",
        "Show the degradation problem and the vanishing gradient of a deep plain net, and how a shortcut "
        "y = F(x) + x fixes both.")

    lesson.now_you(9, [
        ("DEPTH = 3", "",
         "six conv layers are not deep enough to lose the gradient: the plain net's first layer still gets about "
         "2e-4, and the check 'has vanished (< 1e-6)' stops the lesson"),
        ("DEPTH = 20", "",
         "forty conv layers: the plain net's first-layer gradient is about 1e-18, the residual net's still about "
         "0.2; every check passes (the run takes longer)"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
