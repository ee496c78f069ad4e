"""Lesson 1: gradient descent, the computational graph, and the Affine layer's backward pass

Follows the opening slides of note 003 ("Backprop & CNN": *Gradient Descent*, *Computational Graph*): nudge an
input and watch the output move (the numerical slope); walk downhill with it, w <- w - eta * dL/dw, and see what
the learning rate does; get every slope at once from a computational graph, one local derivative per node,
multiplied along the way (the chain rule); then the Affine layer Y = X.W + B, element by element in scalar mode
and as matrices in tensor mode, first in the notes' layout (W is (inputs, outputs), dL/dX = dL/dY . W^T), then
in PyTorch's.

Run it:   tinygrad-edu lesson 1 [--step] [--out out]     (or: python lessons/01_gradient_descent.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.figures import descent_svg
from lessons.runner import Lesson
from tinygrad_edu.nn import functional as F

NOTES = "003"
RUN_TIME = "1 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)
ETA = 0.1                # section 2's learning rate
NUDGE = 1e-3             # section 1's small step h


def loss_at(w):
    """The lesson's loss, L(w) = (w - 3)^2, as a plain number."""
    return (w - 3.0) ** 2


def descend(eta, steps, w=0.0):
    """The w of every gradient-descent step on L(w) = (w - 3)^2 from w (autograd gives each slope)."""
    walk = [w]
    for _ in range(steps):
        ws = tg.Scalar(walk[-1], name="w")
        ((ws - 3) ** 2).backward()
        walk.append(walk[-1] - eta * ws.grad)
    return walk


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. Nudge the input, watch the output: the slope")
    lesson.say("""
        Training means finding the weight w that makes the **loss** (손실 함수) L small. Before any formula,
        just try it: take `L(w) = (w - 3)^2`, stand at w = 0, and nudge w a little to each side.
    """)
    w = tg.Scalar(0.0, name="w")
    loss = (w - 3) ** 2                     # a tiny graph: Sub, then Pow (--step: the b key steps its backward)
    loss.name = "L"
    h = NUDGE
    left, here, right = loss_at(-h), loss_at(0.0), loss_at(h)
    slope = (right - left) / (2 * h)
    lesson.show("nudging w by h = 0.001 around w = 0", f"""
        L(0 - h) = {left:.6f}
        L(0)     = {here:.6f}
        L(0 + h) = {right:.6f}
        the output moved {right - left:+.6f} for a {2 * h:g} change of the input:
        slope = (L(0 + h) - L(0 - h)) / 2h = {slope:.6f}""", graph=loss)
    lesson.check("the numerical slope of L at w = 0 (central difference)", slope, -6.0, atol=1e-9)
    lesson.say("""
        That ratio is the **numerical derivative** (수치 미분): how much the output moves per unit the input
        moves. Its sign says which way is uphill (negative: L falls as w grows), its size how steep it is.
        Calculus gives it exactly, `dL/dw = 2 (w - 3) = -6` at w = 0, and autograd computes the same number
        without any nudging:
    """)
    loss.backward()                         # fills w.grad = dL/dw
    lesson.check("autograd's dL/dw at w = 0 equals the nudged slope", w.grad, slope, atol=1e-6)

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. Gradient descent: walk downhill")
    lesson.say("""
        The slope points uphill, so step the other way, by a step proportional to it. That is **gradient
        descent** (경사 하강법, 003 *Gradient Descent*):

            w <- w - eta * dL/dw        (eta: the learning rate, 학습률)

        Start at w = 0 with eta = 0.1 and let a Scalar compute the slope (the **gradient**, 기울기) at each step.
    """)
    eta = ETA
    walk = descend(eta, 6)
    rows = [(k, walk[k], loss_at(walk[k]), 2 * (walk[k] - 3), walk[k + 1]) for k in range(6)]
    lesson.table("gradient descent on L(w) = (w - 3)^2, eta = 0.1", ["step", "w", "L(w)", "dL/dw", "new w"], rows)
    w_value = walk[-1]
    lesson.say("""
        Each step moves w 20 % of the way to 3: `w_new - 3 = w - 3 - eta * 2 (w - 3) = (1 - 2 eta)(w - 3)`,
        here `0.8 (w - 3)`.
    """)
    lesson.check("w after 6 steps is 3 - 3 * 0.8^6", w_value, 3 - 3 * 0.8 ** 6)
    lesson.chart(descent_svg(loss_at, {"eta = 0.1": walk}, title="L(w) = (w - 3)^2 and six gradient-descent steps",
                             x_range=(-1.0, 6.5), y_max=16.0),
                 "01_descent_steps", "the curve L(w) with the six steps from w = 0 walked down it")
    lesson.pause()

    lesson.say("""
        How large may eta be? Every step multiplies the distance to the minimum by `r = 1 - 2 eta`:

        - 0 < eta <= 0.5: r is in [0, 1): w creeps up to 3 from one side (eta = 0.5 lands on it in one step);
        - 0.5 < eta < 1: r is in (-1, 0): w **overshoots**, jumping to the other side of 3 every step, but the
          jumps shrink: it still converges;
        - eta = 1: r = -1: w bounces between 0 and 6 forever;
        - eta > 1: |r| > 1: every jump is longer than the last: w **diverges**.

        Twenty steps from w = 0 with four learning rates show each case:
    """)
    walks = {e: descend(e, 20) for e in (0.4, 0.75, 1.0, 1.1)}
    lesson.table("w - 3 after 1, 2 and 20 steps from w = 0 (r = 1 - 2 eta)",
                 ["eta", "r", "step 1", "step 2", "step 20", "so w"],
                 [(f"{e:g}", f"{1 - 2 * e:g}", ws[1] - 3, ws[2] - 3, ws[20] - 3, said) for (e, ws), said in zip(
                     walks.items(), ("creeps up", "overshoots, converges", "bounces forever",
                                     "diverges"))])
    gaps = {e: np.array(ws) - 3 for e, ws in walks.items()}
    lesson.check("eta = 0.4: w stays below 3 and gets closer", bool(np.all(gaps[0.4][:-1] < 0)
                                                                      and abs(gaps[0.4][20]) < 1e-6), True)
    lesson.check("eta = 0.75: w - 3 changes sign every step (overshoot)",
                 bool(np.all(np.sign(gaps[0.75][1:]) == -np.sign(gaps[0.75][:-1]))), True)
    lesson.check("eta = 0.75: yet it converges, |w - 3| = 3 * 0.5^20", abs(gaps[0.75][20]), 3 * 0.5 ** 20, atol=1e-12)
    lesson.check("eta = 1: w after 20 steps is back at 0 (it bounces 0, 6, 0, ...)", walks[1.0][20], 0.0, atol=1e-12)
    lesson.check("eta = 1.1: |w - 3| after 20 steps is 3 * 1.2^20", abs(gaps[1.1][20]), 3 * 1.2 ** 20, atol=1e-8)
    lesson.chart(descent_svg(loss_at, {f"eta = {e:g}": walks[e][:7] for e in (0.4, 0.75, 1.1)},
                             title="six steps with eta = 0.4, 0.75 and 1.1", x_range=(-5.0, 11.0), y_max=64.0),
                 "01_learning_rates", "one side, overshooting but converging, overshooting and diverging")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. The computational graph and the chain rule, node by node")
    lesson.say("""
        Nudging costs two evaluations per input: fine for one w, hopeless for a million weights. So write the
        expression as a **computational graph** (계산 그래프, 003 *Computational Graph*) of small operations.
        Each node knows only its **local derivative** (국소 미분): how its output moves when one input is nudged.
        Nudges pass along a chain: if q moves 1 per unit of x and f moves z per unit of q, f moves z * 1 per unit
        of x. That is the **chain rule** (연쇄 법칙). **Backpropagation** (역전파) multiplies the local
        derivatives from the output back (the **upstream gradient**, 상류 기울기, times the local one) and adds
        up the contributions of every path; the **forward pass** (순전파) computed the values first.

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
        df/df = 1                          (the start)
        df/dq = z = {z.data:g}                    (local derivative of q*z by q)
        df/dz = q = {q.data:g}
        df/dx = df/dq * dq/dx = {q.grad:g} * 1 = {x.grad:g}   (dq/dx = 1: addition passes it on)
        df/dy = df/dq * dq/dy = {q.grad:g} * 1 = {y.grad:g}""")
    lesson.step_backward(f, "01_chain_rule")    # with --step: one node per pause, a picture per step
    lesson.check("f", f.data, -12.0)
    lesson.check("df/dx, df/dy, df/dz", [x.grad, y.grad, z.grad], [-4.0, -4.0, 3.0])
    nudged = ((-2.0 + NUDGE + 5.0) * -4.0 - (-2.0 - NUDGE + 5.0) * -4.0) / (2 * NUDGE)
    lesson.check("nudging x by h moves f by df/dx * h: the numerical slope is -4 too", nudged, x.grad, atol=1e-9)
    lesson.picture(visualize.draw(f, title="f = (x + y) * z after backward"), "01_chain_rule",
                   "every value with its data and gradient")

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. The Affine layer, element by element, in the notes' layout (scalar mode)")
    lesson.say("""
        A fully connected **Affine layer** (어파인 계층) computes `Y = X.W + B` (003 *Computational Graph*, the
        Affine slides). Two conventions to keep apart, both the notes':

        - the **index names**: w_ji joins input i to output j (the first index is the output), so w12 is
          "from x2 to y1", the weight y1 gives to x2;
        - the **layout**: in `X.W` the **weights** (가중치) W are (inputs, outputs), one row per input, so w12
          sits in row 2, column 1: `W = [[w11, w21], [w12, w22]]`.

        With one input of two features, two outputs and the **biases** (편향) b1, b2:

            y1 = x1*w11 + x2*w12 + b1
            y2 = x1*w21 + x2*w22 + b2

        Take the loss the slides use, a weighted sum of the outputs: `L = c1*y1 + c2*y2`, so `dL/dy1 = c1` and
        `dL/dy2 = c2`. In scalar mode every multiply and add is its own node, exactly the derivation on the slides.
    """)
    x_values = np.array([[1.0, 2.0]])                      # X (1, 2): one sample, two features
    w_notes = np.array([[0.5, 2.0],                        # W (2 inputs, 2 outputs), the notes' layout:
                        [-1.0, 0.25]])                     # [[w11, w21], [w12, w22]]: w12 = -1 joins x2 to y1
    b_values = np.array([0.1, -0.2])                       # B (2,)
    c = np.array([2.0, -1.0])                              # L = 2*y1 - 1*y2

    xs = tg.Scalar.array(x_values, "x")                    # Scalars named x1, x2
    ws = tg.Scalar.array(w_notes.T, "w").T                 # named w_ji (output j, input i), placed at W[i, j]
    bs = tg.Scalar.array(b_values, "b")                    # b1, b2
    ys = xs @ ws + bs                                      # (1, 2) array of Scalars, recorded op by op
    loss_s = ys[0, 0] * c[0] + ys[0, 1] * c[1]
    loss_s.name = "L"
    loss_s.backward()
    y1, y2 = ys[0]
    lesson.show("forward, as the slides write it", f"""
        y1 = x1*w11 + x2*w12 + b1 = 1*0.5 + 2*(-1) + 0.1 = {y1.data:.4g}
        y2 = x1*w21 + x2*w22 + b2 = 1*2 + 2*0.25 - 0.2 = {y2.data:.4g}
        L  = 2*y1 - 1*y2 = {loss_s.data:.4g}""", graph=loss_s)
    gw = tg.Scalar.grads(ws)
    gx = tg.Scalar.grads(xs)
    lesson.show("backward, entry by entry: dL/dw_ji = dL/dy_j * x_i", f"""
        dL/dw11 = dL/dy1 * x1 = 2 * 1 = {gw[0, 0]:g}     dL/dw12 = dL/dy1 * x2 = 2 * 2 = {gw[1, 0]:g}
        dL/dw21 = dL/dy2 * x1 = -1 * 1 = {gw[0, 1]:g}    dL/dw22 = dL/dy2 * x2 = -1 * 2 = {gw[1, 1]:g}
        dL/dx1  = dL/dy1 * w11 + dL/dy2 * w21 = {gx[0, 0]:g}
        dL/dx2  = dL/dy1 * w12 + dL/dy2 * w22 = {gx[0, 1]:g}
        dL/db   = dL/dy = {tg.Scalar.grads(bs)}""")
    lesson.check("dL/dW in the notes' layout, [[dL/dw11, dL/dw21], [dL/dw12, dL/dw22]] = [[2, -1], [4, -2]]", gw,
                 [[2.0, -1.0], [4.0, -2.0]])
    lesson.check("dL/dx1 = 2 * 0.5 - 1 * 2 = -1, dL/dx2 = 2 * (-1) - 1 * 0.25 = -2.25", gx, [[-1.0, -2.25]])
    lesson.picture(visualize.draw(loss_s, title="Affine in scalar mode: every multiply and add is a node"),
                   "01_affine_scalar", "the multiplies and adds of y1 and y2")

    # ------------------------------------------------------------------------------------------------
    lesson.section("5. The same layer as matrices: the notes' layout, then PyTorch's")
    lesson.say("""
        Collected into matrices (dL/dY the upstream gradient, one row per sample), the entry-by-entry
        results are the slide's three identities:

            dL/dX = dL/dY . W^T        dL/dW = X^T . dL/dY        dL/dB = dL/dY summed over the batch

        (`dL/dx1 = dL/dy1*w11 + dL/dy2*w21` runs along W's first ROW, x1's row: a product with W^T.)
        One matrix product node now does what the scalar graph did with eight nodes, and the gradients agree.
    """)
    X = tg.Tensor(x_values, requires_grad=True, name="X", dtype=tg.float64)
    W = tg.Tensor(w_notes, requires_grad=True, name="W", dtype=tg.float64)         # (inputs, outputs)
    B = tg.Tensor(b_values, requires_grad=True, name="B", dtype=tg.float64)
    Y = X @ W + B                                          # the notes' Y = X.W + B: (1, 2) @ (2, 2) + (2,)
    Y.name = "Y"
    loss_t = (Y * tg.Tensor(c, dtype=tg.float64)).sum()
    loss_t.name = "L"
    loss_t.backward()
    lesson.check("dL/dX = dL/dY . W^T (the slide's identity)", X.grad.numpy(), c[None, :] @ w_notes.T)
    lesson.check("dL/dW = X^T . dL/dY (the slide's identity)", W.grad.numpy(), x_values.T @ c[None, :])
    lesson.check("tensor mode's dL/dW equals scalar mode's", W.grad.numpy(), gw, atol=1e-12)
    lesson.check("tensor mode's dL/dX equals scalar mode's", X.grad.numpy(), gx, atol=1e-12)
    lesson.check("dL/dB = dL/dY", B.grad.numpy(), c)
    lesson.picture(visualize.draw(loss_t, title="Affine in tensor mode, the notes' layout: X @ W + B"),
                   "01_affine_tensor", "the same layer as a matrix product and an add")

    lesson.say("""
        **Where the layouts switch.** PyTorch's `nn.Linear` (and ours) stores the weight the other way round,
        as (outputs, inputs): `weight = [[w11, w12], [w21, w22]]`, so `weight[j-1, i-1]` is w_ji, the index
        names read as written; the numbers are the notes' W, transposed.
        It computes `Y = X . weight^T + B` (`F.linear`, one **Affine** node), so the transposes move:

            dL/dX = dL/dY . weight        dL/dweight = dL/dY^T . X   (the notes' dL/dW, transposed)

        From lesson 3 on every layer is an `nn.Linear` in PyTorch's layout; lesson 2 does both once more on a
        batch. Checked here on a batch of three samples:
    """)
    weight = tg.Tensor(w_notes.T, requires_grad=True, name="weight", dtype=tg.float64)   # (outputs, inputs)
    tg.manual_seed(0)
    Xb = tg.randn(3, 2, requires_grad=True, dtype=tg.float64)                           # (N=3, 2)
    Yb = F.linear(Xb, weight, B)                                                         # (3, 2)
    Yb.name = "Y"
    dY = tg.randn(3, 2, dtype=tg.float64)                                                # any upstream dL/dY
    B.grad = None
    Yb.backward(dY)
    lesson.focus(Yb)
    lesson.check("PyTorch's layout: Y equals the notes' X.W + B", Yb.numpy(), Xb.numpy() @ w_notes + b_values)
    lesson.check("dL/dX = dL/dY . weight", Xb.grad.numpy(), dY.numpy() @ w_notes.T, atol=1e-12)
    lesson.check("dL/dweight = dL/dY^T . X = (the notes' X^T . dL/dY)^T", weight.grad.numpy(),
                 (Xb.numpy().T @ dY.numpy()).T, atol=1e-12)
    lesson.check("dL/dB = sum of dL/dY over the batch", B.grad.numpy(), dY.numpy().sum(axis=0), atol=1e-12)
    lesson.say("That is backpropagation: local derivatives, multiplied backwards, summed over paths.")

    lesson.recap(
        "Estimate a slope by nudging an input (a central difference) and read autograd's gradient as that slope.",
        "Run gradient descent by hand and predict from r = 1 - 2 eta whether it creeps, overshoots or diverges.",
        "Backpropagate through a graph node by node, and write an Affine layer's gradients in the notes' layout "
        "(dL/dX = dL/dY . W^T) and in PyTorch's (dL/dX = dL/dY . weight).")

    lesson.ask("L(w) = (w - 3)^2, eta = 0.1, starting at w = 5: where is w after one gradient-descent step?",
               5 - 0.1 * 2 * (5 - 3), 0.01, "dL/dw = 2 (5 - 3) = 4, so w <- 5 - 0.1 * 4 = 4.6")
    lesson.now_you(1, [
        ("ETA = 0.5", "(section 2)",
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
