"""Lesson 13: sequence shapes and seq2seq - one-to-many, many-to-one, many-to-many, encoder-decoder

Follows notes 001 (CNN & LSTM & RNN: *RNN이란*, *seq2seq*), 002 and 000 (*Sequence Data*): a recurrent layer turns a
sequence into a sequence of hidden states, and what we read from it decides the task - the last state (many-to-one:
classify a sentence, lesson 11's digits), every state (many-to-many: tag each step, lesson 10's "hihell"), or one
input unrolled into many outputs (one-to-many: caption an image). When input and output sequences have different
lengths, an **encoder** squeezes the input into its final state and a **decoder** unrolls that state into the
output: seq2seq. We train one to reverse digit strings.

Run it:   tinygrad-edu lesson 13 [--step] [--out out] [--fast]     (or: python lessons/13_seq2seq.py --out out)
"""

import numpy as np

import tinygrad_edu as tg
import visualize
from lessons.runner import Lesson
from lessons.training import progress
from tinygrad_edu import nn

NOTES = "001, 002, 000"
RUN_TIME = "5 s"         # at full settings on 2 cores, without pictures (benchmarks/lesson_full.py)

N, T, D, H, C = 2, 5, 3, 4, 6             # batch, time steps, input features, hidden units, classes (section 1)
SOS = 10                                   # the decoder's start token: digits are 0..9, so 10 is free
VOCAB = 11                                 # 10 digits + SOS


class Seq2Seq(nn.Module):
    """Encoder-decoder: the encoder GRU reads the source, its final state starts the decoder GRU.

    forward(source (B, L) ints, decoder_input (B, L') ints) -> scores (B, L', 10).  Training feeds the decoder the
    right previous digit (teacher forcing); generate() feeds it its own previous guess."""

    def __init__(self, embed_size, hidden_size):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, embed_size)                  # digits and SOS -> vectors
        self.encoder = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.decoder = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 10)                        # hidden state -> scores for 10 digits

    def forward(self, source, decoder_input):
        _, context = self.encoder(self.embed(source))                 # context (1, B, H): the whole input
        out, _ = self.decoder(self.embed(decoder_input), context)     # (B, L', H)
        return self.head(out)                                          # (B, L', 10)

    def generate(self, source, length):
        """Greedy decoding: start from SOS, feed back the best digit, one step at a time."""
        with tg.no_grad():
            _, h = self.encoder(self.embed(tg.tensor(source)))
            token = np.full((len(source), 1), SOS)                    # (B, 1)
            digits = []
            for _ in range(length):
                out, h = self.decoder(self.embed(tg.tensor(token)), h)
                token = self.head(out).argmax(2).numpy()               # (B, 1): the guess becomes the next input
                digits.append(token[:, 0])
        return np.stack(digits, axis=1)                                # (B, length)


def run(lesson: Lesson):
    # ------------------------------------------------------------------------------------------------
    lesson.section("1. Four shapes of sequence task")
    lesson.say(f"""
        One GRU (게이트 순환 유닛), a **recurrent neural network** (순환 신경망) cell, input (N, T, D) =
        ({N}, {T}, {D}) with `batch_first=True`, **hidden state** (은닉 상태) size {H}, and a Linear layer to {C}
        classes. The shapes of **sequence data** (순차 데이터) tasks (001 *RNN이란*: 다대일, 다대다) differ only in
        which hidden states we read and what we feed in:

        - **many-to-one** (sentiment, lesson 11's digits): read the last state `out[:, -1]`.
        - **many-to-many, aligned** (tagging, lesson 10's "hihell"): read every state `out`.
        - **one-to-many** (image captioning): one input vector, then the net feeds on its own outputs.
        - **many-to-many, seq2seq** (translation): an encoder reads T steps, a decoder writes T' steps.
    """)
    tg.manual_seed(0)
    gru, fc = nn.GRU(D, H, batch_first=True), nn.Linear(H, C)
    x = tg.randn(N, T, D)                                   # (N, T, D)
    out, h_n = gru(x)                                       # out (N, T, H), h_n (1, N, H)
    many_to_one = fc(out[:, -1])                            # (N, C)
    many_to_many = fc(out)                                  # (N, T, C): Linear acts on the last axis

    cell, feedback = nn.GRUCell(D, H), nn.Linear(C, D)      # one-to-many: an explicit loop
    x0, h, outputs = tg.randn(N, D), None, []               # ONE input (N, D)
    step_in = x0
    for _ in range(T):
        h = cell(step_in, h)                                # (N, H)
        scores = fc(h)                                      # (N, C)
        outputs.append(scores)
        step_in = feedback(scores.softmax(1))               # the output, mapped back to an input (N, D)
    one_to_many = tg.stack(outputs, dim=1)                  # (N, T, C)

    encoder, decoder = nn.GRU(D, H, batch_first=True), nn.GRU(D, H, batch_first=True)
    _, context = encoder(x)                                 # (1, N, H): everything the decoder will know
    T_OUT = 3                                               # a different output length
    dec_out, _ = decoder(tg.zeros(N, T_OUT, D), context)    # (N, T_OUT, H)
    seq2seq = fc(dec_out)                                   # (N, T_OUT, C)

    lesson.ask(f"many-to-many reads every hidden state: out is (N, T, H) = ({N}, {T}, {H}) and the Linear layer maps "
               f"H = {H} features to C = {C} classes. How many scores does fc(out) hold?",
               int(np.prod(many_to_many.shape)), 0,
               f"Linear acts on the last axis only: (N, T, H) -> (N, T, C) = ({N}, {T}, {C}), so {N} x {T} x {C} = "
               f"{N * T * C} scores, one row of {C} per sequence and step")
    lesson.table("the same GRU, four tasks", ["pattern", "input", "output"], [
        ("many-to-one", str(x.shape), str(many_to_one.shape)),
        ("many-to-many (aligned)", str(x.shape), str(many_to_many.shape)),
        ("one-to-many", str(x0.shape), str(one_to_many.shape)),
        ("seq2seq", str(x.shape), str(seq2seq.shape)),
    ])
    lesson.check("many-to-one: (N, C)", many_to_one.shape, (N, C))
    lesson.check("many-to-many: (N, T, C)", many_to_many.shape, (N, T, C))
    lesson.check("one-to-many: (N, D) in, (N, T, C) out", one_to_many.shape, (N, T, C))
    lesson.check("seq2seq: (N, T, D) in, (N, T', C) out", seq2seq.shape, (N, T_OUT, C))
    lesson.check("the last output step IS h_n (many-to-one reads h_n)", out[:, -1].numpy(), h_n[0].numpy())
    lesson.focus(many_to_one.sum())                        # --step: the b key steps the many-to-one graph
    lesson.pause()

    # ------------------------------------------------------------------------------------------------
    length = 3 if lesson.fast else 4                        # digits per string
    hidden = 32                                             # GRU hidden units (encoder and decoder)
    embed_size = 16                                         # each digit (and SOS) becomes 16 numbers
    iterations = 200 if lesson.fast else 600                # batches of training
    batch_size = 64
    target = 0.80 if lesson.fast else 0.90                  # held-out strings reversed exactly right
    lesson.section("2. An encoder-decoder that reverses digit strings")
    lesson.say(f"""
        Task: read {length} digits, write them backwards ("1234" -> "4321"), with an **encoder** and a
        **decoder** (인코더 / 디코더, 001 *seq2seq*). The output depends on the *whole*
        input before the first digit can be written, so tagging step by step cannot do it; an encoder can.

        The decoder's input at step t is the previous target digit (at t = 0 a start token SOS = {SOS}):
        **teacher forcing**. Held out: 300 strings the network never trains on; at test time the decoder
        feeds on its own guesses (greedy decoding). GRU hidden {hidden}, Adam lr 0.01, {iterations} batches of
        {batch_size}.
    """)
    rng = np.random.default_rng(0)
    every = np.arange(10 ** length)                         # every possible string, as an integer
    held_out = rng.choice(every, size=300, replace=False)
    train_pool = np.setdiff1d(every, held_out)

    def as_digits(codes):                                   # 1234 -> [1, 2, 3, 4]
        return np.stack([codes // 10 ** (length - 1 - k) % 10 for k in range(length)], axis=1)

    test_source = as_digits(held_out)                       # (300, L)
    tg.manual_seed(0)
    model = Seq2Seq(embed_size, hidden)
    optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()

    def exact_match():
        return float((model.generate(test_source, length) == test_source[:, ::-1]).all(axis=1).mean())

    with progress(lesson, "seq2seq: reversing digits", total=iterations) as advance:
        for _ in range(iterations):
            source = as_digits(rng.choice(train_pool, size=batch_size))                   # (B, L)
            target_digits = source[:, ::-1].copy()                                        # (B, L) reversed
            decoder_input = np.concatenate([np.full((batch_size, 1), SOS), target_digits[:, :-1]], axis=1)
            scores = model(tg.tensor(source), tg.tensor(decoder_input))                   # (B, L, 10)
            loss = criterion(scores.reshape(-1, 10), target_digits.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            advance(loss=loss.item())
    accuracy = exact_match()
    examples = model.generate(test_source[:5], length)
    lesson.table("held-out strings, greedy decoding", ["input", "output", "right?"],
                 [("".join(map(str, s)), "".join(map(str, g)), "yes" if (g == s[::-1]).all() else "no")
                  for s, g in zip(test_source[:5], examples)])
    lesson.say(f"Final training loss {loss.item():.4f}; **{accuracy:.1%}** of the 300 held-out strings come out "
               "exactly reversed.")
    lesson.check_at_least("held-out accuracy (strings reversed exactly)", accuracy, target)

    # ------------------------------------------------------------------------------------------------
    lesson.section("3. The encoder-decoder, drawn")
    lesson.say("""
        One held-out string through the trained network, with teacher forcing, and the gradient of the loss.
        Two lanes: the encoder's steps, then the decoder's, joined by one edge - the context vector, the
        encoder's final state, which is all the decoder knows about the input. Every step is one box
        (its ops listed inside), labelled with `||dL/dh_t||`.
    """)
    source = test_source[:1]                                                              # (1, L)
    target_digits = source[:, ::-1].copy()
    decoder_input = np.concatenate([[[SOS]], target_digits[:, :-1]], axis=1)
    with tg.watch():
        scores = model(tg.tensor(source), tg.tensor(decoder_input))
        loss = criterion(scores.reshape(-1, 10), target_digits.reshape(-1))
        loss.backward()
    lesson.check("the trained model gets this string right", scores.argmax(2).numpy(), target_digits)
    lesson.picture(visualize.draw_bptt(loss, collapse="time", rankdir="TB",
                                       title=f"seq2seq: reversing {''.join(map(str, source[0]))}"),
                   "13_seq2seq", "the encoder lane, the context edge, the decoder lane")

    lesson.recap(
        "Pick the RNN outputs a task needs: the last state, every state, or a decoder's own outputs.",
        "Build an encoder-decoder: the encoder's final state starts the decoder, fed its previous target.",
        "Tell teacher forcing (training) from free-running decoding (testing) and measure exact-match accuracy.")
    lesson.now_you(13, [
        ("T = 12", "",
         "section 1's sequences get 12 steps: many-to-many becomes (2, 12, 6), one-to-many too; the checks still "
         "pass, since they are written with T"),
        ("H = 1", "",
         "a one-number hidden state: the output and h_n shrink to one feature per step and every check of "
         "section 1 still passes (they are written with H); only what the state can remember shrinks"),
    ])

if __name__ == "__main__":
    Lesson.main(run, __doc__)
