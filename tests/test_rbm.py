"""RBM: the notes' CD-1 worked example replayed, training measured by exact likelihood, the free-energy
identity checked with autograd, parity with scikit-learn's BernoulliRBM, the Gibbs chain as a graph."""

import io
import itertools

import numpy as np
import pytest
from rich.console import Console

import tinygrad_edu as tg
from tinygrad_edu.graph import trace
from tinygrad_edu.rbm import RBM

# ---------------------------------------------------------------- the notes' example (WORKED_EXAMPLES.md, 002)
# V0 is the matrix the slides compute with (the table above it has [0,1,0,1,0,1] as the 4th student)
V0 = np.array([[1, 0, 1, 0, 0, 0], [0, 1, 1, 0, 1, 0], [1, 0, 1, 1, 0, 1], [1, 1, 0, 1, 0, 1], [0, 1, 0, 0, 1, 0]])
W0 = np.array([[0.2, -0.2], [-0.7, 0.1], [0.8, -0.5], [-0.4, -0.2], [0.2, 0.4], [-0.1, 0.1]])
H0 = np.array([[1, 0], [1, 1], [1, 0], [0, 0], [0, 1]])                     # sampled, given in the slides
V1 = np.array([[1, 0, 1, 1, 0, 0], [1, 0, 1, 1, 1, 0], [0, 0, 1, 1, 1, 0], [1, 0, 1, 0, 0, 1], [0, 1, 0, 0, 1, 0]])
H1 = np.array([[1, 0], [1, 0], [1, 1], [1, 0], [0, 1]])

LOG_14 = np.log(14)


def bars_and_stripes(n=3):
    """Every n x n image whose rows are all equal (bars) or columns all equal (stripes): 2**(n+1) - 2 rows."""
    lines = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(float)     # (2**n, n)
    bars = np.repeat(lines[:, None, :], n, axis=1).reshape(-1, n * n)
    stripes = np.repeat(lines[:, :, None], n, axis=2).reshape(-1, n * n)
    return np.unique(np.concatenate([bars, stripes]), axis=0)


BAS = bars_and_stripes(3)


def test_worked_example_replays_with_the_notes_samples():
    rbm = RBM(6, 2, bias=False, weight=W0)
    np.testing.assert_allclose(rbm.p_h_given_v(V0), [[0.731, 0.332], [0.574, 0.500], [0.622, 0.310],
                                                     [0.269, 0.450], [0.378, 0.622]], atol=1e-3)
    p_v1 = rbm.p_v_given_h(H0)
    np.testing.assert_allclose(p_v1[0], [0.550, 0.332, 0.690, 0.401, 0.550, 0.475], atol=1e-3)   # slide: 0.60
    np.testing.assert_allclose(p_v1[1], [0.500, 0.354, 0.574, 0.354, 0.646, 0.500], atol=1e-3)   # slide: 0.55
    np.testing.assert_allclose(p_v1[2], p_v1[0])                                                  # same h as row 1
    np.testing.assert_allclose(p_v1[3], np.full(6, 0.5))
    np.testing.assert_allclose(p_v1[4], [0.450, 0.525, 0.378, 0.450, 0.599, 0.525], atol=1e-3)

    step = rbm.cd_step(V0, k=1, lr=0.3, h0=H0, vk=V1, hk=H1)
    np.testing.assert_allclose(step.positive, [[2, 0], [1, 2], [3, 1], [1, 0], [1, 2], [1, 0]])
    np.testing.assert_allclose(step.negative, [[3, 0], [0, 1], [4, 1], [3, 1], [2, 2], [1, 0]])
    np.testing.assert_allclose(step.dW, [[-0.3, 0], [0.3, 0.3], [-0.3, 0], [-0.6, -0.3], [-0.3, 0], [0, 0]],
                               atol=1e-3)                                   # slide: 0.3 in row 5, column 2
    np.testing.assert_allclose(rbm.weight.data, [[-0.1, -0.2], [-0.4, 0.4], [0.5, -0.5], [-1.0, -0.5],
                                                 [-0.1, 0.4], [-0.1, 0.1]], atol=1e-3)   # slide: 0.7 (its slip)
    assert step.da is None and step.chain is None and rbm.weight.dtype == np.float64    # W0's dtype


def test_cd_step_without_samples_runs_a_reproducible_chain():
    steps = [RBM(6, 2, bias=False, weight=W0, rng=7).cd_step(V0, k=3, lr=0.3) for _ in range(2)]
    a, b = steps
    assert a.chain.k == 3 and len(a.chain.h) == 4 and a.chain.p_v[0] is None
    np.testing.assert_array_equal(a.dW, b.dW)
    np.testing.assert_array_equal(a.vk, a.chain.v[-1])
    # the update is the notes' formula on the chain's own samples
    np.testing.assert_allclose(a.dW, 0.3 * (V0.T @ a.h0 - a.vk.T @ a.hk), atol=1e-6)
    assert set(np.unique(a.chain.v[2])) <= {0.0, 1.0}


def test_persistent_chain_carries_over_and_rescales_a_different_particle_count():
    rbm = RBM(9, 4, rng=0, dtype=np.float64)
    first = rbm.cd_step(BAS[:4], persistent=True)
    np.testing.assert_array_equal(rbm.persistent_chain, first.vk)
    second = rbm.cd_step(BAS[4:6], persistent=True, apply=False)                # 2 data rows, 4 particles
    np.testing.assert_array_equal(second.chain.v[0], first.vk)
    np.testing.assert_allclose(second.dW, 0.1 * (second.positive - 2 / 4 * second.negative))
    np.testing.assert_array_equal(rbm.persistent_chain, first.vk)              # apply=False: untouched


# ---------------------------------------------------------------- exact metrics
def brute_log_z(rbm):
    w, a, b = rbm._params64()
    states = [np.array(s, dtype=float) for s in itertools.product([0, 1], repeat=rbm.n_visible + rbm.n_hidden)]
    energies = [s[:rbm.n_visible] @ a + s[rbm.n_visible:] @ b + s[:rbm.n_visible] @ w @ s[rbm.n_visible:]
                for s in states]
    return np.log(np.sum(np.exp(energies)))


def random_rbm(n_visible, n_hidden, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    rbm = RBM(n_visible, n_hidden, weight=rng.normal(0, scale, (n_visible, n_hidden)), rng=seed, dtype=np.float64)
    rbm.visible_bias.data[:] = rng.normal(0, scale, n_visible)
    rbm.hidden_bias.data[:] = rng.normal(0, scale, n_hidden)
    return rbm


@pytest.mark.parametrize("n_visible, n_hidden", [(4, 3), (3, 5)])     # enumerates h, then v
def test_log_partition_matches_the_joint_sum(n_visible, n_hidden):
    rbm = random_rbm(n_visible, n_hidden, seed=n_visible)
    assert rbm.log_partition() == pytest.approx(brute_log_z(rbm), rel=1e-12)
    every_v = ((np.arange(2 ** n_visible)[:, None] >> np.arange(n_visible)) & 1).astype(float)
    p = np.exp(-rbm.free_energy(every_v).numpy() - rbm.log_partition())
    assert p.sum() == pytest.approx(1.0, rel=1e-12)
    assert rbm.log_likelihood(every_v[:3]) == pytest.approx(np.log(p[:3]).mean(), rel=1e-12)


def test_pseudo_likelihood_matches_conditionals_from_the_joint():
    rbm = random_rbm(5, 3, seed=1)
    every_v = ((np.arange(32)[:, None] >> np.arange(5)) & 1).astype(float)
    p = np.exp(-rbm.free_energy(every_v).numpy())                              # unnormalized is enough
    data = every_v[[3, 17, 30]]
    expected = np.mean([sum(np.log(p[int(i)] / (p[int(i)] + p[int(i) ^ (1 << bit)])) for bit in range(5))
                        for i in data @ (1 << np.arange(5))])
    assert rbm.pseudo_likelihood(data) == pytest.approx(expected, rel=1e-12)


def test_exact_metrics_refuse_large_models_and_point_to_pseudo_likelihood():
    rbm = RBM(30, 25, rng=0)
    with pytest.raises(ValueError, match=r"30 visible and 25 hidden.*at most 20 units.*pseudo_likelihood"):
        rbm.log_partition()
    assert np.isfinite(rbm.pseudo_likelihood(np.zeros((2, 30))))


# ---------------------------------------------------------------- training, measured by exact likelihood
@pytest.fixture(scope="module")
def trained():
    """CD-1 and PCD-3 on bars-and-stripes 3x3 (14 images), 16 hidden units, 3000 updates each, seeds fixed."""
    models, start = {}, RBM(9, 16, rng=0).log_likelihood(BAS)
    for name, k, persistent in (("cd1", 1, False), ("pcd3", 3, True)):
        rbm = RBM(9, 16, rng=0)
        history = rbm.fit(BAS, epochs=1500, batch_size=7, k=k, lr=0.05, persistent=persistent, progress=False)
        models[name] = (rbm, rbm.log_likelihood(BAS), history)
    return start, models


def test_cd1_training_raises_the_exact_log_likelihood(trained):
    start, models = trained
    rbm, after, history = models["cd1"]
    assert start == pytest.approx(-9 * np.log(2), abs=0.01)      # tiny weights: every image about 2**-9
    assert after > start + 1.5                                    # measured: -6.24 -> -3.94
    assert after < -LOG_14                                        # no model beats the data's own distribution
    assert history[-1] < history[0] and len(history) == 1500


def test_pcd_reaches_at_least_cd1s_likelihood_at_equal_updates(trained):
    _, models = trained
    assert models["pcd3"][1] >= models["cd1"][1]                  # measured: -3.65 vs -3.94


def test_samples_land_on_the_data_as_often_as_the_model_says(trained):
    rbm = trained[1]["pcd3"][0]
    mass = np.exp(-rbm.free_energy(BAS).numpy().astype(float) - rbm.log_partition()).sum()
    samples = rbm.sample(2000, steps=200)
    hits = (samples[:, None, :] == BAS[None]).all(axis=2).any(axis=1).mean()
    assert mass > 0.2 and hits == pytest.approx(mass, abs=0.05)


def test_fit_is_reproducible_and_applies_momentum_and_weight_decay_as_documented():
    a, b = RBM(9, 4, rng=5, dtype=np.float64), RBM(9, 4, rng=5, dtype=np.float64)
    a.fit(BAS, epochs=3, batch_size=14, lr=0.1, momentum=0.5, weight_decay=0.01, shuffle=False, progress=False)
    params, velocity = [b.weight, b.visible_bias, b.hidden_bias], [0.0, 0.0, 0.0]
    for _ in range(3):                                            # the same draws, the documented update
        step = b.cd_step(BAS, lr=0.1, average=True, apply=False)
        updates = [step.dW - 0.1 * 0.01 * b.weight.data, step.da, step.db]     # decay on W only
        for i, (p, u) in enumerate(zip(params, updates)):
            velocity[i] = 0.5 * velocity[i] + u
            p.data += velocity[i]
    for p, q in zip(a.parameters(), params):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12)
    tg.manual_seed(3)
    c = RBM(9, 4)
    c.fit(BAS, epochs=2, progress=False)
    tg.manual_seed(3)
    d = RBM(9, 4)
    d.fit(BAS, epochs=2, progress=False)
    np.testing.assert_array_equal(c.weight.data, d.weight.data)


# ---------------------------------------------------------------- the free-energy surrogate, with autograd
def surrogate_grads(rbm, v0, vk):
    rbm.zero_grad()
    (rbm.free_energy(v0).sum() - rbm.free_energy(vk).sum()).backward()      # vk is a constant
    return rbm.weight.grad.numpy(), rbm.visible_bias.grad.numpy(), rbm.hidden_bias.grad.numpy()


def test_free_energy_gradient_is_minus_the_probability_update_exactly():
    rbm = random_rbm(9, 5, seed=2)
    step = rbm.cd_step(BAS[:8], k=2, lr=0.3, use_probabilities=True, apply=False)
    gW, ga, gb = surrogate_grads(rbm, step.v0, step.vk)
    np.testing.assert_allclose(gW, -step.dW / 0.3, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ga, -step.da / 0.3, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb, -step.db / 0.3, rtol=1e-10, atol=1e-12)


def test_sampled_update_agrees_with_the_free_energy_gradient_in_expectation():
    rbm = random_rbm(9, 5, seed=3)
    v0, vk = BAS[:8], BAS[6:14]
    gW, _, gb = surrogate_grads(rbm, v0, vk)
    draws = np.array([rbm.cd_step(v0, lr=1.0, vk=vk, apply=False).dW for _ in range(4000)])
    mean, se = draws.mean(axis=0), draws.std(axis=0) / np.sqrt(len(draws))
    assert np.abs(draws[0] + gW).max() > 0.3                      # one sampled update is visibly off...
    assert (np.abs(mean + gW) < 5 * se + 1e-9).all()              # ...the average is not (5 standard errors)
    assert np.abs(mean + gW).max() < 0.05


def test_free_energy_is_smooth_and_never_overflows():
    rbm = RBM(3, 2, bias=False, weight=np.zeros((3, 2)), dtype=np.float64)     # every input to softplus is 0
    v = np.array([[1.0, 1.0, 0.0]])
    rbm.free_energy(v).sum().backward()
    np.testing.assert_allclose(rbm.weight.grad.numpy(), -v.T @ np.full((1, 2), 0.5))   # sigmoid(0), no kink
    big = random_rbm(6, 4, seed=4, scale=100.0)
    w, a, b = big._params64()
    v = BAS[:4, :6]
    expected = -(v @ a) - np.logaddexp(0, v @ w + b).sum(axis=1)
    np.testing.assert_allclose(big.free_energy(v).numpy(), expected, rtol=1e-8)


# ---------------------------------------------------------------- scikit-learn parity
@pytest.mark.slow
def test_pcd1_matches_sklearn_bernoulli_rbm_in_exact_likelihood():
    sklearn_rbm = pytest.importorskip("sklearn.neural_network").BernoulliRBM
    ours, theirs = [], []
    for seed in range(3):        # same data, H, lr, batch size, epochs; PCD-1 with p(h|v) statistics, no shuffle
        sk = sklearn_rbm(n_components=16, learning_rate=0.05, batch_size=7, n_iter=1500, random_state=seed).fit(BAS)
        twin = RBM(9, 16, dtype=np.float64)
        twin.load_state_dict({"weight": sk.components_.T, "visible_bias": sk.intercept_visible_,
                              "hidden_bias": sk.intercept_hidden_})
        theirs.append(twin.log_likelihood(BAS))
        rbm = RBM(9, 16, rng=seed, dtype=np.float64)
        rbm.fit(BAS, epochs=1500, batch_size=7, k=1, lr=0.05, persistent=True, use_probabilities=True,
                shuffle=False, progress=False)
        ours.append(rbm.log_likelihood(BAS))
    start = -9 * np.log(2)
    assert min(ours) > start + 1.0 and min(theirs) > start + 1.0   # both learned something
    assert np.mean(ours) == pytest.approx(np.mean(theirs), abs=0.3)   # measured: -4.66 vs -4.59 (nats)


# ---------------------------------------------------------------- the chain as a graph
def test_chain_graph_traces_v0_h0_v1_h1_in_scopes():
    rbm = random_rbm(6, 2, seed=5)
    out = rbm.chain_graph(V0, k=2)
    g = trace(out)
    named = [n.name for n in g.values() if n.name in {"v0", "h0", "v1", "h1", "v2", "h2"}]
    assert named == ["v0", "h0", "v1", "h1", "v2", "h2"]           # inputs before outputs
    assert {n.scope for n in g.ops()} == {"h0", "v1", "h1", "v2", "h2"}
    ids = {n.name: n.id for n in g.values() if n.name}
    parents = {}
    for e in g.edges:
        parents.setdefault(e.dst, set()).add(e.src)

    def upstream(node_id):
        seen, stack = set(), [node_id]
        while stack:
            for p in parents.get(stack.pop(), ()):
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    for earlier, later in (("v0", "h0"), ("h0", "v1"), ("v1", "h1"), ("h1", "v2"), ("v2", "h2")):
        assert ids[earlier] in upstream(ids[later])
    assert ids["h1"] not in upstream(ids["v1"])
    mean_field = rbm.p_h_given_v(rbm.p_v_given_h(rbm.p_h_given_v(rbm.p_v_given_h(rbm.p_h_given_v(V0)))))
    np.testing.assert_allclose(out.numpy(), mean_field, rtol=1e-12)
    out.sum().backward()
    assert rbm.weight.grad is not None and np.abs(rbm.weight.grad.numpy()).sum() > 0


# ---------------------------------------------------------------- progress bar
def test_progress_bar_draws_only_on_a_terminal_and_when_asked():
    def run(progress, terminal):
        console = Console(file=io.StringIO(), force_terminal=terminal, width=100, color_system=None)
        RBM(9, 4, rng=0).fit(BAS, epochs=3, progress=progress, console=console)
        return console.file.getvalue()

    drawn = run(True, terminal=True)
    assert "RBM.fit CD-1" in drawn and "3/3" in drawn and "recon" in drawn
    assert run(True, terminal=False) == ""
    assert run(False, terminal=True) == ""


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, message", [
    (lambda r: r.cd_step(V0 * 0.5), r"RBM\.cd_step: v0 must be binary .*got 0\.5 at index \(0, 0\)"),
    (lambda r: r.fit(V0[:, :5], progress=False),
     r"RBM\.fit: data has shape \(5, 5\) but the RBM has 6 visible units \(data\.shape\[1\] must be n_visible = 6"),
    (lambda r: r.log_likelihood(V0[0]), r"RBM\.log_likelihood: v must be 2-D \(batch, 6\), got shape \(6,\)"),
    (lambda r: r.cd_step(V0, k=0), r"RBM\.cd_step: k must be an int >= 1 .*got 0"),
    (lambda r: r.gibbs(V0, k=-1), r"RBM\.gibbs: k must be an int >= 1 .*got -1"),
    (lambda r: r.fit(V0, k=0.5, progress=False), r"RBM\.fit: k must be an int >= 1 .*got 0\.5"),
    (lambda r: r.cd_step(V0, h0=np.ones((5, 3))),
     r"RBM\.cd_step: h0 has shape \(5, 3\) but the RBM has 2 hidden units \(h0\.shape\[1\] must be n_hidden = 2\)"),
    (lambda r: r.cd_step(V0, h0=H0[:4]), r"RBM\.cd_step: h0 has 4 rows but must have 5"),
    (lambda r: r.cd_step(V0, vk=V1[:, :4], hk=H1), r"RBM\.cd_step: vk has shape \(5, 4\).*n_visible = 6"),
    (lambda r: r.cd_step(V0, vk=V1, hk=H1 * 2), r"RBM\.cd_step: hk must be binary .*got 2"),
    (lambda r: r.cd_step(V0, hk=H1), r"RBM\.cd_step: hk was supplied without vk"),
    (lambda r: r.p_h_given_v(V0 + 1.0), r"RBM\.p_h_given_v: v must hold values in \[0, 1\]"),
    (lambda r: r.fit(V0, batch_size=0, progress=False), r"RBM\.fit: batch_size must be an int >= 1, got 0"),
])
def test_bad_input_names_the_method_what_came_and_the_rule(call, message):
    with pytest.raises(ValueError, match=message):
        call(RBM(6, 2, bias=False, weight=W0, rng=0))


def test_bad_construction():
    with pytest.raises(ValueError, match=r"RBM: weight has shape \(2, 6\) but must be \(n_visible, n_hidden\) = "
                                         r"\(6, 2\)"):
        RBM(6, 2, weight=W0.T)
    with pytest.raises(ValueError, match=r"RBM: n_hidden must be a positive int, got 0"):
        RBM(6, 0)
