"""Lesson 12: the restricted Boltzmann machine and contrastive divergence

Follows note 002 ("Deep learning quick view"): an RBM's hidden units switch on with p(h|v) = sigmoid(vW + b),
a reconstruction comes back with p(v|h) = sigmoid(hW^T + a), and CD-k moves W by
dW = lr (v0^T h0 - vk^T hk). We replay the notes' worked example (5 students x 6 subjects, lr 0.3, k = 1) with
the slides' own samples and correct their slips, then train on bars-and-stripes with CD-1 and persistent CD and
measure the exact likelihood, and draw the Gibbs chain.

Run it:   tinygrad-edu lesson 12 [--step] [--out out]     (or: python lessons/12_rbm_contrastive_divergence.py)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from tinygrad_edu.data import bars_and_stripes
from tinygrad_edu.rbm import RBM

NOTES = "002"
RUN_TIME = "3 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

# The notes' data: 5 students x 6 subjects (Korean, Math, English, Social, Science, Korean history), 1 = likes it.
V0 = np.array([[1, 0, 1, 0, 0, 0],
               [0, 1, 1, 0, 1, 0],
               [1, 0, 1, 1, 0, 1],
               [1, 1, 0, 1, 0, 1],     # the table above the slide says [0,1,0,1,0,1]; the slides compute with this
               [0, 1, 0, 0, 1, 0]])
W0 = np.array([[0.2, -0.2], [-0.7, 0.1], [0.8, -0.5], [-0.4, -0.2], [0.2, 0.4], [-0.1, 0.1]])   # (6 visible, 2 hidden)
H0 = np.array([[1, 0], [1, 1], [1, 0], [0, 0], [0, 1]])                                        # sampled on the slides
V1 = np.array([[1, 0, 1, 1, 0, 0], [1, 0, 1, 1, 1, 0], [0, 0, 1, 1, 1, 0], [1, 0, 1, 0, 0, 1], [0, 1, 0, 0, 1, 0]])
H1 = np.array([[1, 0], [1, 0], [1, 1], [1, 0], [0, 1]])
LR = 0.3


def grid(a):
    """A matrix as text, its rows lined up inside an indented lesson.show body."""
    return np.array2string(np.asarray(a)).replace("\n", "\n        ")


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. Up and down: p(h|v) and p(v|h)")
    lesson.say("""
        An RBM has visible units v (the data) and hidden units h, joined by one weight matrix W (6 x 2 here)
        and no links inside a layer. So every hidden unit decides on its own, given v:
        `p(h_j = 1 | v) = sigmoid(sum_i v_i W_ij + b_j)`, and back down
        `p(v_i = 1 | h) = sigmoid(sum_j h_j W_ij + a_i)`. The notes' example has no biases.
    """)
    lesson.show("the notes' example: no biases, learning rate 0.3, k = 1", f"""
        v0: 5 students x 6 subjects (Korean, Math, English, Social, Science, Korean history), 1 = likes it
        {grid(V0)}
        W (6 visible x 2 hidden):
        {grid(W0)}""")
    lesson.say("""
        A mismatch in the notes: the table of students gives the 4th student as `[0, 1, 0, 1, 0, 1]`, but the
        matrix v the slides compute with has `[1, 1, 0, 1, 0, 1]` in that row. We use the slides' matrix, so
        that every number below replays theirs.
    """)
    rbm = RBM(6, 2, bias=False, weight=W0)
    p_h = rbm.p_h_given_v(V0)
    lesson.ask("student 1 likes Korean and English, v = [1, 0, 1, 0, 0, 0]: what is p(h1 = 1 | v) = "
               "sigmoid(v . W[:, 0])?", 1 / (1 + np.exp(-(W0[0, 0] + W0[2, 0]))), 0.02,
               "v . W[:, 0] = 0.2 + 0.8 = 1.0, and sigmoid(1.0) = 0.731")
    lesson.table("p(h|v) = sigmoid(v W), one row per student", ["student", "p(h1|v)", "p(h2|v)"],
                 [(i + 1, *row) for i, row in enumerate(p_h)])
    lesson.check("p(h|v)", p_h, [[0.731, 0.332], [0.574, 0.500], [0.622, 0.310], [0.269, 0.450], [0.378, 0.622]],
                 atol=1e-3)
    lesson.say("""
        A unit is switched on when its probability beats a uniform random draw. The slides give the draws'
        outcome, h0, and so do we (`h0=`), to replay their numbers exactly.
    """)
    lesson.show("h0, sampled on the slides (one row per student)", f"""
        {grid(H0)}""")
    p_v1 = rbm.p_v_given_h(H0)
    lesson.table("p(v1|h0) = sigmoid(h0 W^T)", ["student"] + [f"v{i + 1}" for i in range(6)],
                 [(i + 1, *row) for i, row in enumerate(p_v1)])
    lesson.say("""
        Two slips on the slides: row 1, 4th subject is `sigmoid(-0.4) = 0.401` (the slide says 0.60), and row 2,
        4th subject is `sigmoid(-0.6) = 0.354` (the slide says 0.55). The slide also prints h.W^T as a 2x6 matrix:
        that is W^T itself (the rows h = (1,0) and (0,1)), not the 5x6 product.
    """)
    lesson.check("p(v1|h0), student 1 (slide: 0.60 for the 4th)", p_v1[0], [0.550, 0.332, 0.690, 0.401, 0.550, 0.475],
                 atol=1e-3)
    lesson.check("p(v1|h0), student 2 (slide: 0.55 for the 4th)", p_v1[1], [0.500, 0.354, 0.574, 0.354, 0.646, 0.500],
                 atol=1e-3)
    lesson.check("p(v1|h0), student 4 (h0 = 0: all one half)", p_v1[3], np.full(6, 0.5))
    lesson.check("p(v1|h0), student 5", p_v1[4], [0.450, 0.525, 0.378, 0.450, 0.599, 0.525], atol=1e-3)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. One step of contrastive divergence (CD-1), as on the slides")
    lesson.say("""
        CD-k compares what the data switches on with what the model's own reconstruction switches on after k
        steps of Gibbs sampling (v0 -> h0 -> v1 -> h1): `dW = lr (v0^T h0 - v1^T h1)`. The first term pulls
        W toward the data, the second pushes it away from the model's fantasies. The slides sample v1 and h1
        too; we supply them (`vk=`, `hk=`).
    """)
    lesson.show("v1 and h1, sampled on the slides", f"""
        v1 =
        {grid(V1)}
        h1 =
        {grid(H1)}""")
    step = rbm.cd_step(V0, k=1, lr=LR, h0=H0, vk=V1, hk=H1)
    lesson.check("v0^T h0 (positive statistics)", step.positive, [[2, 0], [1, 2], [3, 1], [1, 0], [1, 2], [1, 0]])
    lesson.check("v1^T h1 (negative statistics)", step.negative, [[3, 0], [0, 1], [4, 1], [3, 1], [2, 2], [1, 0]])
    lesson.say("""
        Row 5, column 2 of the difference is `2 - 2 = 0`; the slide writes 0.3 there and carries the slip into
        W1 (0.7 instead of 0.4).
    """)
    lesson.check("dW = 0.3 (v0^T h0 - v1^T h1)", step.dW,
                 [[-0.3, 0], [0.3, 0.3], [-0.3, 0], [-0.6, -0.3], [-0.3, 0], [0, 0]], atol=1e-9)
    lesson.check("W1 = W + dW (slide: 0.7 at row 5, column 2)", rbm.weight.numpy(),
                 [[-0.1, -0.2], [-0.4, 0.4], [0.5, -0.5], [-1.0, -0.5], [-0.1, 0.4], [-0.1, 0.1]], atol=1e-9)

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. Why this update: the free energy")
    lesson.say("""
        Summing h out of the RBM's energy leaves the free energy `F(v) = -a.v - sum_j softplus(b_j + (vW)_j)`,
        and p(v) is proportional to `exp(-F(v))`. The CD update is minus the gradient of
        `sum F(v0) - sum F(vk)` with vk held fixed, when p(h|v) stands in for the sampled h; the notes' sampled
        version agrees with it on average. Autograd shows it:
    """)
    probe = RBM(6, 2, bias=False, weight=W0)
    exact = probe.cd_step(V0, k=1, lr=1.0, vk=V1, use_probabilities=True, apply=False)
    W = tg.Tensor(W0, dtype=np.float64, requires_grad=True)
    surrogate = RBM(6, 2, bias=False, weight=W0)
    surrogate.weight = tg.nn.Parameter(W)
    (surrogate.free_energy(V0).sum() - surrogate.free_energy(V1).sum()).backward()
    lesson.check("autograd d/dW [F(v0) - F(v1)] = -dW/lr (probability statistics)", surrogate.weight.grad.numpy(),
                 -exact.dW, atol=1e-10)

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. Training: CD-1 against persistent CD, measured by the exact likelihood")
    lesson.say("""
        Bars and stripes: every 3x3 image whose rows (or columns) are all on or all off, 14 images. With 9 visible
        units we can enumerate all 2^9 images and compute the exact log-likelihood - no guessing whether training
        worked. Persistent CD keeps its Gibbs chain running across updates instead of restarting it at the data.
        Here nobody hands us the samples: each model draws them from its own seeded generator (`rng=0`), so the
        run is reproducible.
    """)
    data = bars_and_stripes(3)
    epochs = 1500                  # 2 mini-batches of 7 per epoch: 3000 updates, about a second (also with --fast)
    start = RBM(9, 16, rng=0).log_likelihood(data)
    results = {}
    for name, k, persistent in (("CD-1", 1, False), ("PCD-3", 3, True)):
        model = RBM(9, 16, rng=0)
        model.fit(data, epochs=epochs, batch_size=7, k=k, lr=0.05, persistent=persistent, console=lesson.console)
        results[name] = (model, model.log_likelihood(data))
    lesson.table("average exact log-likelihood of the 14 images (the best possible is -ln 14 = -2.64)",
                 ["model", "log-likelihood"], [("untrained", start)] + [(n, ll) for n, (_, ll) in results.items()])
    gain = results["CD-1"][1] - start
    lesson.say(f"CD-1 gained {gain:.2f} nats per image; persistent CD, at the same number of updates, "
               f"{results['PCD-3'][1] - start:.2f}.")
    assert gain > 1.0, f"CD-1 should raise the log-likelihood by more than a nat, got {gain:.2f}"
    assert max(ll for _, ll in results.values()) < -np.log(14), "no model can beat the data's own distribution"

    model = results["PCD-3"][0]
    recon = model.p_v_given_h(model.sample_h(data[:4]))
    lesson.table("reconstructions p(v|h(v)) of four images, rounded", ["image", "data", "reconstruction"],
                 [(i, "".join(str(int(b)) for b in data[i]), "".join(str(int(round(p))) for p in recon[i]))
                  for i in range(4)])

    # ------------------------------------------------------------------------------------------------
    lesson.section("5. The Gibbs chain as a graph")
    lesson.say("""
        v0 -> h0 -> v1 -> h1 -> v2 -> h2: each arrow is one sigmoid of a product with W (down with W^T). Drawn with
        probabilities in place of samples, the chain is an ordinary computational graph, one box per step.
    """)
    chain = model.chain_graph(data[:2], k=2)
    lesson.picture(visualize.draw(chain, collapse=1, rankdir="TB", show=("data",), color_by=None,
                                  title="RBM Gibbs chain (mean field): v0 -> h0 -> v1 -> h1 -> v2 -> h2"),
                   "12_gibbs_chain", "the chain v0 -> h0 -> v1 -> h1 -> v2 -> h2, a box per step, every step "
                                     "using the same weight (down through its transpose, Permute)")
    assert chain.shape == (2, 16) and chain.name == "h2"

    lesson.now_you(12, [
        ("LR = 0.6", "",
         "dW doubles, [[-0.6, 0], [0.6, 0.6], ...], and the check of the notes' dW stops the lesson: every entry "
         "of a CD update is proportional to the learning rate"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
