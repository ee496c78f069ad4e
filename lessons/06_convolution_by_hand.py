"""Lesson 6: convolution by hand - 1-D and 2-D, output sizes, padding, stride, dilation, transposed, parameters

Follows notes 001 (1-D convolution by hand, why images need convolution, parameter sharing, padding, receptive
field, dilation, stride), 003 (the 2-D worked examples, the vertical-edge filter, the output-size formula,
channels and parameter counts, small filters) and 000 (the conv layer's arguments: padding, stride, dilation,
transposed convolution). Every number the notes compute is computed
again here and checked; the one the notes refuse to compute ("Cannot.") is computed the way PyTorch does it.

Run it:   tinygrad-edu lesson 6 [--step] [--out out]     (or: python lessons/06_convolution_by_hand.py --out out)
"""

import warnings

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

NOTES = "001, 003, 000"
RUN_TIME = "1 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

X4 = np.array([[1, 2, 3, 0],                 # 003's 4x4 input
               [0, 1, 2, 3],
               [3, 0, 1, 2],
               [2, 3, 0, 1]], dtype=float)
FILTER = np.array([[2, 0, 1],                # 003's 3x3 filter, used in every 2-D example
                   [0, 1, 2],
                   [1, 0, 2]], dtype=float)
DEPTHS = (1, 2, 3)           # section 8: how many stacked 3x3 layers each row of the receptive-field table has


def output_size(size, kernel, padding=0, stride=1, dilation=1):
    """OH = (H + 2P - D(F-1) - 1)/S + 1: the formula of 003 (with D = 1 it is (H + 2P - F)/S + 1), unrounded."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1


def grid(a):
    """A matrix as text, its rows lined up inside an indented lesson.show body."""
    return np.array2string(np.asarray(a), precision=4, suppress_small=True).replace("\n", "\n        ")


def image(values):
    """(H, W) numbers -> a (1, 1, H, W) Tensor: one sample, one channel, as conv2d wants it."""
    return tg.Tensor(np.asarray(values, dtype=float)[None, None])


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. 1-D: true convolution and cross-correlation (001)")
    lesson.say("""
        Note 001 (*Convolution이란?*: "우리말로 '합성곱'") convolves `f = [3, 1, 2]` with `g = [3, 2, 1]` by hand.
        The mathematician's convolution (합성곱)
        **flips** g and slides it along f: `(f*g)[n] = sum_k f[k] g[n-k]`. Deep learning's "convolution"
        (conv1d, conv2d) slides g **without** flipping it: that is cross-correlation. With learned filters
        the difference does not matter (the network learns the flipped filter), but by hand the answers differ.
    """)
    f = np.array([3.0, 1.0, 2.0])
    g = np.array([3.0, 2.0, 1.0])
    signal = tg.Tensor(f.reshape(1, 1, 3))                          # (N=1, C=1, L=3)
    g_flipped = tg.Tensor(g[::-1].copy().reshape(1, 1, 3))          # the flip makes it a true convolution
    g_as_is = tg.Tensor(g.reshape(1, 1, 3))
    true_conv = F.conv1d(signal, g_flipped, padding=2).numpy().ravel()   # padding F-1 = 2: every overlap ("full")
    cross = F.conv1d(signal, g_as_is, padding=2).numpy().ravel()
    lesson.show("slide g along f (zeros outside)", f"""
        true convolution, g flipped to [1, 2, 3]:
          n=0: 3*3             = 9
          n=1: 3*2 + 1*3       = 9
          n=2: 3*1 + 1*2 + 2*3 = 11
          n=3: 1*1 + 2*2       = 5
          n=4: 2*1             = 2
          f * g = {true_conv.astype(int).tolist()}   (numpy.convolve agrees: {np.convolve(f, g).astype(int).tolist()})
        cross-correlation, g as it is [3, 2, 1]:
          f (x) g = {cross.astype(int).tolist()}""")
    lesson.check("true convolution f*g (001)", true_conv, [9, 9, 11, 5, 2])
    lesson.check("numpy.convolve gives the same", np.convolve(f, g), [9, 9, 11, 5, 2])
    lesson.check("cross-correlation (what conv1d computes) is different", cross, [3, 7, 13, 7, 6])

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. 2-D, padding 1, stride 1 (003)")
    lesson.say("""
        In 2-D the filter slides over rows and columns; each output is the sum of the 9 products of the
        filter with the window under it. Padding 1 puts a ring of zeros around the 4x4 input, so the 3x3
        filter fits 4x4 times and the output keeps the input's size.
    """)
    out = F.conv2d(image(X4), image(FILTER), padding=1).numpy()[0, 0]      # (1, 1, 4, 4) -> (4, 4)
    padded = np.pad(X4, 1)                                                 # (6, 6): the zero ring
    corner = padded[:3, :3]
    products = " + ".join(f"{a:g}*{b:g}" for a, b in zip(corner.ravel(), FILTER.ravel()))
    lesson.show("the top-left output by hand", f"""
        input (4x4):
        {grid(X4)}
        filter (3x3):
        {grid(FILTER)}

        window (zeros from the padding)   filter
        {corner[0]}                      {FILTER[0]}
        {corner[1]}                      {FILTER[1]}
        {corner[2]}                      {FILTER[2]}
        sum of the products: {products} = {(corner * FILTER).sum():g}

        the whole output:
        {grid(out)}""")
    lesson.check("4x4 input, padding 1 -> 4x4 output (003)", out,
                 [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]])

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. Why convolution for images: local connectivity and parameter sharing (001, 003)")
    lesson.say("""
        003 (*큰 그림 : 컨볼루션은 ...*, "컨볼루션 필터 : 이미지의 특징을 추출할 수 있다") slides a **vertical-edge
        filter** (수직 에지를 찾는 컨볼루션 필터) over a 6x6 image whose left half is 0 and right half 100. Each
        output is (right column - left column) of its window, summed over 3 rows: 0 on flat ground, `3 * 100 =
        300` where the window straddles the edge. The 4x4 **feature map** (특징 맵) is bright exactly on the edge.
    """)
    edge_image = np.zeros((6, 6))
    edge_image[:, 3:] = 100.0                                              # left half 0, right half 100
    edge_filter = np.array([[-1, 0, 1]] * 3, dtype=float)                  # 003's vertical-edge filter
    edges = F.conv2d(image(edge_image), image(edge_filter)).numpy()[0, 0]  # (4, 4)
    lesson.show("003's vertical edge: 6x6 image, 3x3 filter -> 4x4 feature map", f"""
        image:
        {grid(edge_image)}
        filter:
        {grid(edge_filter)}
        feature map (every row 0, 300, 300, 0):
        {grid(edges)}""")
    lesson.check("the edge filter's feature map, row 1: 0, 300, 300, 0 (003)", edges[0], [0, 300, 300, 0])
    lesson.check("and every row the same", bool(np.all(edges == edges[0])), True)
    lesson.say("""
        001 (*이미지 처리에서 ANN을 쓰기 어려운 이유*, *Paramter sharing*) says why a fully connected (FC) layer is a
        poor fit for images, and convolution (합성곱) a good one. Two ideas:

        - **local connectivity**: an edge is decided by a few neighbouring pixels, so each output looks at a small
          window (FH x FW x C inputs), not at all H x W x C pixels;
        - **parameter sharing** (파라미터 공유): an edge looks the same anywhere in the image, so every position uses
          the **same** filter ("filter를 여기저기 돌아가며 쓰기 때문에 파라미터를 줄여줌", 001).

        Count the weights for one layer from a 32x32x3 image to ten 32x32 feature maps (5x5 filters, padding
        2), going from an FC layer to a convolution one idea at a time:
    """)
    h = w = 32
    c_in, c_out, k = 3, 10, 5
    fc_weights = (h * w * c_in) * (h * w * c_out) + h * w * c_out          # every input to every output
    local_weights = (h * w * c_out) * (k * k * c_in + 1)                    # a window each, no sharing
    conv_weights = c_out * (k * k * c_in + 1)                               # one filter per map, shared
    lesson.table("32x32x3 -> 32x32x10, weights + biases", ["layer", "each output sees", "parameters"], [
        ("fully connected", "all 3,072 inputs", f"{fc_weights:,}"),
        ("locally connected (no sharing)", "a 5x5x3 window", f"{local_weights:,}"),
        ("convolution (sharing too)", "a 5x5x3 window, the same filter", f"{conv_weights:,}")])
    small_fc = nn.Linear(8 * 8 * 1, 8 * 8 * 4)                              # the same count on a small image,
    small_conv = nn.Conv2d(1, 4, 3, padding=1)                              # from real modules: 8x8x1 -> 8x8x4
    lesson.check("FC parameters on the 32x32x3 image: 3072 * 10240 + 10240", fc_weights, 31_457_280 + 10_240)
    lesson.check("convolution: 10 * (5*5*3 + 1) = 760, about 41,000 times fewer", [conv_weights, fc_weights // 760],
                 [760, 41_404])
    lesson.check("real modules on an 8x8 image (8x8x1 -> 8x8x4): FC 16,640, conv 3x3 40",
                 [sum(p.numel() for p in small_fc.parameters()), sum(p.numel() for p in small_conv.parameters())],
                 [64 * 256 + 256, 4 * 9 + 4])
    lesson.say("""
        The price of those assumptions: a convolution needs neighbouring pixels to belong together. Lesson 8
        shuffles the pixels of the digits with one fixed permutation: an FC net does not notice (exactly the same
        accuracy), the CNN does.
    """)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. 2-D, no padding, stride 2 (003)")
    lesson.say("""
        003's 7x7 input repeats the rows of the 4x4 one (each row is the previous one shifted right by one).
        With stride 2 the filter jumps two pixels at a time: `(7 - 3)/2 + 1 = 3` positions per axis.
    """)
    x7 = np.fromfunction(lambda i, j: (1 + j - i) % 4, (7, 7))           # rows [1,2,3,0,1,2,3], [0,1,2,3,0,1,2], ...
    out7 = F.conv2d(image(x7), image(FILTER), stride=2).numpy()[0, 0]
    lesson.show("7x7 input, 3x3 filter, stride 2", f"""
        input:
        {grid(x7)}
        output (3, 3):
        {grid(out7)}""")
    lesson.check("7x7, stride 2 -> 3x3", out7.shape, (3, 3))
    lesson.check("its first row starts 15, 17 (003)", out7[0, :2], [15, 17])

    # ------------------------------------------------------------------------------------------------
    lesson.section("5. The output size, and when it is not an integer")
    lesson.say("""
        003's formula: `OH = (H + 2P - FH)/S + 1`, the same for the width. When the division is not exact
        the filter does not fit a whole number of times. The notes say: **"Cannot."** (raise an error or handle
        it). PyTorch, and this engine, **floor** it: the last rows/columns the filter cannot reach are dropped.
        We warn once when that happens, naming what was dropped.
    """)
    lesson.ask("a (28, 31) input, padding 2, stride 3, a 5x5 filter: how many output rows, OH?",
               (28 + 2 * 2 - 5) // 3 + 1, 0, "OH = (28 + 2*2 - 5)/3 + 1 = 27/3 + 1 = 10")
    cases = [((4, 4), 1, 1, 3), ((7, 7), 0, 2, 3), ((7, 7), 0, 3, 3), ((28, 31), 2, 3, 5)]   # (H, W), P, S, F
    rows, shapes = [], {}
    for (h, w), p, s, k in cases:
        exact = (output_size(h, k, p, s), output_size(w, k, p, s))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = F.conv2d(tg.zeros(1, 1, h, w), tg.zeros(1, 1, k, k), padding=p, stride=s).shape[2:]
        shapes[(h, w, p, s, k)] = got
        said = "floored, warned" if caught else ("floored" if exact != got else "exact")
        rows.append((f"({h},{w})", p, s, k, f"({exact[0]:.4g}, {exact[1]:.4g})", str(tuple(got)), said))
        for warning in caught:
            lesson.console.print(f"[yellow]warning:[/yellow] {warning.message}")
    lesson.table("OH = (H + 2P - F)/S + 1", ["input", "P", "S", "F", "formula", "conv2d gives", ""], rows)
    lesson.erratum("""
        for (7,7), S3, F3 the notes stop at "Cannot." since `(7 - 3)/3 + 1 = 7/3` is not an
        integer; PyTorch floors it to 2 and silently ignores the last row and column. The fix in a real design:
        pad (P = 1 gives `(7 + 2 - 3)/3 + 1 = 3` exactly) or choose another stride.
    """)
    lesson.check("(4,4), P1, S1, F3 -> 4", shapes[(4, 4, 1, 1, 3)], (4, 4))
    lesson.check("(7,7), P0, S2, F3 -> 3", shapes[(7, 7, 0, 2, 3)], (3, 3))
    lesson.check("(7,7), S3, F3: 7/3 is not an integer; floored to 2", shapes[(7, 7, 0, 3, 3)], (2, 2))
    lesson.check("(28,31), P2, S3, F5 -> (10, 11)", shapes[(28, 31, 2, 3, 5)], (10, 11))
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("6. Padding, stride and dilation (001, 000)")
    lesson.say("""
        - **padding** (패딩) P adds zeros around the input: `P = (F - 1)/2` with stride 1 keeps the size ("same").
        - **stride** (스트라이드) S skips positions: the output shrinks about S times per axis.
        - **dilation** (팽창) D spreads the filter's taps D pixels apart: a 3x3 filter with D = 2 covers 5x5.
          The effective filter size is `D(F - 1) + 1`; a dilated filter is the ordinary filter with zeros
          between its taps.
    """)
    dilation = 2
    effective = dilation * (3 - 1) + 1                                     # 5
    spread = np.zeros((effective, effective))
    spread[::dilation, ::dilation] = FILTER                                # the filter's taps, zeros between
    dilated = F.conv2d(image(x7), image(FILTER), dilation=dilation).numpy()[0, 0]
    with_zeros = F.conv2d(image(x7), image(spread)).numpy()[0, 0]
    lesson.show("a 3x3 filter with dilation 2 is a 5x5 filter with holes", f"""
        effective size D(F-1)+1 = {dilation}*(3-1)+1 = {effective}
        {grid(spread)}
        on the 7x7 input: output {dilated.shape} (formula: (7 - 5)/1 + 1 = 3)
        {grid(dilated)}""")
    lesson.check("effective size of a 3x3 filter with dilation 2", effective, 5)
    lesson.check("dilated conv = conv with the zero-spread filter", dilated, with_zeros)
    lesson.check("same padding: 7x7, F3, P1, S1 keeps 7x7", F.conv2d(image(x7), image(FILTER), padding=1).shape[2:],
                 (7, 7))

    # ------------------------------------------------------------------------------------------------
    lesson.section("7. Transposed convolution (000)")
    lesson.say("""
        A transposed convolution (전치 합성곱) goes the other way: from a small map to a large one
        (decoders, upsampling).
        Each input pixel **stamps** a copy of the filter, scaled by its value, into the output, S pixels apart;
        overlapping stamps add up. Its size: `(H - 1) S - 2P + D(F - 1) + 1 + output_padding`.
        It is exactly the backward pass of the convolution with the same filter (hence "transposed": the
        convolution is a matrix product `y = C x`, and this is `C^T y`).
    """)
    small = np.array([[1.0, 2.0], [3.0, 4.0]])
    up = F.conv_transpose2d(image(small), image(FILTER), stride=2).numpy()[0, 0]       # (2-1)*2 + 3 = 5
    lesson.show("a 2x2 map, the 3x3 filter, stride 2 -> 5x5", f"""
        {grid(up)}
        (the centre pixel, 1*2 + 2*1 + 3*1 + 4*2 = {up[2, 2]:g}, is where all four stamps overlap)""")
    xg = tg.Tensor(np.zeros((1, 1, 5, 5)), requires_grad=True)
    F.conv2d(xg, image(FILTER), stride=2).backward(small[None, None])                 # dL/dy = the small map
    lesson.check("transposed conv output size (2-1)*2 + 3 = 5", up.shape, (5, 5))
    lesson.check("the centre: four stamps overlap", up[2, 2], 1 * 2 + 2 * 1 + 3 * 1 + 4 * 2)
    lesson.check("conv_transpose2d = the gradient of conv2d with respect to its input", up, xg.grad.numpy()[0, 0])

    # ------------------------------------------------------------------------------------------------
    lesson.section("8. Receptive field (수용 영역): depth, stride and pooling (003, 001)")
    lesson.say("""
        The **receptive field** (수용 영역) of an output is the patch of the input it depends on. Ask autograd:
        backpropagate from one output pixel and see which input pixels get a nonzero gradient. One 3x3 layer
        sees 3x3; two stacked see 5x5; three see 7x7. Small filters stacked see as far as one big filter
        with fewer weights (and more nonlinearities in between): 003's argument for VGG-style 3x3 stacks.
    """)
    rows = []
    fields = {}
    for depth in DEPTHS:
        big = 2 * depth + 1                                                # one filter that sees as far
        stack = nn.Sequential(*[nn.Conv2d(1, 1, 3, bias=False) for _ in range(depth)])
        for layer in stack:
            nn.init.ones_(layer.weight)                                   # positive weights: no accidental zeros
        size = max(9, 2 * depth + 3)                                      # room for the deepest stack
        x = tg.zeros(1, 1, size, size, requires_grad=True)
        y = stack(x)                                                       # (1, 1, size - 2*depth, ...)
        centre = y.shape[2] // 2
        y[0, 0, centre, centre].backward()
        seen = np.argwhere(x.grad.numpy()[0, 0] != 0)
        field = tuple(int(v) for v in seen.max(0) - seen.min(0) + 1)
        weights = sum(p.numel() for p in stack.parameters())
        fields[depth] = (field, weights, big * big)
        rows.append((f"{depth} x 3x3", f"{field[0]}x{field[1]}", weights, f"one {big}x{big}", big * big))
    lesson.table("stacked 3x3 filters vs one big filter (one channel, no bias)",
                 ["layers", "receptive field", "weights", "same field with", "weights"], rows)
    lesson.check("two 3x3 layers: a 5x5 field with 18 weights instead of 25", [*fields[2][0], *fields[2][1:]],
                 [5, 5, 18, 25])
    lesson.check("three 3x3 layers: a 7x7 field with 27 weights instead of 49", [*fields[3][0], *fields[3][1:]],
                 [7, 7, 27, 49])

    lesson.erratum("""
        001 (*Receptive Field (수용 영역)*) says that in machine learning the receptive field is "filter의 크기" -
        the filter size. That holds for the first layer only. It is the input region one output value depends on,
        and it grows with every layer: 001's own list of ways to grow it has deeper layers and dilation, and
        **stride** and **pooling** ("이미지의 크기를 줄인다"). After a stride-2 layer or a 2x2 pool every later
        step on the feature map is 2 pixels of the input, so a later 3x3 filter adds `2 * (3 - 1) = 4` pixels,
        not 2. The rule, layer by layer: `r = r_prev + (F - 1) * j_prev`, `j = j_prev * S` (j: the input pixels
        between two neighbouring outputs). Measured by autograd below (an average pool stands for the pool: a
        max pool has the same field, but sends the gradient to one pixel per window only).
    """)
    stacks = {"3 x conv 3x3, stride 1": [("conv", 3, 1)] * 3,
              "conv 3x3 stride 2, then 2 x conv 3x3": [("conv", 3, 2), ("conv", 3, 1), ("conv", 3, 1)],
              "conv 3x3, pool 2x2, 2 x conv 3x3": [("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1), ("conv", 3, 1)]}
    rows, measured = [], {}
    for name, layers in stacks.items():
        size_in = 41 if ("conv", 3, 2) in layers else 40                     # every division exact: no flooring
        x = tg.zeros(1, 1, size_in, size_in, requires_grad=True)
        y, r, j = x, 1, 1
        for kind, size, stride in layers:
            if kind == "conv":
                y = F.conv2d(y, tg.ones(1, 1, size, size), stride=stride)   # positive weights: no accidental zeros
            else:
                y = F.avg_pool2d(y, size, stride=stride)
            r, j = r + (size - 1) * j, j * stride                             # the rule above
        centre = y.shape[2] // 2
        y[0, 0, centre, centre].backward()
        seen = np.argwhere(x.grad.numpy()[0, 0] != 0)
        measured[name] = int((seen.max(0) - seen.min(0) + 1)[0])
        rows.append((name, measured[name], r, j))
    lesson.table("receptive field of one output, three layers of 3x3 filters each", ["stack", "measured (autograd)",
                                                                                      "rule", "step j"], rows)
    lesson.check("three 3x3 layers, stride 1: 7x7; with a stride-2 first layer: 11x11; with a 2x2 pool: 12x12",
                 list(measured.values()), [7, 11, 12])

    # ------------------------------------------------------------------------------------------------
    lesson.section("9. Channels and parameter counts (003)")
    lesson.say("""
        A filter (필터) spans **all** input channels (채널): on a 32x32x3 image a 5x5 filter has `5*5*3 = 75`
        weights plus
        one bias. Ten filters make ten output channels: `10 * 76 = 760` parameters, whatever the image size
        (weights are shared across positions). PyTorch stores them as weight (out, in, FH, FW) and bias (out,).
    """)
    layer = nn.Conv2d(3, 10, 5, padding=2)                                 # 3 -> 10 channels, 5x5 filters
    counts = {name: p.numel() for name, p in layer.named_parameters()}
    image32 = tg.randn(1, 3, 32, 32)                                       # (N, C, H, W)
    lesson.show("nn.Conv2d(3, 10, 5, padding=2) on a 32x32x3 image", f"""
        weight {tuple(layer.weight.shape)}: {counts['weight']}     bias {tuple(layer.bias.shape)}: {counts['bias']}
        total: (5*5*3 + 1) * 10 = {sum(counts.values())}
        output: {tuple(layer(image32).shape)}  (padding 2 keeps 32x32)""")
    lesson.check("parameters of ten 5x5 filters on 3 channels (003)", sum(counts.values()), 760)

    # ------------------------------------------------------------------------------------------------
    lesson.section("10. A tiny convolution in scalar mode, every multiply and add a node")
    lesson.say("""
        In scalar mode conv2d records the very multiply-adds we did by hand. A 3x3 input and a 2x2 filter give
        a 2x2 output, 4 products and 3 sums each; the loss adds the four outputs. Its gradients equal tensor
        mode's: `dL/dw` is the sum of the input windows, `dL/dx` counts how many windows use each pixel
        times the filter taps.
    """)
    tiny_x = X4[:3, :3]                                                    # (3, 3) corner of the 4x4 input
    tiny_w = FILTER[:2, :2]                                                # (2, 2) corner of the filter
    xs = tg.Scalar.array(tiny_x[None, None], "x")                          # Scalars x11 .. x33
    ws = tg.Scalar.array(tiny_w[None, None], "w")                          # w11 .. w22
    ys = F.conv2d(xs, ws)                                                  # (1, 1, 2, 2) array of Scalars
    loss = ys[0, 0, 0, 0] + ys[0, 0, 0, 1] + ys[0, 0, 1, 0] + ys[0, 0, 1, 1]
    loss.name = "L"
    loss.backward()
    X = tg.Tensor(tiny_x[None, None], dtype=np.float64, requires_grad=True)
    W = tg.Tensor(tiny_w[None, None], dtype=np.float64, requires_grad=True)
    F.conv2d(X, W).sum().backward()
    lesson.show("scalar mode", f"""
        y:
        {grid(tg.Scalar.values(ys)[0, 0])}
        dL/dw (the sum of the four 2x2 windows):
        {grid(tg.Scalar.grads(ws)[0, 0])}
        dL/dx:
        {grid(tg.Scalar.grads(xs)[0, 0])}""")
    lesson.check("scalar-mode dL/dw equals tensor mode's", tg.Scalar.grads(ws), W.grad.numpy())
    lesson.check("scalar-mode dL/dx equals tensor mode's", tg.Scalar.grads(xs), X.grad.numpy())
    for (i, j), y in np.ndenumerate(ys[0, 0]):                            # y11 .. y22: named in the pictures
        y.name = f"y{i + 1}{j + 1}"
    first = ys[0, 0, 0, 0]
    lesson.picture(visualize.draw(first, title="y11 = x11*w11 + x12*w12 + x21*w21 + x22*w22"), "06_conv_one_output",
                   "one output: four products, three sums (the gradients shown are dL/d. of the whole loss L)")
    lesson.picture(visualize.draw(loss, title="a 2x2 filter on a 3x3 input in scalar mode"), "06_conv_scalar",
                   "the 16 products and 12 sums of a tiny convolution (outputs y11 .. y22), with their "
                   "gradients: each weight feeds all four outputs")
    big = F.conv2d(tg.Scalar.array(X4[None, None], "x"), tg.Scalar.array(FILTER[None, None], "w"), padding=1)
    lesson.check("the 4x4 example in scalar mode gives the same output", tg.Scalar.values(big)[0, 0], out)
    lesson.say("(The 4x4 example in scalar mode has 16 * 9 = 144 products: too many to draw, same numbers.)")

    lesson.recap(
        "Convolve by hand in 1-D and 2-D, with padding, stride and dilation, and predict the output size "
        "(floored when the filter does not fit).",
        "Say why images call for convolution: local connectivity and parameter sharing (760 parameters "
        "instead of 31 million), and what a filter such as 003's vertical edge detects.",
        "Compute a receptive field layer by layer (it grows with depth, stride and pooling) and count a conv "
        "layer's parameters.")

    lesson.now_you(6, [
        ("FILTER = np.ones((3, 3))", "(a box filter)",
         "the check of 003's 4x4 answer stops the lesson and prints the sum of every 3x3 window instead, [[4, 9, "
         "11, 8], [7, 13, 14, 11], ...]: with ones, a convolution is a moving sum"),
        ("DEPTHS = (1, 2, 3, 6)", "(a deeper stack in section 8)",
         "a fourth row of the receptive-field table: six 3x3 layers see 13x13 with 54 weights, where one 13x13 "
         "filter needs 169 - the field grows by 2 per layer, the weights by 9, a big filter's by its square; "
         "all 28 checks pass"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
