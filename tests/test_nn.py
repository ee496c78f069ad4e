"""nn: registration, dotted names, state dicts, modes, layers, init, clip_grad_norm_; optim without torch."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8))
        self.heads = nn.ModuleList([nn.Linear(8, 3), nn.Linear(8, 2, bias=False)])
        self.embed = nn.Embedding(10, 4)
        self.drop = nn.Dropout(0.5)

    def forward(self, tokens):
        h = self.drop(self.encoder(self.embed(tokens)))
        return [head(h) for head in self.heads]


def test_named_parameters_are_dotted_and_become_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias",
                     "heads.0.weight", "heads.0.bias", "heads.1.weight", "embed.weight"]
    assert all(p.name == n for n, p in net.named_parameters())
    assert list(net.state_dict()) == names
    assert {k: v.shape for k, v in net.state_dict().items()}["heads.1.weight"] == (2, 8)


def test_state_dict_round_trip_through_npz_without_pickle(tmp_path):
    a, b = Net(), Net()
    tg.save(a.state_dict(), tmp_path / "net.npz")
    loaded = tg.load(tmp_path / "net.npz")
    b.load_state_dict(loaded)
    tokens = np.array([[1, 2], [3, 4]])
    a.eval(), b.eval()
    for ya, yb in zip(a(tokens), b(tokens)):
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    with np.load(tmp_path / "net.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(a.state_dict())
    with pytest.raises(TypeError, match="only tensors and numeric arrays"):
        tg.save({"x": np.array([object()])}, tmp_path / "bad.npz")
    tg.save(tg.Tensor([1.0, 2.0]), tmp_path / "t.npz")
    np.testing.assert_array_equal(tg.load(tmp_path / "t.npz").numpy(), [1.0, 2.0])


def test_state_dict_values_are_detached_copies_of_the_data():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    assert not sd["weight"].requires_grad and sd["weight"].grad_fn is None


def test_train_eval_and_dropout():
    net = Net()
    net.eval()
    assert not any(m.training for m in net.modules())
    x = tg.randn(4, 6)
    assert net.drop(x) is x
    net.train()
    assert all(m.training for m in net.modules())
    dropped = nn.Dropout(0.5)(tg.ones(1000))
    values = set(np.unique(dropped.numpy()).tolist())
    assert values <= {0.0, 2.0} and 400 < (dropped.numpy() == 0).sum() < 600


def test_sequential_and_module_list_behave_like_lists():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    assert len(seq[:2]) == 2
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Linear(1, 2))
    assert [type(m).__name__ for m in ml] == ["Linear", "Linear"] and len(list(ml.parameters())) == 4
    assert "(0): Linear(in_features=2, out_features=3, bias=True)" in repr(seq)


def test_zero_grad_and_parameters_receive_gradients():
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    loss = F.cross_entropy(net(tg.randn(5, 3)), np.array([0, 1, 1, 0, 1]))
    loss.backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_linear_default_init_bounds():
    lin = nn.Linear(100, 50)
    bound = 1 / np.sqrt(100)
    assert np.abs(lin.weight.numpy()).max() <= bound and np.abs(lin.bias.numpy()).max() <= bound
    assert np.abs(lin.weight.numpy()).max() > 0.9 * bound
    assert lin.weight.dtype == np.float32


def test_init_functions():
    w = tg.zeros(200, 100)
    nn.init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() <= np.sqrt(6 / 300)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(np.sqrt(2 / 100), rel=0.05)
    nn.init.constant_(w, 0.5)
    assert (w.numpy() == 0.5).all()
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)


def test_manual_seed_makes_models_reproducible():
    tg.manual_seed(42)
    a = nn.Linear(3, 3).weight.numpy().copy()
    tg.manual_seed(42)
    np.testing.assert_array_equal(nn.Linear(3, 3).weight.numpy(), a)


def test_clip_grad_norm():
    p = nn.Parameter(np.zeros(4))
    p.grad = tg.Tensor([3.0, 4.0, 0.0, 0.0])
    total = nn.utils.clip_grad_norm_([p], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0, 0], rtol=1e-5)


def test_sgd_momentum_by_hand():
    p = nn.Parameter(np.array([1.0]), dtype=np.float64)
    opt = tg.optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        (p * p).sum().backward()      # grad 2p
        opt.step()
    # step 1: b = 2.0, p = 1 - 0.2 = 0.8; step 2: b = 0.9*2 + 1.6 = 3.4, p = 0.8 - 0.34 = 0.46
    assert p.item() == pytest.approx(0.46)


def test_adam_first_step_moves_by_lr():
    p = nn.Parameter(np.array([1.0, -2.0]), dtype=np.float64)
    opt = tg.optim.Adam([p], lr=0.01)
    (p * p).sum().backward()
    opt.step()
    # the bias-corrected first step is lr * g / (|g| + eps'): lr times the gradient's sign
    np.testing.assert_allclose(p.numpy(), [0.99, -1.99], rtol=1e-6)


def test_training_a_small_classifier_converges():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)          # XOR-like quadrants
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = tg.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(200):
        opt.zero_grad()
        loss = F.cross_entropy(model(tg.Tensor(x)), y)
        loss.backward()
        opt.step()
    accuracy = (model(tg.Tensor(x)).argmax(1).numpy() == y).mean()
    assert accuracy > 0.95
