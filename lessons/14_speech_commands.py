"""Lesson 14: the speech-command lab - sound as a sequence of spectrogram frames, classified by an RNN

Follows note 000's third lab (*Lab3-3. Speech Command Classification Using RNN*): a recording becomes a
spectrogram, a sequence of frames (one per few milliseconds, each the strength of every frequency), and an RNN reads
the frames in order and names the command (many-to-one). The real recordings cannot be downloaded here, so numpy
makes four "commands" out of tones and chirps with noise: "up" (a rising chirp), "down" (a falling one), "yes"
(two tones) and "no" (one steady tone). "up" and "down" contain the same frequencies in opposite order: only a
model that reads the frames in order can tell them apart.

Run it:   tinygrad-edu lesson 14 [--step] [--out out] [--fast]     (or: python lessons/14_speech_commands.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from lessons.sequence_tasks import KEYWORDS, keyword_spectrograms, keyword_wave, spectrogram
from lessons.training import progress
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

NOTES = "000"
RUN_TIME = "4 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

RATE = 4000                 # samples per second of the synthetic recordings (0.5 s each)
FRAME, HOP = 128, 64        # spectrogram: frames of 128 samples (32 ms) every 64 (16 ms)
NOISE = 1.0                 # the background noise's standard deviation (the words' loudness is 0.5 to 1)
HIDDEN = 32                 # GRU hidden units
EPOCHS = 12                 # full settings; --fast trains 8
N_TRAIN, N_TEST = 400, 200


def shade(spec):
    """A spectrogram (frames, bands) as text: one line per band, high frequencies on top, time to the right."""
    levels = " .:-=+*#"
    lo, hi = spec.min(), spec.max()
    scaled = ((spec - lo) / (hi - lo + 1e-12) * (len(levels) - 1)).round().astype(int)
    return "\n".join("".join(levels[v] for v in scaled[:, band]) for band in range(spec.shape[1] - 1, -1, -1))


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. Sound as a sequence: the spectrogram (000)")
    lesson.say(f"""
        A recording is a long list of air-pressure samples ({RATE} per second here). Speech is told apart by
        which **frequencies** are loud **when**, so the lab cuts the recording into short overlapping frames
        ({FRAME} samples = {1000 * FRAME / RATE:g} ms, one every {HOP} samples), takes each frame's spectrum (the FFT:
        how strong each frequency is), and stacks them: a **spectrogram**, one row per time step. That is the
        sequence the RNN reads, `x_t` = frame t. numpy does it in three lines (`lessons/sequence_tasks.py`):
        a Hann window, `np.fft.rfft`, `log(1 + |.|)`.
    """)
    rng = np.random.default_rng(0)
    t = np.arange(RATE // 2) / RATE                                           # 0.5 s
    tone = np.sin(2 * np.pi * 500.0 * t)                                      # a pure 500 Hz tone
    spec = spectrogram(tone, FRAME, HOP)                                      # (frames, FRAME // 2 + 1)
    frames = 1 + (len(tone) - FRAME) // HOP
    lesson.ask(f"a frame of {FRAME} samples at {RATE} samples per second: the FFT's bins are {RATE}/{FRAME} Hz apart. "
               "In which bin does a 500 Hz tone peak?", 500 / (RATE / FRAME), 0, f"500 / ({RATE}/{FRAME}) = 16")
    lesson.check(f"frames in 0.5 s: 1 + ({RATE // 2} - {FRAME}) // {HOP}", spec.shape[0], frames)
    lesson.check(f"frequencies per frame: {FRAME} // 2 + 1", spec.shape[1], FRAME // 2 + 1)
    lesson.check("a 500 Hz tone peaks in bin 500 / 31.25 = 16 in every frame", bool(np.all(spec.argmax(1) == 16)),
                 True)
    lesson.say(f"""
        The lab's four commands, made by numpy (noise {NOISE:g}, a random start and loudness each time), pooled to
        16 frequency bands. High frequencies on top, time running right:
    """)
    for word in KEYWORDS:
        wave = keyword_wave(word, rng, rate=RATE, noise=0.0)                  # without noise, to see the shape
        full = spectrogram(wave, FRAME, HOP)
        bands = np.array_split(np.arange(full.shape[1] - 1), 16)
        lesson.show(f'"{word}" (no noise)', shade(np.stack([full[:, b].mean(1) for b in bands], axis=1)))
    lesson.say("""
        "up" sweeps from low to high, "down" from high to low: the **same frequencies in the opposite order**.
        "yes" is two tones one after the other, "no" one steady tone.
    """)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("2. Does order matter? A model that ignores it")
    X, y = keyword_spectrograms(N_TRAIN + N_TEST, seed=0, noise=NOISE)        # (N, T=30, 16), (N,)
    X_train, y_train, X_test, y_test = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]
    lesson.say(f"""
        {N_TRAIN} training and {N_TEST} test recordings, each a ({X.shape[1]}, {X.shape[2]}) spectrogram. First a model
        that throws the order away: average the frames over time (a "bag of frames") and classify the average
        with one Linear layer. Averaging cannot tell a rising chirp from a falling one.
    """)
    lesson.check("recordings as sequences: (N, T, bands)", X.shape, (N_TRAIN + N_TEST, 30, 16))
    lesson.check("each command a quarter of the set", np.bincount(y).tolist(), [(N_TRAIN + N_TEST) // 4] * 4)
    tg.manual_seed(0)
    bag = nn.Linear(16, 4)
    optimizer = tg.optim.Adam(bag.parameters(), lr=0.05)
    for _ in range(200):
        loss = F.cross_entropy(bag(tg.Tensor(X_train.mean(1))), y_train)    # (N, 16) time averages
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with tg.no_grad():
        bag_guess = bag(tg.Tensor(X_test.mean(1))).numpy().argmax(1)
    per_word = {w: float((bag_guess[y_test == k] == k).mean()) for k, w in enumerate(KEYWORDS)}
    lesson.table("the bag of frames on the test set", ["command", "right"],
                 [(w, f"{a:.0%}") for w, a in per_word.items()] + [("all", f"{(bag_guess == y_test).mean():.1%}")])
    lesson.check("without order, 'up' and 'down' are a coin toss (each below 70 %)",
                 max(per_word["up"], per_word["down"]) < 0.7, True)
    lesson.check("while 'yes' and 'no' (different frequencies) are above 90 %",
                 min(per_word["yes"], per_word["no"]) > 0.9, True)
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. An RNN reads the frames in order (000, Lab3-3)")
    epochs = 8 if lesson.fast else EPOCHS
    target = 0.90 if lesson.fast else 0.95
    lesson.say(f"""
        `nn.GRU(16, {HIDDEN}, batch_first=True)` reads the {X.shape[1]} frames one after another; a Linear layer
        classifies its last hidden state (many-to-one, as lesson 11's digits). Adam lr 0.01, batches of 32,
        {epochs} epochs.
    """)
    tg.manual_seed(0)
    gru = nn.GRU(16, HIDDEN, batch_first=True)
    head = nn.Linear(HIDDEN, 4)
    optimizer = tg.optim.Adam(list(gru.parameters()) + list(head.parameters()), lr=0.01)
    order_rng = np.random.default_rng(0)

    def predict(X):
        with tg.no_grad():
            out, _ = gru(tg.Tensor(X))                     # (N, T, H)
            return head(out[:, -1]).numpy().argmax(1)

    history = []
    with progress(lesson, "GRU on spectrograms", total=epochs) as advance:
        for epoch in range(epochs):
            order = order_rng.permutation(N_TRAIN)
            for start in range(0, N_TRAIN, 32):
                idx = order[start:start + 32]
                out, _ = gru(tg.Tensor(X_train[idx]))     # (B, T, H)
                loss = F.cross_entropy(head(out[:, -1]), y_train[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            accuracy = float((predict(X_test) == y_test).mean())
            history.append((epoch + 1, loss.item(), accuracy))
            advance(loss=loss.item(), acc=accuracy)
    lesson.table("training", ["epoch", "last batch loss", "test accuracy"], history[-4:])
    guess = predict(X_test)
    confusion = np.zeros((4, 4), dtype=int)
    np.add.at(confusion, (y_test, guess), 1)
    lesson.table("confusion matrix (rows: the command, columns: the GRU's answer)", ["", *KEYWORDS],
                 [(w, *confusion[k].tolist()) for k, w in enumerate(KEYWORDS)])
    test_acc = float((guess == y_test).mean())
    up_down = float(np.mean([(guess[y_test == k] == k).mean() for k in (0, 1)]))
    lesson.say(f"""
        Held-out accuracy **{test_acc:.1%}**; on "up" and "down" alone {up_down:.0%}, where the bag of frames was at
        {np.mean([per_word["up"], per_word["down"]]):.0%}. The hidden state carried *which frequencies came first*.
    """)
    lesson.check_at_least("held-out accuracy (GRU on spectrograms)", test_acc, target)
    lesson.check("the GRU tells 'up' from 'down' far better than the bag of frames",
                 up_down > np.mean([per_word["up"], per_word["down"]]) + 0.2, True)

    with tg.watch():                                       # one recording through the trained GRU, for the picture
        out, _ = gru(tg.Tensor(X_test[:1]))
        score = head(out[:, -1])[0, int(y_test[0])]        # the right command's score
        score.backward()
    lesson.picture(visualize.draw_bptt(score, collapse="time", rankdir="TB",
                                       title=f'the trained GRU reading one "{KEYWORDS[y_test[0]]}", frame by frame'),
                   "14_speech_gru", "one box per frame (time step), |dL/dh_t| per step")

    lesson.recap(
        "Turn a recording into a spectrogram with numpy (windowed frames, FFT, log) and read it as a sequence "
        "of frames.",
        "Show that order matters: a bag of frames cannot tell a rising chirp from a falling one, an RNN can.",
        "Train a GRU as a many-to-one classifier of variable sounds and read its confusion matrix.")

    lesson.now_you(14, [
        ("NOISE = 3.0", "(louder background noise)",
         "the words drown in the noise: even the bag of frames' easy words fall to 48 % ('yes') and 62 % ('no'), "
         "and its check 'above 90 %' stops the lesson"),
        ("HIDDEN = 4", "(a GRU with 4 hidden units, full settings)",
         "too small a memory: after 12 epochs the GRU reaches about 57 % held out (60 % on 'up' and 'down', "
         "mixing 'yes' with 'no'), and the check 'at least 95 %' stops the lesson"),
        ("EPOCHS = 2", "(full settings; --fast always trains 8)",
         "two passes are not enough: about 55 % held out, 'up' and 'down' at 33 %, below even the bag of frames' "
         "51 %; the same check stops the lesson"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
