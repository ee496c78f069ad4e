"""Lessons 10, 11 and 13 (recurrent nets, LSTM/GRU, seq2seq) run headless in --fast mode, check their own numbers
(a failed lesson.check raises) and print and draw what they teach."""

import io
import math
import re

import pytest
from rich.console import Console

import lessons
from lessons.runner import Lesson


def run_lesson(number, tmp_path):
    console = Console(file=io.StringIO(), width=100, color_system=None)
    lesson = Lesson(out=str(tmp_path), step=True, console=console, fast=True)   # --step never blocks headless
    lessons.load(number).run(lesson)
    return lesson, console.file.getvalue()


def written(tmp_path):
    return {p.name for p in tmp_path.iterdir()}


def test_lesson_10_rnn_and_bptt(tmp_path):
    lesson, text = run_lesson(10, tmp_path)
    assert lesson.checks >= 15
    assert lessons.load(10).NOTES == "001, 002, 004"
    assert "Predicted string: ihello" in text                              # note 004's hihell -> ihello
    assert "ok the RNN predicts 'ihello'" in text
    assert "ok h_t = tanh(U x + W h + b)" in text                          # the scalar-mode cell
    assert "dL/dx_t is exactly 0 before the cut (t < 4): [0. 0. 0. 0.]" in text
    assert "ok with truncated_bptt_chunks, too: zero before the cut" in text
    assert "scale 0.5: the gradient vanishes" in text and "scale 1.5: the gradient explodes" in text
    assert math.e ** 2 / (math.e ** 2 + 4) == pytest.approx(0.649, abs=5e-4)
    assert "ok the cap e^2/(e^2+4): 0.6488" in text                         # 0.649 ...
    assert "정정 / erratum: (note 004)" in text and "0.71" in text          # ... where the notes say 0.71 (k = 4)
    assert "ok the floor of the double softmax: 1.189" in text
    assert "ok our stuck loss is the notes' 1.201 (within 0.01): 1.2" in text
    assert "ok a Linear head beats the stuck loss by far" in text
    assert {"10_rnn_cell_scalar.dot", "10_bptt_hihell.dot", "10_truncated_bptt.dot"} <= written(tmp_path)
    assert "10_vanishing_exploding.svg" in written(tmp_path)
    # why memory: a memoryless net reaches 4 of 6 at best, loss >= 4 log 2 / 6; an FC layer has a fixed length
    flat = " ".join(text.split())
    assert "ok without memory at most 4 of the 6 steps are right: True" in flat
    assert 4 * math.log(2) / 6 == pytest.approx(0.462, abs=5e-4)
    assert "ok its loss cannot go below 4 log 2 / 6 = 0.462: True" in flat
    assert "ok the FC layer refuses a 7-character input: True" in flat and "35 features" in flat
    assert "ok h_t depends on every x_s with s <= t and on no later one (lower triangle): True" in flat
    # BPTT on the untrained net, the slide's names; truncated BPTT corrected
    assert "‖dE_5/ds_t‖, the last step's loss only" in flat and "l0" not in flat.split("how much gradient")[1][:400]
    assert lesson.results["the last step's gradient shrinks at every step back"]
    assert "정정 / erratum: 002 lists truncated BPTT" in flat and "compute and memory trade-off" in flat
    bptt = (tmp_path / "10_bptt_hihell.dot").read_text()
    assert "Stack" not in bptt and "Reshape" not in bptt and all(f"<b>{n}</b>" in bptt for n in "UVWsox")
    assert "What you can do now" in flat


def test_lesson_10_draws_the_cut_and_the_scalar_cell(tmp_path):
    run_lesson(10, tmp_path)
    cut = (tmp_path / "10_truncated_bptt.dot").read_text()
    assert "truncated between t=3 and t=4" in cut                          # the red cut of draw_bptt
    cell = (tmp_path / "10_rnn_cell_scalar.dot").read_text()
    assert all(name in cell for name in ("u11", "w22", "Tanh"))            # every product a node


def test_lesson_11_lstm_and_gru(tmp_path):
    lesson, text = run_lesson(11, tmp_path)
    assert lesson.checks >= 12
    assert lessons.load(11).NOTES == "000, 001, 004"
    assert "ok nn.LSTMCell's c_t = f * c_{t-1} + i * g" in text
    assert "ok nn.GRUCell's h_t = (1 - z) * n + z * h_{t-1}" in text
    assert "convention (note 004)" in text                                 # the z / (1 - z) swap, said
    assert "ok LSTM (gate bias 1) keeps >= 10^4 times more than the RNN" in text
    assert "ok embedding(idx) = one_hot(idx) @ weight" in text
    assert "ok embedding + GRU predicts 'ihello'" in text
    assert "ok reverse half at t = 0 is h_n[1]" in text
    flat = " ".join(text.split())
    # the two GRUs of the notes are two cells; the ratio column says what it is; no coincidence in the table
    assert "정정 / erratum: the two GRUs of the notes are two different cells" in flat
    assert lesson.results["the r-before-the-matrix cell gives another h_t (largest difference > 1e-3)"]
    assert "‖dL/dh_0‖ / ‖dL/dh_29‖" in flat and "h_0 / h_29" not in flat
    rows = {m.group(1): m.group(2) for m in re.finditer(r"│\s+(RNN|LSTM|GRU) │\s+[\d.e+-]+ │\s+([\d.e+-]+) │", text)}
    assert len(rows) == 3 and len(set(rows.values())) == 3, rows          # ‖dL/dh_24‖ differs between the three
    # the LSTM can explode; clipping brings the norm to max_norm
    assert "정정 / erratum: 001 (LSTM이 Vanishing Gradient을 해결한 방식)" in flat
    assert lesson.results["after clipping the gradient's norm is 1"] == pytest.approx(1.0, abs=1e-5)
    assert "ok the LSTM's gradient grows more than 1000-fold over the steps (f <= 1 did not stop it): True" in flat
    # embeddings group the words; bidirectional sees the next bit
    assert "ok after training every word's nearest neighbour is in its own group: 12" in flat
    assert lesson.results["bidirectional: at least 95 %"] and lesson.results[
        "one direction cannot see the next bit: at most 60 % (chance is 50 %)"]
    assert "What you can do now" in flat
    pytest.importorskip("sklearn")
    assert lesson.results["held-out accuracy"] >= 0.80                     # the fast bar (full settings: 90%)
    names = written(tmp_path)
    assert {"11_lstm_conveyor_belt.dot", "11_digits_lstm.dot", "11_rnn_lstm_gru_gradients.svg"} <= names
    belt = (tmp_path / "11_lstm_conveyor_belt.dot").read_text()
    assert "the cell state c" in belt                                      # its own lane in the picture


def test_lesson_13_seq2seq(tmp_path):
    lesson, text = run_lesson(13, tmp_path)
    assert lesson.checks >= 7
    assert lessons.load(13).NOTES == "001, 002, 000"
    assert "ok one-to-many: (N, D) in, (N, T, C) out: (2, 5, 6)" in text
    assert "ok seq2seq: (N, T, D) in, (N, T', C) out: (2, 3, 6)" in text
    assert lesson.results["held-out accuracy (strings reversed exactly)"] >= 0.80
    assert "13_seq2seq.dot" in written(tmp_path)
    drawing = (tmp_path / "13_seq2seq.dot").read_text()
    assert "encoder" in drawing and "decoder" in drawing


def test_lesson_14_speech_commands(tmp_path):
    import numpy as np

    from lessons.sequence_tasks import KEYWORDS, keyword_spectrograms, spectrogram

    lesson, text = run_lesson(14, tmp_path)
    flat = " ".join(text.split())
    assert lessons.load(14).NOTES == "000"
    assert "ok a 500 Hz tone peaks in bin 500 / 31.25 = 16 in every frame: True" in flat
    assert "ok recordings as sequences: (N, T, bands): (600, 30, 16)" in flat
    assert lesson.results["without order, 'up' and 'down' are a coin toss (each below 70 %)"]
    assert lesson.results["held-out accuracy (GRU on spectrograms)"] >= 0.90          # the fast bar (full: 95 %)
    assert lesson.results["the GRU tells 'up' from 'down' far better than the bag of frames"]
    assert "14_speech_gru.dot" in written(tmp_path) and "What you can do now" in flat
    # the spectrogram, checked against an independent DFT: a 1 kHz tone at 4 kHz peaks in bin 1000 / (4000/128) = 32
    t = np.arange(2000) / 4000
    spec = spectrogram(np.sin(2 * np.pi * 1000 * t), 128, 64)
    assert spec.shape == (30, 65) and set(spec.argmax(1)) == {32}
    frame = np.sin(2 * np.pi * 1000 * t[:128]) * np.hanning(128)
    dft = np.abs(np.exp(-2j * np.pi * np.outer(np.arange(65), np.arange(128)) / 128) @ frame)
    assert np.allclose(spec[0], np.log1p(dft), atol=1e-9)
    # "up" and "down" hold the same frequencies: their time averages are close, their frame orders are not
    X, y = keyword_spectrograms(200, seed=3, noise=0.0)
    up, down = X[y == KEYWORDS.index("up")], X[y == KEYWORDS.index("down")]
    assert np.linalg.norm(up.mean((0, 1)) - down.mean((0, 1))) < 0.2 * np.linalg.norm(up.mean(0) - down.mean(0))
