"""Lessons 6-9 (convolution by hand, im2col, pooling and LeNet, advanced CNNs) run headless in --fast mode, check
themselves, print the worked examples' numbers and write their pictures."""

import io
import re
import shutil

import numpy as np
import pytest
from rich.console import Console

import lessons
import tinygrad_edu as tg
from lessons.runner import Lesson
from tinygrad_edu import nn

PICTURE_SUFFIX = ".svg" if shutil.which("dot") else ".dot"


def run_fast(number, tmp_path):
    console = Console(file=io.StringIO(), width=100, color_system=None)
    lesson = Lesson(out=str(tmp_path), step=True, console=console, fast=True)
    module = lessons.load(number)
    module.run(lesson)
    text = console.file.getvalue()
    return module, lesson, re.sub(r"\s+", " ", text)        # rich wraps lines: compare with spaces collapsed


def assert_pictures(lesson, tmp_path, names):
    written = {p.name for p in tmp_path.iterdir()}
    for name in names:
        assert f"{name}.dot" in written, f"{name}.dot not written; got {sorted(written)}"
        assert f"{name}{PICTURE_SUFFIX}" in written
    assert all(p.endswith(PICTURE_SUFFIX) for p in lesson.pictures)


def ok_value(text, label):
    """The number printed after 'ok <label>:'."""
    m = re.search(re.escape(label) + r": (\[[^\]]*\]|\([^)]*\)|True|False|[-\d.e+]+)", text)   # shapes as tuples
    assert m, f"no check line for {label!r}"
    return m.group(1)


def test_lesson_06_convolution_by_hand(tmp_path):
    module, lesson, text = run_fast(6, tmp_path)
    assert lesson.checks >= 20
    assert module.NOTES == "001, 003, 000"
    assert ok_value(text, "true convolution f*g (001)") == "[ 9. 9. 11. 5. 2.]"
    assert ok_value(text, "cross-correlation (what conv1d computes) is different") == "[ 3. 7. 13. 7. 6.]"
    assert "[[ 7. 12. 10. 2.] [ 4. 15. 16. 10.] [10. 6. 15. 6.] [ 8. 10. 4. 3.]]" in text
    assert ok_value(text, "its first row starts 15, 17 (003)") == "[15. 17.]"
    assert ok_value(text, "(28,31), P2, S3, F5 -> (10, 11)") == "(10, 11)"
    assert ok_value(text, "(7,7), S3, F3: 7/3 is not an integer; floored to 2") == "(2, 2)"
    assert '"Cannot."' in text and "floor" in text
    assert ok_value(text, "effective size of a 3x3 filter with dilation 2") == "5"
    assert ok_value(text, "parameters of ten 5x5 filters on 3 channels (003)") == "760"
    assert ok_value(text, "two 3x3 layers: a 5x5 field with 18 weights instead of 25") == "[5, 5, 18, 25]"
    assert ok_value(text, "three 3x3 layers: a 7x7 field with 27 weights instead of 49") == "[7, 7, 27, 49]"
    assert module.output_size(7, 3, padding=0, stride=3) == pytest.approx(7 / 3)
    assert (module.output_size(28, 5, 2, 3), module.output_size(31, 5, 2, 3)) == (10, 11)
    assert_pictures(lesson, tmp_path, ["06_conv_scalar", "06_conv_one_output"])
    source = (tmp_path / "06_conv_scalar.dot").read_text()
    assert source.count("Mul") >= 16 and "x11" in source and "w22" in source


def test_lesson_07_im2col(tmp_path):
    module, lesson, text = run_fast(7, tmp_path)
    assert lesson.checks >= 10
    assert module.NOTES == "003"
    assert ok_value(text, "im2col shape (N, C*FH*FW, OH*OW)") == "(1, 9, 16)"
    assert "row @ columns = 003's answer: [[ 7. 12. 10. 2.]" in text
    assert "windows per pixel: 4 at the corners, 6 on the edges, 9 inside: [[4. 6. 6. 4.] [6. 9. 9. 6.]" in text
    for label in ("im2col + matmul equals F.conv2d (largest difference)",
                  "dX = col2im(W^T @ dout), as autograd (largest difference)"):
        assert float(ok_value(text, label)) < 1e-3
    assert_pictures(lesson, tmp_path, ["07_im2col", "07_conv2d_node"])
    assert "Unfold" in (tmp_path / "07_im2col.dot").read_text()


def test_lesson_08_pooling_and_lenet(tmp_path):
    module, lesson, text = run_fast(8, tmp_path)
    assert lesson.checks >= 15
    assert module.NOTES == "002, 003, 000"
    assert ok_value(text, "three 7x7 maps") == "(1, 3, 7, 7)"
    assert ok_value(text, "2x2 max pool, stride 2, floor: 3x3x3") == "(1, 3, 3, 3)"
    assert ok_value(text, "ceil_mode=True: 4x4x3") == "(1, 3, 4, 4)"
    assert ok_value(text, "the diagonal filter in the corner: 8 of 9 pixels agree, (8 - 1)/9") == "0.7778"
    assert ok_value(text, "F=3, S=2 on 13x13x32: (13 - 3)/2 + 1 = 6, channels unchanged") == "(1, 32, 6, 6)"
    assert ok_value(text, "pooling has no parameters") == "0"
    accuracy = float(re.search(r"Held-out accuracy after 4 epochs: ([\d.]+)%", text).group(1))
    assert accuracy >= 80.0
    assert sum(p.numel() for p in module.LeNet().parameters()) == 31294
    assert module.LeNet()(tg.zeros(2, 1, 8, 8)).shape == (2, 10)
    assert_pictures(lesson, tmp_path, ["08_x_vs_o", "08_lenet"])
    lenet = (tmp_path / "08_lenet.dot").read_text()
    assert "collapsed by module" in lenet and "conv1" in lenet and "fc3" in lenet


def test_lesson_09_advanced_cnns(tmp_path):
    module, lesson, text = run_fast(9, tmp_path)
    assert lesson.checks >= 12
    assert module.NOTES == "004, 002"
    assert ok_value(text, "weights: 153,600 directly") == "153600"
    assert ok_value(text, "multiplies with the reduction: 2,408,448 + 10,035,200") == "12443648"
    assert ok_value(text, "branch channels 16 + 24 + 24 + 24") == "[16, 24, 24, 24]"
    assert ok_value(text, "the network flattens to 1408 features (004)") == "(1, 1408)"
    plain = float(re.search(r"plain net's gradient is ([\d.e+-]+):", text).group(1))
    residual = float(re.search(r"With the shortcuts it is ([\d.e+-]+),", text).group(1))
    assert plain < 1e-6 < 1e-2 < residual
    accuracy = float(re.search(r"Held-out accuracy after 3 epochs: ([\d.]+)%", text).group(1))
    assert accuracy >= 80.0
    block = module.InceptionA(20)
    assert block(tg.zeros(1, 20, 4, 4)).shape == (1, 88, 4, 4)
    weights, multiplies = module.conv_cost(nn.Conv2d(192, 32, 5, padding=2), 28, 28)
    assert (weights, multiplies) == (153_600, 120_422_400)
    assert_pictures(lesson, tmp_path, ["09_inception", "09_plain_gradients", "09_residual_gradients", "09_residual"])
    assert "Cat" in (tmp_path / "09_inception.dot").read_text()
    # 1x1 conv + ReLU is not one 1x1 conv; the famous networks' sizes (torchvision's published counts)
    assert ok_value(text, "with a ReLU between, the best single 1x1 conv misses by more than 30 %") == "True"
    assert ok_value(text, "AlexNet: 8 layers, 61,100,840 parameters (as torchvision's)") == "[8, 61100840]"
    assert ok_value(text, "ResNet-152: 152 layers, 60,192,808 parameters") == "[152, 60192808]"
    # the degradation problem: a deeper plain net trains worse, its residual twin better
    assert lesson.results["degradation: the plain net with 10 blocks trains worse than with 2"]
    assert lesson.results["its residual twin ends lower than the deep plain net"]
    plain_deep = float(re.search(r"The deep plain net ends at ([\d.]+)", text).group(1))
    residual = float(re.search(r"Its residual twin ends at (\d+\.\d+)", text).group(1))
    assert residual < 0.5 * plain_deep and plain_deep > 2.0        # 2.303 = log 10: a uniform guess
    # DenseNet: 8 input channels + 5 layers x growth 4
    assert ok_value(text, "the block's output: C0 + 5 k = 28 channels, same height and width") == "(1, 28, 8, 8)"
    dense = module.DenseBlock(8, 4, 5)
    assert sum(p.numel() for p in dense.parameters()) == sum(4 * (8 + 4 * l) * 9 + 4 for l in range(5)) == 2900
    assert "What you can do now" in text


@pytest.mark.parametrize("number", [6, 7, 8, 9])
def test_lessons_06_09_have_the_form(number):
    info = next(i for i in lessons.available() if i.number == number)
    module = lessons.load(number)
    assert info.title.startswith(f"Lesson {number}: ")
    assert "tinygrad-edu lesson" in module.__doc__ and callable(module.run)
    assert re.fullmatch(r"\d{3}(, \d{3})*", module.NOTES)
    assert np.all([n in ("000", "001", "002", "003", "004") for n in module.NOTES.split(", ")])
