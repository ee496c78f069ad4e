"""Lesson 2: the Affine layer's backward on a batch, in both layouts, with a sigmoid after it

Lesson 1 derived Y = X.W + B for one sample. Here (003 Backprop & CNN, *Computational Graph*: the Affine
slides) the batch has two samples: the
bias is shared by every row, so its gradient is a SUM over the batch; dL/dX = dL/dY.W^T and dL/dW = X^T.dL/dY
come out of the entry-by-entry derivation in scalar mode and again as matrices in tensor mode, first in the notes'
layout (W is (inputs, outputs)) and then in PyTorch's (W is (outputs, inputs)); finally a sigmoid after the
Affine, dL/dY = dL/dZ * Z (1 - Z), checked against central differences with gradcheck, and why a layer needs
that nonlinearity at all (003: W2 W1 x = W x).

Run it:   tinygrad-edu lesson 2 [--step] [--out out]     (or: python lessons/02_affine_backward.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F

NOTES = "003"
RUN_TIME = "1 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

X_VALUES = np.array([[1.0, 2.0],                   # X (N=2, D=2): two samples, two features each
                     [3.0, -1.0]])
W_NOTES = np.array([[0.5, 2.0],                    # W (D=2, M=2) in the notes' layout: Y = X.W + B, holding
                    [-1.0, 0.25]])                 # [[w11, w21], [w12, w22]] (w_ji: input i to output j)
B_VALUES = np.array([0.1, -0.2])                   # B (M=2,): one bias per output, shared by both samples
C = np.array([[2.0, -1.0],                         # the loss L = sum of C * Y, so dL/dY = C (any upstream
              [1.0, 3.0]])                         # gradient would do; this one is easy to follow by hand)


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. A batch in scalar mode: every sample reuses the same W and B")
    lesson.say("""
        With N samples (a **mini-batch**, 미니배치), `Y = X.W + B` is N copies of lesson 1's **affine layer**
        (어파인 계층), one per row, **sharing** the **weights** (가중치) W and **biases** (편향) B. The names are
        lesson 1's, the notes': w_ji joins input i to output j, stored in row i, column j of W; x_ni is
        sample n's input i, y_nj its output j:

            y11 = x11*w11 + x12*w12 + b1     y12 = x11*w21 + x12*w22 + b2   (sample 1)
            y21 = x21*w11 + x22*w12 + b1     y22 = x21*w21 + x22*w22 + b2   (sample 2)

        A value used in several places collects the gradient of every use (the **chain rule**, 연쇄 법칙, sums
        over paths).
        b1 appears once per sample, so `dL/db1 = dL/dy11 + dL/dy21`: **the bias gradient is a sum over the batch**.
        Scalar mode makes each multiply and add a node, so we can watch b1 receive two gradients.
    """)
    xs = tg.Scalar.array(X_VALUES, "x")                    # x11 x12 / x21 x22
    ws = tg.Scalar.array(W_NOTES.T, "w").T                 # (D, M), the notes' layout: W[i, j] named w_ji
    bs = tg.Scalar.array(B_VALUES, "b")                    # b1 b2
    ys = xs @ ws + bs                                      # (2, 2) Scalars: the multiplies and adds of the slides
    loss_s = ys[0, 0] * C[0, 0] + ys[0, 1] * C[0, 1] + ys[1, 0] * C[1, 0] + ys[1, 1] * C[1, 1]
    loss_s.name = "L"
    loss_s.backward()
    gw, gx, gb = tg.Scalar.grads(ws), tg.Scalar.grads(xs), tg.Scalar.grads(bs)
    lesson.show("forward: Y = X.W + B, row by row", f"""
        y11 = 1*0.5 + 2*(-1) + 0.1 = {ys[0, 0].data:.4g}      y12 = 1*2 + 2*0.25 - 0.2 = {ys[0, 1].data:.4g}
        y21 = 3*0.5 - 1*(-1) + 0.1 = {ys[1, 0].data:.4g}      y22 = 3*2 - 1*0.25 - 0.2 = {ys[1, 1].data:.4g}
        L = 2*y11 - 1*y12 + 1*y21 + 3*y22 = {loss_s.data:.4g}          so dL/dY = C = [[2, -1], [1, 3]]""",
                graph=loss_s)
    lesson.ask("dL/dY = C = [[2, -1], [1, 3]]: what is dL/db1, the gradient of the first bias?", gb[0], 0,
               "b1 is added to y11 and to y21, so dL/db1 = dL/dy11 + dL/dy21 = 2 + 1 = 3")
    lesson.show("backward, entry by entry: shared values add up their uses", f"""
        dL/db1  = dL/dy11 + dL/dy21 = 2 + 1 = {gb[0]:g}        dL/db2 = dL/dy12 + dL/dy22 = -1 + 3 = {gb[1]:g}
        dL/dw11 = dL/dy11*x11 + dL/dy21*x21 = 2*1 + 1*3 = {gw[0, 0]:g}
        dL/dw12 = dL/dy11*x12 + dL/dy21*x22 = 2*2 + 1*(-1) = {gw[1, 0]:g}
        dL/dw21 = dL/dy12*x11 + dL/dy22*x21 = -1*1 + 3*3 = {gw[0, 1]:g}
        dL/dw22 = dL/dy12*x12 + dL/dy22*x22 = -1*2 + 3*(-1) = {gw[1, 1]:g}
        dL/dx11 = dL/dy11*w11 + dL/dy12*w21 = 2*0.5 - 1*2 = {gx[0, 0]:g}
                  (each x belongs to one sample only)""", graph=loss_s)
    lesson.check("dL/dB = dL/dY summed over the batch = [3, 2]", gb, C.sum(axis=0))
    lesson.check("dL/dW entry by entry = [[5, 8], [3, -5]] ([[dL/dw11, dL/dw21], [dL/dw12, dL/dw22]])", gw,
                 [[5.0, 8.0], [3.0, -5.0]])
    title = "Y = X.W + B on a batch of 2 in scalar mode: b1 and b2 feed both samples"
    lesson.picture(visualize.draw(loss_s, title=title), "02_affine_batch_scalar",
                   "every multiply and add; the bias nodes have one arrow per sample")

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. The same batch as matrices, in the notes' layout")
    lesson.say("""
        Collect the entries into matrices and three identities appear (N samples, D inputs, M outputs):

            dL/dX = dL/dY . W^T     (N, M)(M, D) -> (N, D)
            dL/dW = X^T . dL/dY     (D, N)(N, M) -> (D, M)
            dL/dB = sum over the batch of dL/dY          (N, M) -> (M,)

        A gradient always has the shape of what it is the gradient of; the shapes alone tell you where the
        transposes go. In tensor mode `X @ W + B` is two nodes: a matrix product and a broadcasting add, whose
        backward sums the gradient over the rows B was copied to.
    """)
    X = tg.Tensor(X_VALUES, requires_grad=True, name="X", dtype=tg.float64)
    W = tg.Tensor(W_NOTES, requires_grad=True, name="W", dtype=tg.float64)       # (D, M)
    B = tg.Tensor(B_VALUES, requires_grad=True, name="B", dtype=tg.float64)      # (M,)
    Y = X @ W + B                                                                # (N, M)
    Y.name = "Y"
    Y.backward(C)                                          # feed dL/dY = C directly
    lesson.check("dL/dX = dL/dY . W^T (and equals scalar mode's)", X.grad.numpy(), C @ W_NOTES.T)
    lesson.check("dL/dX in tensor mode equals scalar mode's", X.grad.numpy(), gx)
    lesson.check("dL/dW = X^T . dL/dY (and equals scalar mode's)", W.grad.numpy(), X_VALUES.T @ C)
    lesson.check("dL/dW in tensor mode equals scalar mode's", W.grad.numpy(), gw)
    lesson.check("dL/dB = dL/dY summed over the batch", B.grad.numpy(), gb)

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. PyTorch's layout: W is (outputs, inputs), and the transposes move")
    lesson.say("""
        **Here the layouts switch.** `nn.Linear` (ours and PyTorch's) stores the weight as (M, D), one row per
        output: `weight[j-1, i-1]` is w_ji, so the index names now read as written, `[[w11, w12], [w21, w22]]`.
        It computes `Y = X . W^T + B` (`F.linear`, one **Affine** node). The same numbers, the other layout, so:

            dL/dX = dL/dY . W          dL/dW = dL/dY^T . X  (= the notes' X^T . dL/dY, transposed)

        Porting the notes' formulas to PyTorch's weights is exactly this one transpose. Every lesson from 3 on
        uses `nn.Linear`, PyTorch's layout.
    """)
    Xp = tg.Tensor(X_VALUES, requires_grad=True, name="X", dtype=tg.float64)
    Wp = tg.Tensor(W_NOTES.T, requires_grad=True, name="W", dtype=tg.float64)    # (M, D): PyTorch's layout
    Bp = tg.Tensor(B_VALUES, requires_grad=True, name="B", dtype=tg.float64)
    Yp = F.linear(Xp, Wp, Bp)                              # one Affine node: X . W^T + B
    Yp.name = "Y"
    loss_p = (Yp * tg.Tensor(C, dtype=tg.float64)).sum()
    loss_p.name = "L"
    loss_p.backward(retain_graph=True)                     # kept: the b key can replay it
    lesson.table("the same gradients in the two layouts", ["", "notes: Y = X.W + B", "PyTorch: Y = X.W^T + B"], [
        ("W shape", str(W.shape), str(Wp.shape)),
        ("dL/dW", W.grad.numpy(), Wp.grad.numpy()),
        ("dL/dX", X.grad.numpy(), Xp.grad.numpy()),
        ("dL/dB", B.grad.numpy(), Bp.grad.numpy()),
    ])
    lesson.check("Y is the same in both layouts", Yp.numpy(), Y.numpy())
    lesson.check("PyTorch's dL/dW = dL/dY^T . X is the notes' dL/dW transposed", Wp.grad.numpy(), W.grad.numpy().T)
    lesson.check("dL/dX = dL/dY . W (PyTorch's W)", Xp.grad.numpy(), C @ W_NOTES.T)
    lesson.picture(visualize.draw(loss_p, direction="both", title="F.linear: one Affine node, forward and backward"),
                   "02_affine_tensor", "the batch as one Affine node; dashed red arrows carry the gradients")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. A sigmoid after the Affine")
    lesson.say("""
        A layer is usually followed by an **activation function** (활성화 함수), `Z = sigmoid(Y)` (the
        **sigmoid**, 시그모이드). Why at all? Without one, two layers are one layer: `(X.W1).W2 = X.(W1.W2)`,
        a single matrix (003 makes this point: stacking linear layers adds no power). Numerically:
    """)
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))          # (D, H), (H, M)
    two_linear = X_VALUES @ W1 @ W2                                              # two layers, no activation
    one_linear = X_VALUES @ (W1 @ W2)                                            # one layer, W = W1 W2 (D, M)
    with_sigmoid = (1 / (1 + np.exp(-(X_VALUES @ W1)))) @ W2                     # a sigmoid in between
    doubled = (1 / (1 + np.exp(-(2 * X_VALUES @ W1)))) @ W2                      # the same net on 2X
    lesson.show("two layers without a nonlinearity are one layer", f"""
        X.W1.W2     = {np.round(two_linear, 4).tolist()}
        X.(W1.W2)   = {np.round(one_linear, 4).tolist()}
        so the linear net on 2X is exactly twice the net on X; not so
        with a sigmoid between, net(2X) - 2 net(X) =
            {np.round(doubled - 2 * with_sigmoid, 4).tolist()}""")
    lesson.check("X.W1.W2 equals X.(W1.W2): two linear layers are one", np.abs(two_linear - one_linear).max(), 0.0,
                 atol=1e-12)
    lesson.check("with a sigmoid between them, net(2X) is not 2 net(X) (largest gap above 0.1)",
                 bool(np.abs(doubled - 2 * with_sigmoid).max() > 0.1), True)
    lesson.say("""
        However many linear layers we stack, the net stays one matrix; the nonlinearity (비선형) between them is
        what lets depth add power. Backward must multiply in its local derivative,
        `dZ/dY = sigmoid(Y) (1 - sigmoid(Y)) = Z (1 - Z)`, elementwise, so the gradient arriving at Y is

            dL/dY = dL/dZ * Z * (1 - Z)          (elementwise: the notes' da1 = dz1 * z1 * (1 - z1))

        and the Affine's three identities then use this dL/dY. Take the first sample, `L = sum of C[0] * Z`.
    """)
    xs1 = tg.Scalar.array(X_VALUES[:1], "x")
    ws1 = tg.Scalar.array(W_NOTES, "w")
    bs1 = tg.Scalar.array(B_VALUES, "b")
    zs = F.sigmoid(xs1 @ ws1 + bs1)                        # (1, 2) Scalars
    loss_z = zs[0, 0] * C[0, 0] + zs[0, 1] * C[0, 1]
    loss_z.name = "L"
    loss_z.backward()
    z1, z2 = zs[0, 0].data, zs[0, 1].data
    dy = C[0] * np.array([z1 * (1 - z1), z2 * (1 - z2)])   # dL/dY = dL/dZ * Z (1 - Z)
    lesson.show("one sample: Affine, then sigmoid", f"""
        y = [-1.4, 2.3]      z = sigmoid(y) = [{z1:.4f}, {z2:.4f}]
        dL/dy1 = dL/dz1 * z1 (1 - z1) = 2 * {z1 * (1 - z1):.4f} = {dy[0]:.4f}
        dL/dy2 = dL/dz2 * z2 (1 - z2) = -1 * {z2 * (1 - z2):.4f} = {dy[1]:.4f}
        dL/db  = dL/dy = [{tg.Scalar.grads(bs1)[0]:.4f}, {tg.Scalar.grads(bs1)[1]:.4f}]     (one sample: nothing to sum)
        dL/dW  = x^T . dL/dy = [[1 * dL/dy1, 1 * dL/dy2], [2 * dL/dy1, 2 * dL/dy2]]
               = {np.round(tg.Scalar.grads(ws1), 4).tolist()}""")
    lesson.check("dL/db after the sigmoid = dL/dZ * Z (1 - Z)", tg.Scalar.grads(bs1), dy)
    lesson.check("dL/dW after the sigmoid = x^T . dL/dY", tg.Scalar.grads(ws1), X_VALUES[:1].T @ dy[None, :])
    lesson.picture(visualize.draw(loss_z, direction="backward",
                                  title="Affine then sigmoid, one sample, scalar mode: arrows carry the gradients"),
                   "02_affine_sigmoid_scalar", "each backward arrow labelled with the gradient it carries")

    lesson.say("""
        Now the whole batch in tensor mode, and a check that needs no algebra at all: **gradcheck** nudges every
        entry of X, W and B by +-eps, recomputes the output, and compares the slope (central differences) with
        what backward produced. It works in float64, where the two agree to ~1e-9.
    """)
    layer = lambda X, W, B: F.sigmoid(F.linear(X, W, B))  # noqa: E731   the function to check
    Xc = tg.Tensor(X_VALUES, requires_grad=True, name="X", dtype=tg.float64)
    Wc = tg.Tensor(W_NOTES.T, requires_grad=True, name="W", dtype=tg.float64)
    Bc = tg.Tensor(B_VALUES, requires_grad=True, name="B", dtype=tg.float64)
    report = gradcheck(layer, (Xc, Wc, Bc))
    lesson.console.print(str(report))
    lesson.check("gradcheck passes for X, W and B", report.passed, True)
    lesson.check("largest |analytic - numeric| is below 1e-8", max(r.max_abs_error for r in report) < 1e-8, True)

    with tg.watch():                                       # keep every intermediate gradient for the picture
        Z = layer(Xc, Wc, Bc)
        Z.name = "Z"
        loss_t = (Z * tg.Tensor(C, dtype=tg.float64)).sum()
        loss_t.name = "L"
        loss_t.backward()
    Zd = Z.numpy()
    lesson.check("tensor mode: dL/dB = sum over the batch of C * Z (1 - Z)", Bc.grad.numpy(),
                 (C * Zd * (1 - Zd)).sum(axis=0))
    lesson.picture(visualize.draw(loss_t, direction="both", rankdir="TB",
                                  title="Affine + sigmoid on the batch, tensor mode"),
                   "02_affine_sigmoid_tensor", "the same layer as two nodes, colored by gradient size")
    lesson.say("""
        Backward through a layer is always the same three lines; what changes from layer to layer is only the
        local derivative in between (here `Z (1 - Z)`, at most 1/4: lesson 5 shows what that does to deep nets).
    """)

    lesson.recap(
        "Derive an Affine layer's gradients on a batch entry by entry, and see why dL/dB sums over the samples.",
        "Write dL/dX = dL/dY . W^T, dL/dW = X^T . dL/dY in the notes' layout and move them to PyTorch's.",
        "Backpropagate through a sigmoid (dL/dY = dL/dZ * Z (1 - Z)), check it with gradcheck, and say why a "
        "nonlinearity is needed.")
    lesson.now_you(2, [
        ("C = np.ones((2, 2))", "(the loss becomes sum(Y))",
         "dL/dB becomes [2, 2], the batch size, and the check of the notes' dL/dW [[5, 8], [3, -5]] stops the "
         "lesson, printing X^T . ones = [[4, 4], [1, 1]]"),
        ("B_VALUES = np.zeros(2)", "",
         "Y moves, but not one gradient does: every check still passes, because dL/dW, dL/dX and dL/dB do not "
         "depend on B"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
