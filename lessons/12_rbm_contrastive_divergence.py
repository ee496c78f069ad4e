"""Lesson 12: the restricted Boltzmann machine and contrastive divergence

Follows note 002 (Deep Learning Model - Quick View, *Restricted Boltzmann Machine*): an RBM's hidden units switch
on with p(h|v) = sigmoid(vW + b), a reconstruction comes back with p(v|h) = sigmoid(hW^T + a), and CD-k moves W by
dW = lr (v0^T h0 - vk^T hk). We replay the notes' worked example (지훈, 영수, 태희, 동건 and 소영 and their six
subjects, lr 0.3, k = 1) with the slides' own samples and correct their slips, repeat the update until it
converges and read the hidden units as taste factors, recommend subjects with them, then train on
bars-and-stripes with CD-1, CD-3 and persistent CD measured by the exact likelihood, and draw the Gibbs chain.
An optional last part derives the update from the free energy.

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

# The notes' data: 5 students x 6 subjects, 1 = likes it.
STUDENTS = ["지훈", "영수", "태희", "동건", "소영"]
SUBJECTS = ["국어", "수학", "영어", "사회", "과학", "한국사"]   # Korean, Math, English, Social, Science, Korean history
V0 = np.array([[1, 0, 1, 0, 0, 0],
               [0, 1, 1, 0, 1, 0],
               [1, 0, 1, 1, 0, 1],
               [1, 1, 0, 1, 0, 1],     # the table above the slide says [0,1,0,1,0,1]; the slides compute with this
               [0, 1, 0, 0, 1, 0]])
W0 = np.array([[0.2, -0.2], [-0.7, 0.1], [0.8, -0.5], [-0.4, -0.2], [0.2, 0.4], [-0.1, 0.1]])   # (6 visible, 2 hidden)
H0 = np.array([[1, 0], [1, 1], [1, 0], [0, 0], [0, 1]])                                        # sampled on the slides
V1 = np.array([[1, 0, 1, 1, 0, 0], [1, 0, 1, 1, 1, 0], [0, 0, 1, 1, 1, 0], [1, 0, 1, 0, 0, 1], [0, 1, 0, 0, 1, 0]])
H1 = np.array([[1, 0], [1, 0], [1, 1], [1, 0], [0, 1]])
# The slide's p(v1|h) (002, step 3), as printed: two decimals
SLIDE_P_V1 = np.array([[0.55, 0.33, 0.69, 0.60, 0.55, 0.48], [0.50, 0.35, 0.57, 0.55, 0.65, 0.50],
                       [0.55, 0.33, 0.69, 0.60, 0.55, 0.48], [0.50, 0.50, 0.50, 0.50, 0.50, 0.50],
                       [0.45, 0.52, 0.38, 0.45, 0.60, 0.52]])
LR = 0.3
TOLERANCE = 1e-3         # section 3: "until convergence" = until no entry of dW is this large
K_VALUES = (1, 3)        # section 5: CD-k for these k (and persistent CD-3)


def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=np.float64)))


def grid(a):
    """A matrix as text, its rows lined up inside an indented lesson.show body."""
    return np.array2string(np.asarray(a)).replace("\n", "\n        ")


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. Up and down: p(h|v) and p(v|h)")
    lesson.say("""
        A **restricted Boltzmann machine** (제한된 볼츠만 머신, RBM) learns without labels (**unsupervised
        learning**, 비지도 학습). It has **visible units** (가시 유닛) v, the data, and **hidden units** (은닉 유닛)
        h, joined by one weight matrix W (6 x 2 here) and no links inside a layer. So every hidden unit decides on
        its own, given v: `p(h_j = 1 | v) = sigmoid(sum_i v_i W_ij + b_j)`, and back down
        `p(v_i = 1 | h) = sigmoid(sum_j h_j W_ij + a_i)`. The notes' example has no biases.
    """)
    rbm = RBM(6, 2, bias=False, weight=W0)
    lesson.focus(rbm.chain_graph(V0, k=1))                 # --step: b steps v0 -> h0 -> v1 -> h1 (mean field)
    rows = "\n        ".join(f"{name:<3} {row}" for name, row in zip(STUDENTS, grid(V0).split("\n        ")))
    lesson.show("the notes' example: no biases, learning rate 0.3, k = 1", f"""
        v0: 5 students x 6 subjects, 1 = likes it
        subjects 국어 수학 영어 사회 과학 한국사
        (Korean, Math, English, Social, Science, Korean history)
        {rows}
        W (6 visible x 2 hidden):
        {grid(W0)}""")
    lesson.erratum("""
        the table of students gives the 4th student as `[0, 1, 0, 1, 0, 1]` (동건), but the matrix v the slides
        compute with has `[1, 1, 0, 1, 0, 1]` in that row. We use the slides' matrix, so that every number below
        replays theirs.
    """)
    p_h = rbm.p_h_given_v(V0)
    lesson.ask("student 1 likes Korean and English (지훈: 국어, 영어), v = [1, 0, 1, 0, 0, 0]: what is p(h1 = 1 | v) = "
               "sigmoid(v . W[:, 0])?", 1 / (1 + np.exp(-(W0[0, 0] + W0[2, 0]))), 0.02,
               "v . W[:, 0] = 0.2 + 0.8 = 1.0, and sigmoid(1.0) = 0.731")
    lesson.table("p(h|v) = sigmoid(v W), one row per student", ["student", "p(h1|v)", "p(h2|v)"],
                 [(f"{i + 1} {STUDENTS[i]}", *row) for i, row in enumerate(p_h)])
    lesson.check("p(h|v)", p_h, [[0.731, 0.332], [0.574, 0.500], [0.622, 0.310], [0.269, 0.450], [0.378, 0.622]],
                 atol=1e-3)
    lesson.say("""
        A unit is switched on when its probability beats a uniform random draw. The slides give the draws'
        outcome, h0, and so do we (`h0=`), to replay their numbers exactly.
    """)
    lesson.show("h0, sampled on the slides (one row per student)", f"""
        {grid(H0)}""")
    p_v1 = rbm.p_v_given_h(H0)
    lesson.table("p(v1|h0) = sigmoid(h0 W^T), the reconstruction (재구성)", ["student"] + SUBJECTS,
                 [(f"{i + 1} {STUDENTS[i]}", *row) for i, row in enumerate(p_v1)])
    slide_wt = W0.T.copy()
    slide_wt[0, 3] = -slide_wt[0, 3]                       # the slide's h.W^T: W_41 printed as +0.4
    lesson.erratum("""
        two entries of the slide's p(v1|h) look wrong, row 1, 4th subject (`sigmoid(-0.4) = 0.401`, the slide says
        0.60) and row 2, 4th subject (`sigmoid(-0.6) = 0.354`, the slide says 0.55), but they have **one cause**.
        The slide prints h.W^T as a 2x6 matrix - that is W^T itself (the rows h = (1,0) and (0,1)), not the 5x6
        product - and in it W_41 = -0.4 lost its minus sign: +0.4. With that one sign, both numbers, and the
        slide's whole matrix, come out exactly:
    """)
    lesson.show("the slide's h.W^T, with +0.4 where W_41 = -0.4", f"""
        slide h.W^T =
        {grid(slide_wt)}
        row 1, h = (1, 0): sigmoid(+0.4)       = {sigmoid(0.4):.3f}   (slide 0.60)
        row 2, h = (1, 1): sigmoid(+0.4 - 0.2) = {sigmoid(0.4 - 0.2):.3f}   (slide 0.55)
        the right values:  sigmoid(-0.4) = {sigmoid(-0.4):.3f},  sigmoid(-0.4 - 0.2) = {sigmoid(-0.6):.3f}""")
    lesson.check("sigmoid(0.4) = 0.599: the slide's 0.60", sigmoid(0.4), 0.599, atol=5e-4)
    lesson.check("sigmoid(0.4 - 0.2) = 0.550: the slide's 0.55", sigmoid(0.4 - 0.2), 0.550, atol=5e-4)
    lesson.check("sigmoid(h0 . slide's W^T), rounded to 2 places, is the slide's whole p(v1|h) (30 entries)",
                 np.round(sigmoid(H0 @ slide_wt), 2), SLIDE_P_V1, atol=1e-9)
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
        **Contrastive divergence** (대조 발산, CD-k) compares what the data switches on with what the model's own
        reconstruction switches on after k steps of **Gibbs sampling** (깁스 샘플링, v0 -> h0 -> v1 -> h1):
        `dW = lr (v0^T h0 - v1^T h1)` (lr: the **learning rate**, 학습률). The first term pulls W toward the data,
        the second pushes it away from the model's fantasies. The slides sample v1 and h1 too; we supply them
        (`vk=`, `hk=`).
    """)
    lesson.show("v1 and h1, sampled on the slides", f"""
        v1 =
        {grid(V1)}
        h1 =
        {grid(H1)}""")
    step = rbm.cd_step(V0, k=1, lr=LR, h0=H0, vk=V1, hk=H1)
    lesson.check("v0^T h0 (positive statistics)", step.positive.astype(int),    # counts: whole numbers
                 [[2, 0], [1, 2], [3, 1], [1, 0], [1, 2], [1, 0]])
    lesson.check("v1^T h1 (negative statistics)", step.negative.astype(int),
                 [[3, 0], [0, 1], [4, 1], [3, 1], [2, 2], [1, 0]])
    lesson.erratum("""
        row 5, column 2 of the difference is `2 - 2 = 0`; the slide writes 0.3 there and carries the slip into
        W1 (0.7 instead of 0.4).
    """)
    lesson.check("dW = 0.3 (v0^T h0 - v1^T h1)", step.dW,
                 [[-0.3, 0], [0.3, 0.3], [-0.3, 0], [-0.6, -0.3], [-0.3, 0], [0, 0]], atol=1e-9)
    lesson.check("W1 = W + dW (slide: 0.7 at row 5, column 2)", rbm.weight.numpy(),
                 [[-0.1, -0.2], [-0.4, 0.4], [0.5, -0.5], [-1.0, -0.5], [-0.1, 0.4], [-0.1, 0.1]], atol=1e-9)

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. Repeat until convergence, then read the hidden units")
    lesson.say(f"""
        The slides end with "수렴할 때까지 1 ~ 7 반복하며 Weight update": repeat steps 1 to 7 until the weights
        **converge** (수렴하다), i.e. stop changing. We do exactly that on the five students, from the slides' W,
        lr 0.3, stopping when no entry of dW is above {TOLERANCE:g}. Two changes make "stop changing" reachable:
        dW is averaged over the students (so lr does not grow with the class), and the statistics use p(h|v)
        instead of sampled h (a sampled h jitters forever; this is the usual practice), with the model drawing
        its own v1 from a seeded generator.
    """)
    taste = RBM(6, 2, bias=False, weight=W0, rng=0)
    updates, last = 0, None
    while updates < 5000 and (last is None or np.abs(last.dW).max() >= TOLERANCE):    # until convergence
        last = taste.cd_step(V0, k=1, lr=LR, use_probabilities=True, average=True)
        updates += 1
    weights = taste.weight.numpy()
    lesson.say(f"It converged after **{updates}** updates (largest |dW| {np.abs(last.dW).max():.1e}).")
    lesson.check(f"training stopped by the rule: every |dW| below {TOLERANCE:g}, in fewer than 5000 updates",
                 bool(np.abs(last.dW).max() < TOLERANCE and updates < 5000), True)
    lesson.table("the learned W: what each hidden unit listens to", ["subject", "h1", "h2"],
                 [(f"{subject}", *row) for subject, row in zip(SUBJECTS, weights)])
    on = taste.p_h_given_v(V0)
    lesson.table("p(h|v) of each student after training", ["student", "likes", "p(h1|v)", "p(h2|v)"],
                 [(STUDENTS[i], " ".join(s for s, x in zip(SUBJECTS, V0[i]) if x), *on[i]) for i in range(5)])
    lesson.say("""
        Read the columns of W as **taste factors**, the notes' reading of the hidden layer: h1 has large positive
        weights on 국어, 사회 and 한국사 and negative ones on 수학 and 과학 - a liking for the humanities (문과
        취향); h2 is its mirror, 수학 and 과학 - a liking for the sciences (이과 취향). 영어, liked by both kinds
        of student, weighs little in either. Each student switches on the factor that explains them: 지훈, 태희
        and 동건 turn on h1, 영수 and 소영 h2. Two numbers per student now summarise six.
    """)
    humanities, science = [0, 3, 5], [1, 4]                # 국어, 사회, 한국사 / 수학, 과학
    lesson.check("h1 weighs 국어, 사회, 한국사 positively and 수학, 과학 negatively (the humanities factor)",
                 bool(np.all(weights[humanities, 0] > 0) and np.all(weights[science, 0] < 0)), True)
    lesson.check("h2 is the mirror: 수학, 과학 positive, 국어, 사회, 한국사 negative (the sciences factor)",
                 bool(np.all(weights[science, 1] > 0) and np.all(weights[humanities, 1] < 0)), True)
    lesson.check("the unit each student turns on most (0 = h1, 1 = h2), 지훈 영수 태희 동건 소영",
                 on.argmax(axis=1), [0, 1, 0, 0, 1])

    # ------------------------------------------------------------------------------------------------
    lesson.section("4. An application: recommending a subject")
    lesson.say("""
        A new student tells us only one subject they like. Up (p(h|v): which taste?) and down again (p(v|h):
        what does that taste like?) gives a probability for every subject: recommend the highest one they have
        not named. This is how RBMs were used for recommendation (the Netflix prize's RBM), at the size of the
        notes' example.
    """)
    rows, picks = [], {}
    for liked in ("수학", "국어"):
        v = np.zeros((1, 6))
        v[0, SUBJECTS.index(liked)] = 1
        p_v = taste.p_v_given_h(taste.p_h_given_v(v))[0]
        ranked = [SUBJECTS[i] for i in np.argsort(-p_v) if SUBJECTS[i] != liked]
        picks[liked] = (ranked[0], p_v)
        rows.append((liked, *p_v, ranked[0]))
    lesson.table("p(v|h(v)) for a student who names one subject", ["likes"] + SUBJECTS + ["recommend"], rows)
    lesson.check("likes 수학 -> recommend 과학", picks["수학"][0] == "과학", True)
    lesson.check("likes 국어 -> not 과학 (p below 0.1)", bool(picks["국어"][1][SUBJECTS.index("과학")] < 0.1), True)

    # ------------------------------------------------------------------------------------------------
    lesson.section("5. Training: CD-1 against CD-k and persistent CD, measured by the exact likelihood")
    lesson.say("""
        Bars and stripes: every 3x3 image whose rows (or columns) are all on or all off, 14 images. With 9 visible
        units we can enumerate all 2^9 images and compute the exact log-likelihood - no guessing whether training
        worked. The notes explain k: the exact gradient needs the chain run "until convergence" (v^(t-1) = v^(t)),
        which costs too much per update, so CD stops after k steps ("k번의 시행만으로", usually k = 1). More steps
        cost k times the sampling but bring the negative statistics closer to the model's own distribution.
        Persistent CD (지속 대조 발산) keeps its Gibbs chain running across updates instead of restarting it at
        the data. Here nobody hands us the samples: each model draws them from its own seeded generator
        (`rng=0`), so the run is reproducible.
    """)
    data = bars_and_stripes(3)
    epochs = 1500                  # 2 mini-batches of 7 per epoch: 3000 updates, about a second (also with --fast)
    start = RBM(9, 16, rng=0).log_likelihood(data)
    results = {}
    runs = [(f"CD-{k}", k, False) for k in K_VALUES] + [("PCD-3", 3, True)]
    for name, k, persistent in runs:
        model = RBM(9, 16, rng=0)
        model.fit(data, epochs=epochs, batch_size=7, k=k, lr=0.05, persistent=persistent, console=lesson.console)
        results[name] = (model, model.log_likelihood(data))
    lesson.table("average exact log-likelihood of the 14 images (the best possible is -ln 14 = -2.64)",
                 ["model", "log-likelihood"], [("untrained", start)] + [(n, ll) for n, (_, ll) in results.items()])
    gain = results["CD-1"][1] - start
    lesson.say(f"CD-1 gained {gain:.2f} nats per image; at the same number of updates CD-3 gained "
               f"{results['CD-3'][1] - start:.2f} and persistent CD {results['PCD-3'][1] - start:.2f}.")
    lesson.check("CD-1 raises the log-likelihood by more than a nat", bool(gain > 1.0), True)
    lesson.check("CD-3 ends above CD-1 (the same updates, three Gibbs steps each)",
                 bool(results["CD-3"][1] > results["CD-1"][1]), True)
    lesson.check("no model beats the data's own distribution (-ln 14)",
                 bool(max(ll for _, ll in results.values()) < -np.log(14)), True)

    model = results["PCD-3"][0]
    recon = model.p_v_given_h(model.sample_h(data[:4]))
    lesson.table("reconstructions p(v|h(v)) of four images, rounded", ["image", "data", "reconstruction"],
                 [(i, "".join(str(int(b)) for b in data[i]), "".join(str(int(round(p))) for p in recon[i]))
                  for i in range(4)])

    # ------------------------------------------------------------------------------------------------
    lesson.section("6. The Gibbs chain as a graph")
    lesson.say("""
        v0 -> h0 -> v1 -> h1 -> v2 -> h2: each arrow is one sigmoid of a product with W (down with W^T). Drawn with
        probabilities in place of samples, the chain is an ordinary computational graph, one box per step.
    """)
    chain = model.chain_graph(data[:2], k=2)
    lesson.picture(visualize.draw(chain, collapse=1, rankdir="TB", show=("data",), color_by=None,
                                  title="RBM Gibbs chain (mean field): v0 -> h0 -> v1 -> h1 -> v2 -> h2"),
                   "12_gibbs_chain", "the chain v0 -> h0 -> v1 -> h1 -> v2 -> h2, a box per step, every step "
                                     "using the same weight (down through its transpose, Permute)")
    lesson.check("the chain's output h2: 2 images x 16 hidden units", chain.shape, (2, 16))

    # ------------------------------------------------------------------------------------------------
    lesson.section("7. Optional: why this update (the free energy)")
    lesson.say("""
        *Optional, for the curious; nothing later needs it.* Summing h out of the RBM's energy leaves the
        **free energy** (자유 에너지) `F(v) = -a.v - sum_j softplus(b_j + (vW)_j)`, and p(v) is proportional to
        `exp(-F(v))`. The CD update is minus the gradient of `sum F(v0) - sum F(vk)` with vk held fixed, when
        p(h|v) stands in for the sampled h; the notes' sampled version agrees with it on average. Autograd
        shows it:
    """)
    probe = RBM(6, 2, bias=False, weight=W0)
    exact = probe.cd_step(V0, k=1, lr=1.0, vk=V1, use_probabilities=True, apply=False)
    W = tg.Tensor(W0, dtype=np.float64, requires_grad=True)
    surrogate = RBM(6, 2, bias=False, weight=W0)
    surrogate.weight = tg.nn.Parameter(W)
    difference = surrogate.free_energy(V0).sum() - surrogate.free_energy(V1).sum()
    difference.backward()
    lesson.focus(difference)
    lesson.check("autograd d/dW [F(v0) - F(v1)] = -dW/lr (probability statistics)", surrogate.weight.grad.numpy(),
                 -exact.dW, atol=1e-10)

    lesson.recap(
        "Compute p(h|v) and p(v|h) by hand and run one CD-1 step of the notes' example, slips corrected.",
        "Train an RBM until it converges and read its hidden units as factors (here: humanities vs sciences taste).",
        "Compare CD-1, CD-k and persistent CD by exact likelihood, and use an RBM to recommend.")
    lesson.now_you(12, [
        ("LR = 0.6", "",
         "dW doubles, [[-0.6, 0], [0.6, 0.6], ...], and the check of the notes' dW stops the lesson: every entry "
         "of a CD update is proportional to the learning rate"),
        ("K_VALUES = (1, 3, 10)", "",
         "a CD-10 row joins the table, higher again (about -3.48 against CD-3's -3.66 and CD-1's -3.94) and about "
         "twice as slow as CD-3"),
    ])


if __name__ == "__main__":
    Lesson.main(run, __doc__)
