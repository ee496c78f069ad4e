"""Lesson 1: gradient descent, the computational graph, and the Affine layer's backward pass

Follows the opening slides of note 003 ("Backprop & CNN"): find the w that minimises the loss by
walking downhill, w <- w - eta * dL/dw; get dL/dw from a computational graph, one local derivative per
node, multiplied along the way (the chain rule); then the Affine layer Y = X.W + B, element by element
in scalar mode and as matrices in tensor mode.

Run it:   tinygrad-edu lesson 1 [--step] [--out out]     (or: python lessons/01_gradient_descent.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from tinygrad_edu.nn import functional as F

NOTES = "003"
RUN_TIME = "1 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)
ETA = 0.1                # section 1's learning rate


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. Gradient descent: walk downhill")
    lesson.say("""
        Training means finding the weights that make the loss small. The slope dL/dw says which way is
        uphill, so we step the other way:  **w <- w - eta * dL/dw**  (eta: the learning rate).

        Take the simplest loss there is, `L(w) = (w - 3)^2`. Its minimum is at w = 3; `dL/dw = 2 (w - 3)`.
        Start at w = 0 with eta = 0.1 and let a Scalar compute the slope for us.
    """)
    eta = ETA
    w_value = 0.0
    rows = []
    for step in range(6):
        w = tg.Scalar(w_value, name="w")
        loss = (w - 3) ** 2                 # a tiny graph: Sub, then Pow
        loss.backward()                     # fills w.grad = dL/dw
        rows.append((step, w.data, loss.data, w.grad, w.data - eta * w.grad))
        if step == 0:
            lesson.check("dL/dw at w = 0 is 2 (0 - 3)", w.grad, -6.0)
        w_value = w.data - eta * w.grad     # the update: w <- w - eta * dL/dw
    lesson.table("gradient descent on L(w) = (w - 3)^2, eta = 0.1", ["step", "w", "L(w)", "dL/dw", "new w"], rows)
    lesson.say("""
        Each step moves w 20 % of the way to 3: `w_new - 3 = (1 - 2 eta)(w - 3) = 0.8 (w - 3)`.
        Too large an eta (above 1 here) and the steps overshoot and grow.
    """)
    lesson.check("w after 6 steps is 3 - 3 * 0.8^6", w_value, 3 - 3 * 0.8 ** 6)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. The computational graph and the chain rule, node by node")
    lesson.say("""
        How do we get dL/dw for a bigger expression? Write it as a graph of small operations. Each node
        knows only its **local derivative**; backpropagation multiplies them from the loss backwards
        (the chain rule) and adds up the contributions of every path.

        Example: `f = (x + y) * z` with x = -2, y = 5, z = -4.
    """)
    x, y, z = tg.Scalar(-2.0, name="x"), tg.Scalar(5.0, name="y"), tg.Scalar(-4.0, name="z")
    q = x + y
    q.name = "q"
    f = q * z
    f.name = "f"
    lesson.show("forward", f"""
        q = x + y = {x.data:g} + {y.data:g} = {q.data:g}
        f = q * z = {q.data:g} * {z.data:g} = {f.data:g}""", graph=f)      # --step: the b key steps f's backward
    f.backward()
    lesson.show("backward: local derivatives times the upstream gradient", f"""
        df/df = 1                                          (the start)
        df/dq = z = {z.data:g}                                    (local derivative of q*z with respect to q)
        df/dz = q = {q.data:g}
        df/dx = df/dq * dq/dx = {q.grad:g} * 1 = {x.grad:g}              (dq/dx = 1: addition passes the gradient on)
        df/dy = df/dq * dq/dy = {q.grad:g} * 1 = {y.grad:g}""")
    lesson.step_backward(f, "01_chain_rule_step")    # with --step: one node per pause, a picture per step
    lesson.check("f", f.data, -12.0)
    lesson.check("df/dx, df/dy, df/dz", [x.grad, y.grad, z.grad], [-4.0, -4.0, 3.0])
    lesson.picture(visualize.draw(f, title="f = (x + y) * z after backward"), "01_chain_rule",
                   "every value with its data and gradient")

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. The Affine layer, element by element (scalar mode)")
    lesson.say("""
        A fully connected (Affine) layer computes `Y = X.W + B`. With one input of two features and two outputs:

            y1 = x1*w11 + x2*w12 + b1
            y2 = x1*w21 + x2*w22 + b2

        (PyTorch stores W as (outputs, inputs), so w12 is row 1, column 2; the notes' X.W uses the
        transpose, W (inputs, outputs) - the same numbers.) Take the loss the slides use, a linear
        combination of the outputs: `L = c1*y1 + c2*y2`, so `dL/dy1 = c1` and `dL/dy2 = c2`.

        In scalar mode every multiply and add is its own node, exactly the derivation on the slides.
    """)
    x_values = np.array([[1.0, 2.0]])                      # X (1, 2): one sample, two features
    w_values = np.array([[0.5, -1.0], [2.0, 0.25]])        # W (2, 2): (outputs, inputs)
    b_values = np.array([0.1, -0.2])                       # B (2,)
    c = np.array([2.0, -1.0])                              # L = 2*y1 - 1*y2

    xs = tg.Scalar.array(x_values, "x")                    # Scalars named x1, x2
    ws = tg.Scalar.array(w_values, "w")                    # w11, w12, w21, w22
    bs = tg.Scalar.array(b_values, "b")                    # b1, b2
    ys = F.linear(xs, ws, bs)                              # (1, 2) array of Scalars, recorded op by op
    loss_s = ys[0, 0] * c[0] + ys[0, 1] * c[1]
    loss_s.name = "L"
    loss_s.backward()
    y1, y2 = ys[0]
    lesson.show("forward, as the slides write it", f"""
        y1 = x1*w11 + x2*w12 + b1 = 1*0.5 + 2*(-1) + 0.1 = {y1.data:.4g}
        y2 = x1*w21 + x2*w22 + b2 = 1*2 + 2*0.25 - 0.2 = {y2.data:.4g}
        L  = 2*y1 - 1*y2 = {loss_s.data:.4g}""")
    gw = tg.Scalar.grads(ws)
    gx = tg.Scalar.grads(xs)
    lesson.show("backward, entry by entry", f"""
        dL/dw11 = dL/dy1 * x1 = 2 * 1 = {gw[0, 0]:g}      dL/dw12 = dL/dy1 * x2 = 2 * 2 = {gw[0, 1]:g}
        dL/dw21 = dL/dy2 * x1 = -1 * 1 = {gw[1, 0]:g}     dL/dw22 = dL/dy2 * x2 = -1 * 2 = {gw[1, 1]:g}
        dL/dx1  = dL/dy1 * w11 + dL/dy2 * w21 = {gx[0, 0]:g}
        dL/dx2  = dL/dy1 * w12 + dL/dy2 * w22 = {gx[0, 1]:g}
        dL/db   = dL/dy = {tg.Scalar.grads(bs)}""")
    lesson.picture(visualize.draw(loss_s, title="Affine in scalar mode: every multiply and add is a node"),
                   "01_affine_scalar", "the multiplies and adds of y1 and y2")

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. The same layer as matrices (tensor mode)")
    lesson.say("""
        Collected into matrices, the entry-by-entry results are three identities (with dL/dY the upstream
        gradient, one row per sample):

            dL/dX = dL/dY . W          dL/dW = dL/dY^T . X   (the notes' X^T . dL/dY, for W transposed)
            dL/dB = dL/dY summed over the batch

        One Affine node now does what the scalar graph did with eight (four multiplies, four adds),
        and the gradients agree.
    """)
    X = tg.Tensor(x_values, requires_grad=True, name="X")
    W = tg.Tensor(w_values, requires_grad=True, name="W")
    B = tg.Tensor(b_values, requires_grad=True, name="B")
    Y = F.linear(X, W, B)                                  # one Affine node: (1, 2) x (2, 2)^T + (2,)
    Y.name = "Y"
    loss_t = (Y * tg.Tensor(c)).sum()
    loss_t.name = "L"
    loss_t.backward()
    lesson.check("tensor mode's dL/dW equals scalar mode's", W.grad.numpy(), gw, atol=1e-6)
    lesson.check("tensor mode's dL/dX equals scalar mode's", X.grad.numpy(), gx, atol=1e-6)
    lesson.check("dL/dB = dL/dY", B.grad.numpy(), c, atol=1e-6)
    lesson.picture(visualize.draw(loss_t, title="Affine in tensor mode: one node"), "01_affine_tensor",
                   "the same layer as one Affine node")

    lesson.say("With a batch of three samples the identities hold as matrix products:")
    tg.manual_seed(0)
    Xb = tg.randn(3, 2, requires_grad=True)                # (N=3, 2)
    Yb = F.linear(Xb, W, B)                                # (3, 2)
    dY = tg.randn(3, 2)                                    # any upstream gradient dL/dY
    W.grad = B.grad = None
    Yb.backward(dY)
    lesson.check("dL/dX = dL/dY . W", Xb.grad.numpy(), dY.numpy() @ w_values, atol=1e-5)
    lesson.check("dL/dW = dL/dY^T . X", W.grad.numpy(), dY.numpy().T @ Xb.numpy(), atol=1e-5)
    lesson.check("dL/dB = sum of dL/dY over the batch", B.grad.numpy(), dY.numpy().sum(axis=0), atol=1e-5)
    lesson.say("That is backpropagation: local derivatives, multiplied backwards, summed over paths.")

    lesson.ask("L(w) = (w - 3)^2, eta = 0.1, starting at w = 5: where is w after one gradient-descent step?",
               5 - 0.1 * 2 * (5 - 3), 0.01, "dL/dw = 2 (5 - 3) = 4, so w <- 5 - 0.1 * 4 = 4.6")
    lesson.now_you(1, [
        ("ETA = 0.5", "(section 1)",
         "w lands on 3 in one step, since w_new - 3 = (1 - 2 eta)(w - 3) = 0; the check 'w after 6 steps is 3 - 3 "
         "* 0.8^6' then stops the lesson: 0.8 = 1 - 2 eta was for eta = 0.1"),
        ("ETA = 1.1", "",
         "every step overshoots: w - 3 is multiplied by 1 - 2.2 = -1.2, so the table shows w jumping from one "
         "side of 3 to the other, further each time (6.6, -1.32, 8.18, -3.22 ...); the 6-step check stops the "
         "lesson at w = -5.96"),
        ("ETA = 0.01", "",
         "w crawls: after 6 steps it has only reached about 0.34 (3 - 3 * 0.98^6)"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
