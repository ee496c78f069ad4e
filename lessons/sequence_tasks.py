"""Small synthetic sequence tasks for lessons 11 and 14, made by numpy with a seed (nothing to download).

- group_language: tokens in groups; each step moves to the next group, a random token in it (embeddings)
- next_bit: random bits; the answer at step t is the bit at t + 1 (bidirectional RNNs)
- keyword_spectrograms: spoken "commands" stood in for by tone patterns, turned into spectrogram frames
"""

from __future__ import annotations

import numpy as np


def group_language(n, length, groups=3, per_group=4, seed=0):
    """n sentences of `length` + 1 tokens from groups * per_group words; word k is in group k // per_group and
    group g is always followed by a word of group (g + 1) % groups.  Returns (inputs (n, length) int64,
    next words (n, length) int64)."""
    rng = np.random.default_rng(seed)
    group = (rng.integers(0, groups, size=(n, 1)) + np.arange(length + 1)) % groups     # (n, length + 1)
    words = group * per_group + rng.integers(0, per_group, size=group.shape)
    return words[:, :-1].astype(np.int64), words[:, 1:].astype(np.int64)


def next_bit(n, length, seed=0):
    """n sequences of random bits as one-hot rows, (n, length, 2) float32, and the targets (n, length - 1) int64:
    at step t the bit of step t + 1 (what comes later; the last step has no target)."""
    bits = np.random.default_rng(seed).integers(0, 2, size=(n, length))
    return np.eye(2, dtype=np.float32)[bits], bits[:, 1:].astype(np.int64)


KEYWORDS = ("up", "down", "yes", "no")       # the four "commands" of the speech-command stand-in


def keyword_wave(word, rng, rate=4000, duration=0.5, noise=0.3):
    """One noisy recording of `word` at `rate` samples per second: "up" a chirp rising 300 -> 900 Hz, "down" one
    falling 900 -> 300 Hz, "yes" two short tones (500 then 1200 Hz), "no" one steady 400 Hz tone; each with a
    random start, loudness and background noise (`noise`: its standard deviation; the word's amplitude is 0.5 to
    1).  Returns (rate * duration,) float64."""
    n = int(rate * duration)
    t = np.arange(n) / rate
    start = rng.uniform(0.0, 0.1)                        # the speaker starts a little late or early
    length = rng.uniform(0.25, 0.35)
    on = (t >= start) & (t < start + length)
    local = np.clip(t - start, 0.0, length) / length     # 0 -> 1 across the word
    if word in ("up", "down"):
        lo, hi = (300.0, 900.0) if word == "up" else (900.0, 300.0)
        freq = lo + (hi - lo) * local                    # a linear chirp: frequency moves with time
        phase = 2 * np.pi * np.cumsum(freq) / rate
    elif word == "yes":
        freq = np.where(local < 0.5, 500.0, 1200.0)
        phase = 2 * np.pi * np.cumsum(freq) / rate
    elif word == "no":
        phase = 2 * np.pi * 400.0 * t
    else:
        raise ValueError(f"keyword_wave: word must be one of {KEYWORDS}, got {word!r}")
    wave = rng.uniform(0.5, 1.0) * on * np.sin(phase)
    return wave + noise * rng.standard_normal(n)


def spectrogram(wave, frame=128, hop=64):
    """Magnitude spectrogram by numpy: Hann-windowed frames of `frame` samples every `hop`, |FFT|, log(1 + .).
    (samples,) -> (frames, frame // 2 + 1): one row per time step, one column per frequency bin."""
    count = 1 + (len(wave) - frame) // hop
    frames = np.stack([wave[i * hop:i * hop + frame] for i in range(count)]) * np.hanning(frame)
    return np.log1p(np.abs(np.fft.rfft(frames, axis=1)))


def keyword_spectrograms(n, seed=0, bins=16, noise=0.3):
    """n recordings, an equal share of each keyword, as spectrograms pooled to `bins` frequency bands:
    (X (n, frames, bins) float32, y (n,) int64 class indices into KEYWORDS)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(KEYWORDS)
    rng.shuffle(labels)
    specs = []
    for label in labels:
        spec = spectrogram(keyword_wave(KEYWORDS[label], rng, noise=noise))          # (frames, 65)
        bands = np.array_split(np.arange(spec.shape[1] - 1), bins)      # drop the top bin, pool the rest
        specs.append(np.stack([spec[:, b].mean(axis=1) for b in bands], axis=1))
    X = np.stack(specs).astype(np.float32)
    X = (X - X.mean()) / X.std()                                         # one scale for the whole set
    return X, labels.astype(np.int64)
