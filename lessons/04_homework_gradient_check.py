"""Lesson 4: homework - check a hand-written backward pass, find the slide's b1 bug, fix it

Note 003's homework (Backprop & CNN, "Write your codes") writes two- and three-layer networks in plain numpy with
the backward pass by hand. One line of the slide's two-layer net is wrong: `grads['b1'] = np.sum(dz1, axis=0)` sums
the gradient ABOVE the sigmoid. A gradient checker (central differences, tinygrad_edu.gradcheck.check_grads) finds
it, points at b1 and says what the wrong value is; the fixed line passes, and so does the three-layer net, whose
`da2 = dz2` aliasing trap we explain. The homework files live in lessons/homework/ (each opens with its own
`tinygrad-edu gradcheck` command).

Run it:   tinygrad-edu lesson 4 [--step] [--out out]     (or: python lessons/04_homework_gradient_check.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.homework import three_layer_net, two_layer_net, two_layer_net_slide
from lessons.runner import Lesson
from tinygrad_edu.gradcheck import check_grads
from tinygrad_edu.nn import functional as F

NOTES = "003"
RUN_TIME = "1 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

SEED = 0                 # the small problem's weights and data (two_layer_net_slide.small_problem)
H_STEP = 1e-5            # the checker's step h in the central differences (L(p + h) - L(p - h)) / 2h


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. The slide's two-layer net, and how to check a backward pass")
    lesson.say("""
        The homework net (003 Backprop & CNN, "Write your codes"; lessons/homework/two_layer_net_slide.py, as the
        slide writes it) computes its **forward pass** (순전파) and writes its **backpropagation** (역전파) by
        hand. A **gradient check** (기울기 확인) compares each hand-written gradient with the **numerical
        derivative** (수치 미분), central differences, entry by entry:

            forward:  a1 = x.W1 + b1,   z1 = sigmoid(a1),   a2 = z1.W2 + b2,
                      y = softmax(a2),   loss = cross-entropy
            backward: dy = (y - t) / N
                      grads['W2'] = z1^T.dy          grads['b2'] = np.sum(dy, axis=0)
                      dz1 = dy.W2^T                  da1 = z1 * (1 - z1) * dz1
                      grads['W1'] = x^T.da1          grads['b1'] = np.sum(dz1, axis=0)     <- the slide

        How do we know a hand-written backward is right? Ask the loss itself: nudge one entry of a parameter by
        `+-h` and the loss changes by about `2h * dL/dp` (a **central difference**). `check_grads` does that for
        every entry (float64, h = 1e-5) and compares with the hand-written gradient by relative error
        `|a - n| / (|a| + |n|)`: about 1e-8 for correct code, near 1 for a wrong formula.
    """)
    net, x, t = two_layer_net_slide.small_problem(SEED)    # N=6 samples, D=4, H=5, C=3; weights of std 1
    lesson.say(f"A small problem keeps every entry checkable: x {x.shape}, t {t.shape} (one-hot), "
               f"W1 {net.params['W1'].shape}, W2 {net.params['W2'].shape}.")
    report = check_grads(lambda: net.loss(x, t), net.params, net.gradient(x, t), h=H_STEP)
    report.print(console=lesson.console)
    lesson.check("the check fails", report.passed, False)
    lesson.check("W1, W2 and b2 pass", [report[n].passed for n in ("W1", "W2", "b2")], [True, True, True])
    lesson.check("b1 fails: the checker points at b1", report["b1"].passed, False)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. Why b1 is wrong, and the fix")
    lesson.say("""
        b1 is added to a1, **below** the sigmoid, so its gradient is the batch sum of the gradient at a1, which is
        da1. The slide sums dz1, the gradient **above** the sigmoid: it skips the sigmoid's derivative z1 (1 - z1).
        W1 got it right (`x^T.da1`), so only b1 is wrong. The diagnosis goes one step further:
        `sum(dz1) = sum(dy.W2^T) = W2 . sum(dy) = W2 @ grads['b2']` - the b2 gradient pushed back through W2.
    """)
    lesson.erratum("""
        (003 homework, the two-layer net) `grads['b1'] = np.sum(dz1, axis=0)` must be `np.sum(da1, axis=0)`.
    """)
    grads = net.gradient(x, t)
    a1 = x @ net.params["W1"] + net.params["b1"]
    z1 = two_layer_net_slide.sigmoid(a1)
    dz1 = (two_layer_net_slide.softmax(z1 @ net.params["W2"] + net.params["b2"]) - t) / len(x) @ net.params["W2"].T
    da1 = z1 * (1 - z1) * dz1
    lesson.ask("the slide skips the sigmoid's derivative, the factor z1 (1 - z1) between dz1 and da1: at most how "
               "large can that factor be (so |da1| is at most what fraction of |dz1|, entry by entry)?", 0.25, 0.01,
               f"z (1 - z) is a parabola in z with its top at z = 1/2: 1/2 . (1 - 1/2) = 1/4; on this batch its "
               f"largest entry is {np.max(z1 * (1 - z1)):.3f}")
    lesson.show("the wrong b1 and the right one", f"""
        slide:   np.sum(dz1, axis=0) = {np.round(grads['b1'], 4).tolist()}
        W2 @ grads['b2']            = {np.round(net.params['W2'] @ grads['b2'], 4).tolist()}
        fixed:   np.sum(da1, axis=0) = {np.round(da1.sum(axis=0), 4).tolist()}
        numeric (central differences) = {np.round(report['b1'].numeric_grad, 4).tolist()}""")
    lesson.check("the slide's b1 gradient equals W2 @ grads['b2']", grads["b1"], net.params["W2"] @ grads["b2"])
    lesson.check("np.sum(da1, axis=0) equals the numeric gradient", da1.sum(axis=0), report["b1"].numeric_grad,
                 atol=1e-8)

    lesson.say("""
        The fix is one word, `dz1` -> `da1` (lessons/homework/two_layer_net.py). Check the fixed backward on the
        **same** weights and data:
    """)
    fixed = two_layer_net.TwoLayerNet.gradient(net, x, t)  # the fixed method, applied to the slide's net
    fixed_report = check_grads(lambda: net.loss(x, t), net.params, fixed, h=H_STEP)
    fixed_report.print(console=lesson.console)
    lesson.check("the fixed two-layer net passes", fixed_report.passed, True)
    lesson.check("b1's largest relative error is below 1e-6", fixed_report["b1"].max_rel_error < 1e-6, True)

    lesson.say("""
        The autograd engine agrees: build the same forward pass from Tensors, call backward, and compare.
    """)
    params = {k: tg.Tensor(v, requires_grad=True, name=k, dtype=tg.float64) for k, v in net.params.items()}
    with tg.watch():
        X = tg.Tensor(x, name="x", dtype=tg.float64)
        hidden = (X @ params["W1"] + params["b1"]).sigmoid()                 # z1 (N, H)
        scores = hidden @ params["W2"] + params["b2"]                       # a2 (N, C)
        loss = F.cross_entropy(scores, t.argmax(axis=1))                    # mean over the batch
        loss.name = "loss"
        loss.backward(retain_graph=True)                  # kept: the b key can replay it
    lesson.check("autograd's loss equals the homework's", loss.item(), net.loss(x, t))
    lesson.check("autograd's b1 gradient equals the fixed one", params["b1"].grad.numpy(), fixed["b1"])
    lesson.check("autograd's W1 gradient equals the hand-written one", params["W1"].grad.numpy(), fixed["W1"])
    title = "the homework net in tensor mode: b1's gradient arrives below the Sigmoid"
    lesson.picture(visualize.draw(loss, direction="both", rankdir="TB", title=title),
                   "04_two_layer_net", "b1 joins at the Add below the Sigmoid, so its gradient is da1's batch sum")
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. The three-layer net and the da2 = dz2 aliasing trap")
    lesson.say("""
        The three-layer variant puts a ReLU in the middle (sigmoid, ReLU, softmax). The slide writes its backward as

            dz2 = dy @ W3.T
            da2_mask = (a2 <= 0)
            da2 = dz2                 <- NOT a copy: da2 and dz2 are two names for ONE array
            da2[da2_mask] = 0         <- so this also zeroes entries of dz2

        Harmless on the slide (dz2 is never read again), a classic trap as soon as it is: a later line, a debug
        print or a check of dz2 sees the masked values. Watch it happen:
    """)
    dz2 = np.array([[0.5, -0.2, 0.3], [-0.1, 0.4, -0.6]])
    a2 = np.array([[1.0, -2.0, 0.5], [-1.0, 3.0, 2.0]])
    before = dz2.copy()
    da2 = dz2                                               # the slide's line
    da2[a2 <= 0] = 0
    lesson.show("da2 = dz2; da2\\[a2 <= 0] = 0", f"""
        dz2 before   = {before.tolist()}
        dz2 after    = {dz2.tolist()}      (changed: it is the same array)
        np.shares_memory(da2, dz2) = {np.shares_memory(da2, dz2)}
        the safe forms: da2 = dz2 * (a2 > 0)   or   da2 = dz2.copy(); da2\\[a2 <= 0] = 0""")
    lesson.check("the in-place mask also zeroed dz2", dz2, before * (a2 > 0))
    lesson.erratum("""
        (003 homework, the three-layer net) `da2 = dz2` is not a copy; write `da2 = dz2 * (a2 > 0)`.
    """)
    lesson.say("""
        lessons/homework/three_layer_net.py writes `da2 = dz2 * (a2 > 0)`, a new array. The checker also restores
        (and reports) any array a student's code writes into, so such a write cannot fool it. The three-layer
        net passes:
    """)
    three = three_layer_net.check()                         # {"loss_fn", "params", "grads"}: N=8, 4-6-5-3
    three_report = check_grads(**three, h=H_STEP)
    three_report.print(console=lesson.console)
    lesson.check("the three-layer net passes", three_report.passed, True)
    lesson.check("it checked all six: W1, b1, W2, b2, W3, b3", len(three_report), 6)
    lesson.say("""
        Check your own homework the same way: `tinygrad-edu gradcheck my_net.py:check`, where `check()` returns
        `{"loss_fn": ..., "params": ..., "grads": ...}` (see lessons/homework/README.md). The command runs your
        file in a separate, sandboxed process that only evaluates your loss at the points the checker picks;
        the differences and the verdict are computed outside it, so no print, exit or patch in your code can
        turn a wrong gradient into a pass.
    """)

    lesson.recap(
        "Check any hand-written backward pass against central differences, parameter by parameter.",
        "Read a failing check: which parameter, which entry, and what the wrong gradient equals "
        "(here W2 @ grads['b2']).",
        "Spot the in-place aliasing trap (da2 = dz2 then da2[...] = 0) before it corrupts a gradient.")
    lesson.now_you(4, [
        ("H_STEP = 1e-2", "(a big step)",
         "the slide's b1 still fails (relative error 0.9) and the right gradients still pass, but their errors "
         "grow from about 1e-9 to about 6e-6 (the h^2 term of the central difference): the lesson stops at "
         "\"np.sum(da1, axis=0) equals the numeric gradient\", which asks for 1e-8"),
        ("H_STEP = 1e-10", "(a tiny step)",
         "rounding noise: L(p + h) - L(p - h) keeps only a few digits, the correct W1 FAILs with a relative error "
         "near 2e-4 (a false alarm) and the lesson stops at \"W1, W2 and b2 pass\""),
        ("SEED = 1", "(other weights and data)",
         "the same diagnosis on other numbers: b1 fails (relative error 1.0: one entry even has the wrong sign, "
         "0.188 against -0.006), the fix passes with errors near 1e-9, all 13 checks pass"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
