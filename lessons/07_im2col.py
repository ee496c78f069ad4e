"""Lesson 7: im2col - a convolution layer as one matrix product, and its backward pass through col2im

Follows note 003's im2col slides: unroll every window the filter visits into a column (F.unfold), and the
whole convolution becomes ONE matrix product of the filters (one row each) with those columns. The backward
pass is two more matrix products and col2im (F.fold), which puts the columns back where they came from,
adding up where windows overlap.

Run it:   tinygrad-edu lesson 7 [--step] [--out out]     (or: python lessons/07_im2col.py --out out)
"""

import time

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from tinygrad_edu.nn import functional as F

NOTES = "003"
RUN_TIME = "1 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

X4 = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=float)   # 003's 4x4 input
FILTER = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=float)                       # 003's 3x3 filter
IMAGE_SIZE = 16          # sections 2-3: the batch's images are IMAGE_SIZE x IMAGE_SIZE
KERNEL = 3               # sections 2-3: the layer's filters are KERNEL x KERNEL (odd), padded to keep the size


def grid(a):
    """A matrix as text, its rows lined up inside an indented lesson.show body."""
    return np.array2string(np.asarray(a), precision=4, suppress_small=True, max_line_width=110).replace(
        "\n", "\n        ")


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. im2col on 003's 4x4 example")
    lesson.say("""
        A convolution (합성곱) repeats one small dot product (filter . window) at every position. im2col
        (이미지 → 행렬 전개) copies each
        window into a column: a 4x4 input padded by 1 has 16 windows of 3x3 = 9 pixels, so the columns form a
        **9 x 16** matrix. The filter flattened to a row (1 x 9) times that matrix gives all 16 outputs at once.
    """)
    x = tg.Tensor(X4[None, None])                                  # (N=1, C=1, H=4, W=4)
    w = tg.Tensor(FILTER[None, None])                              # (F=1, C=1, 3, 3)
    cols = F.unfold(x, kernel_size=3, padding=1)                   # (N, C*3*3, L) = (1, 9, 16)
    row = w.reshape(1, 9)                                          # (F, C*3*3) = (1, 9)
    out = (row @ cols).reshape(1, 1, 4, 4)                         # (1, 1, 16) -> (1, 1, 4, 4)
    lesson.ask("im2col of the 4x4 input, 3x3 filter, padding 1, stride 1: how many columns (one per window)?",
               cols.shape[2], 0, "OH = OW = (4 + 2 - 3)/1 + 1 = 4, so 4 x 4 = 16 windows, each a column of 9")
    lesson.show("the columns: window k is column k (row-major over the output positions)", f"""
        F.unfold(x, 3, padding=1)[0]  (9 x 16):
        {grid(cols.numpy()[0])}
        filter as a row: {FILTER.ravel()}
        row @ columns, reshaped to 4x4:
        {grid(out.numpy()[0, 0])}""")
    lesson.check("im2col shape (N, C*FH*FW, OH*OW)", cols.shape, (1, 9, 16))
    lesson.check("column 0 is the top-left window (zeros from the padding)", cols.numpy()[0, :, 0],
                 np.pad(X4, 1)[:3, :3].ravel())
    lesson.check("row @ columns = 003's answer", out.numpy()[0, 0],
                 [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]])
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. A whole layer: batch, channels, many filters, bias")
    lesson.say("""
        With C input channels a window has `C*FH*FW` numbers; with F filters the weight becomes an
        `F x (C*FH*FW)` matrix; with a batch of N the columns are `(N, C*FH*FW, OH*OW)`. The layer is

            out = W_row @ cols + b       (N, F, OH*OW), then reshaped to (N, F, OH, OW)

        one matrix product for the whole batch: why im2col is how convolutions ran fast on CPUs and GPUs.
    """)
    N, C, H, W = 8, 3, IMAGE_SIZE, IMAGE_SIZE                      # a batch of 8 RGB 16x16 images
    n_filters, k = 6, KERNEL                                       # six 3x3 filters, padding 1 ("same")
    pad = k // 2
    tg.manual_seed(0)
    images = tg.randn(N, C, H, W, requires_grad=True)
    weight = tg.randn(n_filters, C, k, k, requires_grad=True)
    bias = tg.randn(n_filters, requires_grad=True)

    cols = F.unfold(images, kernel_size=k, padding=pad)            # (8, 27, 256)
    w_row = weight.reshape(n_filters, C * k * k)                   # (6, 27)
    by_matmul = (w_row @ cols + bias.reshape(1, n_filters, 1)).reshape(N, n_filters, H, W)   # (8, 6, 16, 16)
    direct = F.conv2d(images, weight, bias, padding=pad)           # the fused Conv2d op
    lesson.show("shapes", f"""
        images {images.shape}  ->  columns {cols.shape}   ({C * k * k} = {C} channels * {k} * {k}, {H * W} = {H} * {W}
        positions)
        weight {weight.shape}  ->  rows {w_row.shape}
        rows @ columns + bias -> {by_matmul.shape}
        largest difference from F.conv2d: {np.abs(by_matmul.numpy() - direct.numpy()).max():.2e}""")
    lesson.check("im2col + matmul equals F.conv2d (largest difference)",
                 np.abs(by_matmul.numpy() - direct.numpy()).max(), 0.0, atol=1e-4)

    repeats = 3 if lesson.fast else 20
    start = time.perf_counter()
    for _ in range(repeats):
        loops = np.zeros((N, n_filters, H, W))                    # the naive way: a loop per output position
        padded = np.pad(images.numpy(), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        for i in range(H):
            for j in range(W):
                window = padded[:, :, i:i + k, j:j + k].reshape(N, -1)           # (N, C*k*k)
                loops[:, :, i, j] = window @ w_row.numpy().T + bias.numpy()
    t_loops = (time.perf_counter() - start) / repeats
    start = time.perf_counter()
    for _ in range(repeats):
        F.conv2d(images, weight, bias, padding=pad)
    t_im2col = (time.perf_counter() - start) / repeats
    lesson.say(f"""
        The same layer with a Python loop over the {H * W} output positions takes {t_loops * 1e3:.2f} ms;
        im2col's one product takes {t_im2col * 1e3:.2f} ms (timings on this machine; the ratio is what matters).
    """)
    lesson.check("the loop gives the same numbers (largest difference)", np.abs(loops - direct.numpy()).max(), 0.0,
                 atol=1e-4)

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. The backward pass: two matrix products and col2im")
    lesson.say("""
        Given `dout = dL/dout` reshaped to `(N, F, OH*OW)`, the matrix product's backward (lesson 1's Affine
        rules) gives

            dW_row = sum over the batch of dout @ cols^T        (F, C*FH*FW)
            db     = dout summed over the batch and positions   (F,)
            dcols  = W_row^T @ dout                             (N, C*FH*FW, OH*OW)

        and dcols goes back to the image with **col2im** (`F.fold`): every column is added back at the window
        it came from. A pixel that sits in several windows collects a gradient from each: **overlapping
        windows add up.**
    """)
    tg.manual_seed(1)
    dout = tg.randn(N, n_filters, H, W)                            # any upstream gradient
    direct.backward(dout)                                          # autograd through the fused op
    d = dout.reshape(N, n_filters, H * W).numpy()                  # (8, 6, 256)
    c = cols.numpy()                                               # (8, 27, 256)
    dW_row = np.einsum("nfl,nkl->fk", d, c)                        # sum_n d[n] @ c[n]^T: (6, 27)
    db = d.sum(axis=(0, 2))                                        # (6,)
    dcols = np.einsum("fk,nfl->nkl", w_row.numpy(), d)             # W_row^T @ d[n]: (8, 27, 256)
    dimages = F.fold(tg.Tensor(dcols), output_size=(H, W), kernel_size=k, padding=pad)   # col2im: (8, 3, 16, 16)
    lesson.check("dW = dout @ cols^T (summed over the batch), as autograd (largest difference)",
                 np.abs(dW_row.reshape(weight.shape) - weight.grad.numpy()).max(), 0.0, atol=1e-3)
    lesson.check("db = dout summed, as autograd", db, bias.grad.numpy(), atol=1e-3)
    lesson.check("dX = col2im(W^T @ dout), as autograd (largest difference)",
                 np.abs(dimages.numpy() - images.grad.numpy()).max(), 0.0, atol=1e-3)

    lesson.say("""
        How much does each pixel collect? Fold a matrix of ones: each pixel gets the number of windows that
        contain it. On the 4x4 example (3x3 windows, padding 1) a corner pixel is in 4 windows, an edge pixel
        in 6, an inner pixel in 9.
    """)
    counts = F.fold(tg.ones(1, 9, 16), output_size=(4, 4), kernel_size=3, padding=1).numpy()[0, 0]
    lesson.show("F.fold(ones (1, 9, 16), (4, 4), 3, padding=1): how many windows cover each pixel", f"""
        {grid(counts)}""")
    lesson.check("windows per pixel: 4 at the corners, 6 on the edges, 9 inside", counts,
                 [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])
    xg = tg.Tensor(X4[None, None], requires_grad=True)
    F.unfold(xg, 3, padding=1).sum().backward()                    # unfold's own backward is fold
    lesson.check("unfold's backward is fold: the same counts", xg.grad.numpy()[0, 0], counts)

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. Drawn: im2col as a graph")
    lesson.say("""
        The picture shows the im2col layer as autograd records it, on a tiny input (1 image, 1 channel, 4x4,
        one 3x3 filter): Unfold, then the matrix product, then a reshape. The backward arrows (red, dashed)
        carry the gradients the other way: through the product to the columns, then through Unfold's backward,
        which is col2im. Next to it, the same layer as one fused Conv2d node.
    """)
    with tg.watch():                                               # keep every intermediate gradient for the picture
        xt = tg.Tensor(X4[None, None], requires_grad=True, name="x")
        wt = tg.Tensor(FILTER.reshape(1, 9), requires_grad=True, name="W_row")
        cols_t = F.unfold(xt, 3, padding=1)
        cols_t.name = "cols"
        out_t = (wt @ cols_t).reshape(1, 1, 4, 4)
        out_t.name = "out"
        loss = out_t.sum()
        loss.name = "L"
        loss.backward()
    lesson.picture(visualize.draw(loss, direction="both", rankdir="TB",
                                  title="im2col: Unfold -> MatMul -> reshape (backward: col2im)"),
                   "07_im2col", "forward arrows black, backward arrows dashed red")
    with tg.watch():
        xf = tg.Tensor(X4[None, None], requires_grad=True, name="x")
        wf = tg.Tensor(FILTER[None, None], requires_grad=True, name="weight")
        loss_f = F.conv2d(xf, wf, padding=1).sum()
        loss_f.name = "L"
        loss_f.backward()
    lesson.picture(visualize.draw(loss_f, direction="both", title="the same layer as one Conv2d node"),
                   "07_conv2d_node", "the fused op does the same products inside one node")
    lesson.check("the two graphs give the same dL/dx", xt.grad.numpy(), xf.grad.numpy())
    lesson.check("dL/dx of L = sum(out) is the filter's sum over the windows of each pixel", xt.grad.numpy()[0, 0],
                 F.fold(tg.Tensor(np.repeat(FILTER.reshape(1, 9, 1), 16, axis=2)), (4, 4), 3, padding=1).numpy()[0, 0])

    lesson.recap(
        "Unroll every window of a convolution into a column (im2col) and predict the matrix's shape "
        "(C*FH*FW, OH*OW).",
        "Compute a whole convolution layer as one matrix product, and its backward pass through col2im.",
        "Say why im2col made convolutions fast (one large product) and what it costs (every pixel copied once per "
        "window that uses it).")

    lesson.now_you(7, [
        ("FILTER = np.ones((3, 3))", "",
         "the columns do not change (im2col never looks at the filter) but the product does: the check of 003's "
         "answer stops the lesson, printing the window sums [[4, 9, 11, 8], ...]"),
        ("KERNEL = 5", "(5x5 filters, padding 2)",
         "section 2's columns grow to (8, 75, 256): 75 = 3 channels * 5 * 5 numbers per window, each pixel "
         "copied into 25 columns instead of 9; the output keeps its 16x16 and all 12 checks pass"),
        ("IMAGE_SIZE = 48", "",
         "2304 positions instead of 256: the columns are (8, 27, 2304), the Python loop slows about as much as "
         "the positions grow (about 9x when we ran it), the one matrix product only about 4x; all checks pass"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
