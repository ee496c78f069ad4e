"""`tinygrad-edu lesson 1 --step` in a real terminal, driven through tmux (send-keys, capture-pane): Enter goes on,
b prints the backward stepper of the current graph, q quits.  Skipped when tmux is not installed."""

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PROMPT = "Enter: next   b: backward stepper"


class Terminal:
    """A detached tmux session running one command in a 160x50 pane."""

    def __init__(self, command):
        self.name = f"tg-edu-{uuid.uuid4().hex[:8]}"
        env = dict(os.environ, TERM="xterm-256color", COLUMNS="160", LINES="50")
        env.pop("TMUX", None)
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "160", "-y", "50", command],
                       check=True, env=env)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-S", "-200", "-t", self.name], capture_output=True,
                              text=True).stdout

    def keys(self, *keys):
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, text, count=1, timeout=60.0) -> str:
        """The screen once `text` shows on it `count` times (fails after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear {count} time(s) within {timeout} s; screen:\n{screen}")
            time.sleep(0.1)

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def terminal(tmp_path):
    done = tmp_path / "exit_status"
    # the exit status goes to a file and the shell then waits, so the last screen can still be read
    command = (f"{sys.executable} -m tinygrad_edu lesson 1 --step; echo $? > {done}; sleep 60")
    term = Terminal(command)
    term.done = done
    yield term
    term.close()


def test_step_pauses_then_b_shows_the_stepper_and_q_quits(terminal):
    first = terminal.wait_for(PROMPT)
    assert "-- step 1 --" in first
    assert "nudging w by h = 0.001 around w = 0" in first           # section 1 ran up to its first panel
    assert "2. Gradient descent" not in first                      # and nothing after it
    terminal.keys("b")                                             # a graph exists already: L = (w - 3)^2
    at_first = terminal.wait_for("the backward pass, step by step")
    assert "Pow → L" in at_first

    for step in (2, 3, 4, 5):
        terminal.keys("Enter")
        screen = terminal.wait_for(f"-- step {step} --")
        if step == 2:
            assert "gradient descent on L(w) = (w - 3)^2" in screen
    # four steps on: the forward panel of f = (x + y) * z and the backward panel with its numbers
    assert "q = x + y = -2 + 5 = 3" in screen
    assert "f = q * z = 3 * -4 = -12" in screen
    assert "df/dx = df/dq * dq/dx = -4 * 1 = -4" in screen
    assert "the backward pass, one node at a time" not in screen      # the stepper section has not started

    terminal.keys("b")                                               # no Enter needed: one key
    stepped = terminal.wait_for("-- step 5 --", count=2)              # b did not move on: same pause, asked again
    assert "Mul → f" in stepped and "Add → q" in stepped             # f's backward, op by op
    assert "-- step 6 --" not in stepped

    terminal.keys("q")
    quit_screen = terminal.wait_for("stopped at step 5")
    deadline = time.monotonic() + 20
    while not terminal.done.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert terminal.done.read_text().strip() == "0"
    assert "lesson 1 done" not in quit_screen


def test_ctrl_c_at_a_pause_quits_with_one_line_and_status_130(terminal):
    terminal.wait_for(PROMPT)
    terminal.keys("C-c")
    screen = terminal.wait_for("stopped at step 1 (Ctrl-C)")
    deadline = time.monotonic() + 20
    while not terminal.done.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert terminal.done.read_text().strip() == "130"
    screen = terminal.screen()
    assert "Traceback" not in screen and "KeyboardInterrupt" not in screen
    assert "lesson 1 done" not in screen


def test_without_a_terminal_step_never_blocks():
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "lesson", "1", "--step"], capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert PROMPT not in result.stdout and "lesson 1 done" in result.stdout
