"""Rendering: SVG for every view parsed as XML (needs Graphviz's dot; skipped cleanly without it), the message and
the .dot file when dot is missing, notebook display, and the `tinygrad-edu render` command."""

import shutil
import textwrap
import xml.etree.ElementTree as ET

import pytest

import tinygrad_edu as tg
import visualize
from tinygrad_edu import cli, nn
from visualize import rendering

SVG = "{http://www.w3.org/2000/svg}"


def needs_dot(fn):
    return pytest.mark.needs_dot(pytest.mark.skipif(shutil.which("dot") is None,
                                                    reason="Graphviz's dot is not installed")(fn))


def scalar_out():
    a, b, c = tg.Scalar(2.0, name="a"), tg.Scalar(3.0, name="b"), tg.Scalar(-4.0, name="c")
    out = (a * b + c).tanh()
    out.name = "out"
    out.backward()
    return out


class Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(2, 3)
        self.head = nn.Linear(3, 1)

    def forward(self, x):
        return self.head(self.lstm(x)[0][-1]).sum()


def lstm_loss():
    model = Seq()
    with tg.watch():
        loss = model(tg.randn(4, 1, 2))
        loss.backward()
    return loss


def svg_titles(path):
    root = ET.parse(path).getroot()
    return {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "node"}, root


def views():
    out = scalar_out()
    loss = lstm_loss()
    stepper = visualize.Stepper(scalar_out())
    return {
        "forward": visualize.draw(out),
        "backward": visualize.draw(out, direction="backward"),
        "both": visualize.draw(out, direction="both"),
        "module": visualize.draw(loss, collapse="module"),
        "time": visualize.draw(loss, collapse="time"),
        "bptt": visualize.draw_bptt(loss),
        "bptt_time": visualize.draw_bptt(loss, collapse="time"),
        "step2": stepper.picture(2),
    }


@needs_dot
def test_every_view_renders_to_svg_with_its_nodes(tmp_path):
    for name, dot in views().items():
        path = visualize.render(dot, tmp_path / name)
        assert path.endswith(f"{name}.svg") and (tmp_path / f"{name}.dot").exists()
        titles, root = svg_titles(path)
        assert titles == set(dot.info["ids"].values()), name          # every node declared is drawn
        suffixes = {t.split("_", 1)[1] for t in titles if "_" in t}
        if name in ("forward", "backward", "both", "step2"):
            assert {"a", "b", "c", "out", "Mul", "Add", "Tanh"} <= suffixes, name
        if name in ("module",):
            assert "lstm" in suffixes and "head" in suffixes
        if name in ("time", "bptt_time"):
            assert {f"lstm_l0_t_{t}" for t in range(4)} <= suffixes, name
        if name == "bptt":
            assert {"h", "c", "gates", "i", "f", "g", "o"} <= suffixes
            clusters = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
            assert len([c for c in clusters if "_step_lstm_l0_t_" in c]) == 4       # one cluster per time step
            assert len([c for c in clusters if "_lane_lstm_l0" in c]) == 1          # inside one lane


@needs_dot
def test_escaped_labels_come_out_as_the_original_text(tmp_path):
    a = tg.Scalar(2.0, name='q"uote <b>&{x}\\N\nnext é ∂ \'s')
    out = a * 3.0
    out.backward()
    _, root = svg_titles(visualize.render(visualize.draw(out), tmp_path / "nasty"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert 'q"uote <b>&{x}\\N' in texts and "next é ∂ 's" in texts


@needs_dot
def test_png_and_pdf(tmp_path):
    out = scalar_out()
    assert (tmp_path / "g.png").exists() is False
    assert open(visualize.render(visualize.draw(out), tmp_path / "g", format="png"), "rb").read(4) == b"\x89PNG"
    assert open(visualize.render(visualize.draw(out), tmp_path / "g.pdf", format="pdf"), "rb").read(4) == b"%PDF"
    with pytest.raises(ValueError, match="format"):
        visualize.render(visualize.draw(out), tmp_path / "g", format="gif")


@needs_dot
def test_notebook_display(tmp_path):
    bundle = visualize.draw(scalar_out())._repr_mimebundle_()
    assert "image/svg+xml" in bundle and "<svg" in bundle["image/svg+xml"]


def test_missing_dot_writes_the_source_and_says_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(rendering.shutil, "which", lambda name: None)
    dot = visualize.draw(scalar_out())
    path = visualize.render(dot, tmp_path / "g.svg")
    assert path.endswith("g.dot") and (tmp_path / "g.dot").read_text().startswith("digraph")
    assert not (tmp_path / "g.svg").exists()
    err = capsys.readouterr().err
    assert "sudo apt-get install graphviz" in err and "brew install graphviz" in err
    assert f"dot -Tsvg {tmp_path / 'g.dot'} -o {tmp_path / 'g.svg'}" in err
    bundle = dot._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "apt-get install graphviz" in bundle["text/plain"]


# ----------------------------------------------------------------------------------------------- the command
SCRIPT = textwrap.dedent('''
    import tinygrad_edu as tg
    from tinygrad_edu import nn
    import visualize

    def graph():
        a, b = tg.Scalar(2.0, name="a"), tg.Scalar(3.0, name="b")
        out = (a * b).tanh()
        out.backward()
        return out

    def several():
        a = tg.Scalar(1.0, name="a")
        return {"double": a * 2.0, "picture": visualize.draw(a + 1.0, title="ready-made")}

    def rnn():
        rnn = nn.RNN(2, 3)
        with tg.watch():
            loss = rnn(tg.randn(3, 1, 2))[0].sum()
            loss.backward()
        return loss

    if __name__ == "__main__":
        raise SystemExit("the __main__ block must not run")
''')


def test_render_command_for_a_script(tmp_path, capsys):
    script = tmp_path / "net.py"
    script.write_text(SCRIPT)
    ext = "svg" if shutil.which("dot") else "dot"
    out = tmp_path / "out"
    assert cli.main(["render", str(script), "--out", str(out), "--direction", "both"]) == 0
    assert (out / f"net.{ext}").exists() and "dashed" in (out / "net.dot").read_text()
    assert cli.main(["render", f"{script}:several", "--out", str(out)]) == 0
    assert (out / f"net_double.{ext}").exists() and "ready-made" in (out / "net_picture.dot").read_text()
    assert cli.main(["render", f"{script}:rnn", "--out", str(out), "--bptt"]) == 0
    assert "backpropagation through time" in (out / "net_rnn.dot").read_text()    # FILE:FUNCTION: its own file
    capsys.readouterr()
    assert cli.main(["render", f"{script}:missing", "--out", str(out)]) == 2
    assert "defines no function missing()" in capsys.readouterr().err
    assert cli.main(["render", str(tmp_path / "nope.py")]) == 2
    assert cli.main(["render", str(script), "--collapse", "sideways"]) == 2


def test_render_command_for_a_lesson(tmp_path):
    assert cli.main(["render", "1", "--out", str(tmp_path)]) == 0
    ext = "svg" if shutil.which("dot") else "dot"
    assert {p.name for p in tmp_path.iterdir() if p.suffix == f".{ext}"} >= {
        f"01_chain_rule.{ext}", f"01_affine_scalar.{ext}", f"01_affine_tensor.{ext}"}
