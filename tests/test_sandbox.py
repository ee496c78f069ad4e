"""The sandboxed runner (tinygrad_edu/sandbox.py) against hostile student code: every way out is a SandboxFailure
with a reason, never a result; arrays cross bit-exact; the TA's files and the machine are left alone.

Most tests run twice: with bubblewrap (skipped where `bwrap` is missing or does not work) and with the standard
library's process limits only (isolation="none").
"""

import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tests.processes import alive_with
from tinygrad_edu.sandbox import Handle, Limits, Sandbox, SandboxFailure, bwrap_status

BWRAP, BWRAP_WHY = bwrap_status()
needs_bwrap = pytest.mark.skipif(BWRAP is None, reason=f"needs a working bubblewrap: {BWRAP_WHY}")
FAST = Limits(timeout=10.0)


@pytest.fixture(params=["bwrap", "none"])
def isolation(request):
    if request.param == "bwrap" and BWRAP is None:
        pytest.skip(f"needs a working bubblewrap: {BWRAP_WHY}")
    return request.param


def write(folder, source, name="hw.py"):
    """The student's file `name` in folder, with the dedented source; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def failure_of(path, isolation, *calls, limits=FAST, **kwargs):
    """The SandboxFailure raised by starting a sandbox on path and making calls (name, args) in order."""
    with pytest.raises(SandboxFailure) as info:
        with Sandbox(path, limits, isolation=isolation, **kwargs) as box:
            for name, *args in calls:
                box.call(name, *args)
    return info.value


# ------------------------------------------------------------------------------------------------------ data crossing
ECHO = """
    import numpy as np
    def echo(*args, **kwargs):
        return args, kwargs
    class Net:
        def __init__(self, scale):
            self.scale = scale
            self.params = {"W": np.arange(6.0).reshape(2, 3)}
        def loss(self, x):
            return float(self.scale * x.sum())
    def same(a, b):
        return a is b
    def scaled(k):
        return lambda x: k * x
"""


def test_arrays_and_values_cross_bit_exact(tmp_path, isolation):
    path = write(tmp_path, ECHO)
    nan_payload = np.array([0x7FF8000000000123], dtype=np.uint64).view(np.float64)
    arrays = [np.array([0.1, -0.0, np.inf, -np.inf, np.nan]), nan_payload, np.float32([[1.5, 2e-40]]),
              np.arange(12, dtype=np.int64).reshape(3, 4).T, np.arange(24.0).reshape(2, 3, 4)[:, ::2, 1:],
              np.array([True, False]), np.uint8([0, 255]), np.float16([0.333]), np.complex128([1 + 2j]),
              np.array(3.25), np.zeros((0, 3)), np.array(["ab", "c"]), np.array(["2020-01-01"], dtype="M8[D]")]
    scalars = [np.float64(0.1), np.float32(1 / 3), np.int32(-7), np.bool_(True)]
    plain = [None, True, 3, 2**70, 0.1, float("nan"), "é", b"\x00\xff", 1 + 2j, (1, [2, (3,)]), {1: "a", (2, 3): None}]
    with Sandbox(path, FAST, isolation=isolation) as box:
        args, kwargs = box.call("echo", *arrays, *scalars, *plain, key=np.eye(2))
    for sent, got in zip(arrays, args):
        assert type(got) is np.ndarray and got.dtype == sent.dtype and got.shape == sent.shape
        assert got.tobytes() == np.ascontiguousarray(sent).tobytes()
    assert args[3].flags.writeable                          # the student may write into what it receives
    for sent, got in zip(scalars, args[len(arrays):]):
        assert type(got) is type(sent) and got.tobytes() == sent.tobytes()
    rest = args[len(arrays) + len(scalars):]
    assert [type(v) for v in rest] == [type(v) for v in plain]
    assert rest[:5] == tuple(plain[:5]) and np.isnan(rest[5]) and rest[6:] == tuple(plain[6:])
    assert list(kwargs) == ["key"] and np.array_equal(kwargs["key"], np.eye(2))


def test_objects_stay_in_the_child_as_handles(tmp_path, isolation):
    path = write(tmp_path, ECHO)
    with Sandbox(path, FAST, isolation=isolation) as box:
        net = box.call("Net", 2.0)
        assert isinstance(net, Handle) and net.type_name == "Net"
        assert box.call("same", net, net) is True
        params = box.getattr(net, "params")
        assert np.array_equal(params["W"], np.arange(6.0).reshape(2, 3))
        assert box.call_method(net, "loss", np.ones(3)) == 6.0
        triple = box.call("scaled", 3)
        assert isinstance(triple, Handle) and box.call_handle(triple, np.float64(2)) == 6.0
        assert box.names()["echo"] == "function" and box.names()["Net"] == "class"
        with Sandbox(path, FAST, isolation=isolation) as other, pytest.raises(ValueError, match="this sandbox"):
            other.call("echo", net)


def test_what_cannot_cross_is_refused(tmp_path):
    path = write(tmp_path, """
        import numpy as np
        def objects():
            return np.array([1, "a"], dtype=object)
        def echo(x):
            return x
    """)
    with Sandbox(path, FAST, isolation="none") as box:
        with pytest.raises(TypeError, match="dtype object"):
            box.call("echo", np.array([None]))
        with pytest.raises(TypeError, match="set"):
            box.call("echo", {1, 2})
        with pytest.raises(SandboxFailure, match="objects returned something that cannot leave") as info:
            box.call("objects")
        assert info.value.kind == "unsendable"
        assert box.call("echo", 5) == 5                     # the sandbox is still usable


# ---------------------------------------------------------------------------------------------------- ways out
@pytest.mark.parametrize("exit_call, reason", [("sys.exit(0)", "your code called sys.exit(0)"),
                                                ("os._exit(0)", "the process exited with status 0")])
def test_exit_at_import(tmp_path, isolation, exit_call, reason):
    path = write(tmp_path, f"import os, sys\nprint('PASSED')\n{exit_call}\n")
    failure = failure_of(path, isolation, ("anything",))
    assert failure.reason == f"{reason} while your file was imported" and failure.phase == "import"


@pytest.mark.parametrize("exit_call, reason", [("sys.exit(0)", "your code called sys.exit(0)"),
                                                ("os._exit(0)", "the process exited with status 0"),
                                                ("raise KeyboardInterrupt", "your code raised KeyboardInterrupt"),
                                                ("os.kill(os.getpid(), signal.SIGKILL)",
                                                 "the process was killed by signal 9 (SIGKILL)"),
                                                ("os.kill(os.getpid(), signal.SIGSEGV)",
                                                 "the process was killed by signal 11 (SIGSEGV)")])
def test_exit_in_a_call_and_every_later_call(tmp_path, isolation, exit_call, reason):
    path = write(tmp_path, f"""
        import os, signal, sys
        def forward(x):
            return 2 * x
        def backward(dout):
            {exit_call}
    """)
    with Sandbox(path, FAST, isolation=isolation) as box:
        assert box.call("forward", 1.5) == 3.0
        with pytest.raises(SandboxFailure) as info:
            box.call("backward", np.ones(3))
        assert info.value.reason == f"{reason} during backward" and info.value.phase == "backward"
        with pytest.raises(SandboxFailure, match="no longer running") as later:
            box.call("forward", 1.5)
        assert later.value.kind == "dead" and not box.alive


def test_exit_between_calls(tmp_path, isolation):
    path = write(tmp_path, """
        import os, threading
        def arm():
            threading.Timer(0.2, os._exit, (0,)).start()
            return 1
        def forward():
            return 2
    """)
    with Sandbox(path, FAST, isolation=isolation) as box:
        assert box.call("arm") == 1
        time.sleep(0.6)
        with pytest.raises(SandboxFailure, match=r"exited with status 0 between calls \(after arm\)"):
            box.call("forward")


def test_printed_fake_replies_forge_nothing(tmp_path, isolation):
    path = write(tmp_path, """
        import json, os, struct, sys
        fake = json.dumps({"ok": True, "value": "PASSED", "seq": 1, "buffers": []}).encode()
        frame = b"TGSB" + struct.pack(">I", len(fake)) + fake
        def check():
            print("All gradients PASSED")
            sys.stdout.buffer.write(frame)
            sys.stdout.flush()
            os.write(1, frame)
            os.write(2, frame)
            sys.exit(0)
        def honest():
            os.write(1, frame)
            return "real"
    """)
    with Sandbox(path, FAST, isolation=isolation) as box:
        assert box.call("honest") == "real"
        with pytest.raises(SandboxFailure, match=r"sys.exit\(0\) during check"):
            box.call("check")
        assert "All gradients PASSED" in box.stdout and "TGSB" in box.stderr


def test_a_reply_written_on_the_private_channel_is_malformed(tmp_path):
    path = write(tmp_path, """
        import os, sys
        def forge():
            os.write(int(sys.argv[2]), b"garbage, not a frame")
            return 1
    """)
    failure = failure_of(path, "none", ("forge",))
    assert failure.kind == "protocol" and "malformed reply during forge" in failure.reason


def test_student_exception_names_type_message_and_frames(tmp_path, isolation):
    write(tmp_path, """
        def reshape_it(x):
            return x.reshape(5, 7)
    """, name="helper.py")
    path = write(tmp_path, """
        from helper import reshape_it
        def affine_backward(dout, cache):
            return reshape_it(dout)
    """)
    failure = failure_of(path, isolation, ("affine_backward", np.ones(6), None), directory=tmp_path)
    assert failure.reason.startswith("raised ValueError in affine_backward: cannot reshape array of size 6")
    assert failure.kind == "exception"
    lines = failure.traceback.splitlines()
    assert lines[0] == '  File "hw.py", line 4, in affine_backward' and lines[1] == "    return reshape_it(dout)"
    assert lines[2] == '  File "helper.py", line 3, in reshape_it' and "sandbox" not in failure.traceback


def test_syntax_error_and_missing_function(tmp_path, isolation):
    broken = write(tmp_path / "a", "def f(:\n    pass\n")
    failure = failure_of(broken, isolation, ("f",))
    assert failure.kind == "syntax" and failure.phase == "import"
    assert failure.reason.startswith("your file has a SyntaxError (hw.py, line 1)")
    fine = write(tmp_path / "b", "x = 3\n")
    with Sandbox(fine, FAST, isolation=isolation) as box:
        with pytest.raises(SandboxFailure, match="your file has no 'affine_forward'"):
            box.call("affine_forward")
        with pytest.raises(SandboxFailure, match="x in your file is a int, not a function"):
            box.call("x")


# ------------------------------------------------------------------------------------------------------ limits
@pytest.mark.slow
def test_infinite_loop_is_killed_at_the_timeout(tmp_path, isolation):
    path = write(tmp_path, """
        def forward(x):
            while True:
                pass
    """)
    start = time.monotonic()
    failure = failure_of(path, isolation, ("forward", np.ones(2)), limits=Limits(timeout=2))
    assert failure.reason == "timed out after 2 s in forward" and failure.kind == "timeout"
    assert time.monotonic() - start < 6


def test_infinite_loop_at_import_is_killed(tmp_path):
    path = write(tmp_path, "while True:\n    pass\n")
    failure = failure_of(path, "none", ("f",), limits=Limits(timeout=1))
    assert failure.reason == "timed out after 1 s in the import of your file"


@pytest.mark.slow
def test_overall_time_limit(tmp_path):
    path = write(tmp_path, "import time\ndef nap():\n    time.sleep(0.6)\n")
    failure = failure_of(path, "none", ("nap",), ("nap",), ("nap",), limits=Limits(timeout=5, total_timeout=1.5))
    assert failure.reason == "timed out in nap: the sandbox's overall limit of 1.5 s ran out"


@pytest.mark.slow
def test_cpu_time_limit(tmp_path, isolation):
    path = write(tmp_path, "def spin():\n    while True:\n        pass\n")
    failure = failure_of(path, isolation, ("spin",), limits=Limits(timeout=20, cpu_seconds=1))
    assert failure.kind == "cpu" and failure.reason == "used up its CPU-time limit of 1 s during spin"


def test_20_gb_allocation_is_a_clean_memory_failure(tmp_path, isolation):
    path = write(tmp_path, """
        import numpy as np
        def forward(x):
            big = np.ones((20 * 2**30 // 8,))
            return big
        def fine():
            return 7
    """)
    with Sandbox(path, Limits(timeout=10, memory_mb=1024), isolation=isolation) as box:
        with pytest.raises(SandboxFailure) as info:
            box.call("forward", np.ones(2))
        assert info.value.reason == "ran out of memory (limit 1024 MiB) in forward" and info.value.kind == "memory"
        assert "big = np.ones" in info.value.traceback
        assert box.call("fine") == 7                        # a MemoryError leaves the process usable


def test_file_size_limit(tmp_path):
    path = write(tmp_path, """
        def dump():
            with open("big.bin", "wb") as f:
                f.write(b"x" * (3 * 2**20))
    """)
    failure = failure_of(path, "none", ("dump",), limits=Limits(timeout=10, file_mb=1))
    assert failure.reason.startswith("raised OSError in dump") and "File too large" in failure.reason


def test_50_mb_of_output_is_truncated_and_the_call_still_works(tmp_path, isolation):
    path = write(tmp_path, """
        import sys
        def noisy():
            print("FIRST LINE")
            line = "x" * 99 + "\\n"
            for _ in range(50 * 2**20 // 100 // 1000):
                sys.stdout.write(line * 1000)
            print("LAST LINE")
            print("warning", file=sys.stderr)
            return 42
    """)
    with Sandbox(path, Limits(timeout=30, output_kb=8), isolation=isolation) as box:
        assert box.call("noisy") == 42
        out = box.stdout
    assert out.startswith("FIRST LINE\n") and out.endswith("LAST LINE\n") and len(out) < 9000
    assert " bytes cut ...]" in out and box.stderr == "warning\n"


# ---------------------------------------------------------------------------------------------------- isolation
HOSTILE_FILES = """
    import glob, os
    def attack(targets):
        done = []
        for path in targets:
            try:
                os.remove(path)
                done.append("deleted " + path)
            except OSError:
                pass
            try:
                with open(path + ".evil", "w") as f:
                    f.write("pwned")
                done.append("wrote " + path)
            except OSError:
                pass
        for path in glob.glob("*.py") + glob.glob("../*/*"):
            try:
                os.remove(path)
                done.append("deleted " + path)
            except OSError:
                pass
        with open("scratch.txt", "w") as f:          # its own working directory is writable
            f.write("ok")
        return done
"""


def test_files_beside_the_submission_are_untouched(tmp_path, isolation):
    """Relative-path attacks (its folder, the folders beside it) hit the sandbox's copy, with or without bwrap."""
    ta = tmp_path / "ta"
    ta.mkdir()
    (ta / "grades.csv").write_text("alice,10\n")
    other = write(tmp_path / "bob", "def f():\n    return 1\n")
    path = write(tmp_path / "alice", HOSTILE_FILES)
    with Sandbox(path, FAST, isolation=isolation) as box:
        done = box.call("attack", [])
        assert "deleted hw.py" in done                      # its own copy, in its own working directory
        assert os.path.exists(os.path.join(box.workdir, "scratch.txt"))
    assert (ta / "grades.csv").read_text() == "alice,10\n" and other.exists() and path.exists()
    assert sorted(os.listdir(tmp_path)) == ["alice", "bob", "ta"] and os.listdir(ta) == ["grades.csv"]


@needs_bwrap
def test_bwrap_keeps_absolute_paths_read_only(tmp_path):
    ta = tmp_path / "ta"
    ta.mkdir()
    grades = ta / "grades.csv"
    grades.write_text("alice,10\n")
    beside_repo = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
    path = write(tmp_path / "alice", HOSTILE_FILES)
    with Sandbox(path, FAST, isolation="bwrap") as box:
        assert box.isolation.startswith("bubblewrap")
        done = box.call("attack", [str(grades), beside_repo, "/tmp/planted", os.path.expanduser("~/planted")])
    # its private /tmp takes the writes below /tmp: there, and in a checkout under /tmp (CI's), whose folders
    # bwrap makes on that tmpfs to mount the venv and the package on; the real files are checked below
    private = [path for path in (beside_repo, "/tmp/planted") if path.startswith("/tmp/")]
    assert [d for d in done if not d.endswith("hw.py")] == [f"wrote {path}" for path in private]
    assert grades.read_text() == "alice,10\n" and os.listdir(ta) == ["grades.csv"]
    assert os.path.exists(beside_repo) and not os.path.exists(beside_repo + ".evil")
    assert not os.path.exists("/tmp/planted.evil") and not os.path.exists(os.path.expanduser("~/planted.evil"))


@needs_bwrap
def test_bwrap_hides_other_submissions_and_the_tas_files(tmp_path):
    """Only the system, python, numpy and tinygrad_edu are visible: reading beside the submission finds nothing."""
    (tmp_path / "assignment.py").write_text("REFERENCE = 'secret'\n")
    bob = write(tmp_path / "bob", "ANSWER = 42\n")
    repo_readme = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
    path = write(tmp_path / "alice", """
        def peek(paths):
            seen = {}
            for path in paths:
                try:
                    with open(path) as f:
                        seen[path] = f.read()
                except OSError as error:
                    seen[path] = type(error).__name__
            return seen
        def engine():
            import tinygrad_edu
            return float(tinygrad_edu.Tensor([1.0, 2.0]).sum().item())
    """)
    paths = [str(tmp_path / "assignment.py"), str(bob), repo_readme, "hw.py"]
    with Sandbox(path, FAST, isolation="bwrap") as box:
        seen = box.call("peek", paths)
        assert box.call("engine") == 3.0                    # the package itself is there to import
    assert [seen[p] for p in paths[:3]] == ["FileNotFoundError"] * 3 and seen["hw.py"].startswith("\ndef peek")
    with Sandbox(path, FAST, isolation="none") as box:       # the control: without bwrap they are readable
        assert box.call("peek", paths)[str(bob)] == "ANSWER = 42\n"


@needs_bwrap
def test_bwrap_has_no_network(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    path = write(tmp_path, f"""
        import socket
        def reach():
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
                return "connected"
            except OSError as error:
                return type(error).__name__
    """)
    try:
        with Sandbox(path, FAST, isolation="bwrap") as box:
            assert box.call("reach") != "connected"
        with Sandbox(path, FAST, isolation="none") as box:   # the control: without bwrap it does connect
            assert box.call("reach") == "connected"
    finally:
        server.close()


def test_processes_left_running_die_with_the_sandbox(tmp_path, isolation):
    token = f"tinygrad-edu-stray-{os.getpid()}-{isolation}"
    path = write(tmp_path, f"""
        import subprocess, sys
        def spawn():
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "{token}"])
            return 1
    """)
    with Sandbox(path, FAST, isolation=isolation) as box:
        assert box.call("spawn") == 1
        deadline = time.monotonic() + 5
        while not alive_with(token) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive_with(token), "the stray process never started"
    deadline = time.monotonic() + 5
    while alive_with(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive_with(token) == []


def test_a_daemon_that_leaves_the_process_group_dies_too(tmp_path, isolation):
    token = f"tinygrad-edu-daemon-{os.getpid()}-{isolation}"
    path = write(tmp_path, f"""
        import subprocess, sys
        def spawn():
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "{token}"],
                             start_new_session=True)
            return 1
    """)
    with Sandbox(path, FAST, isolation=isolation) as box:
        box.call("spawn")
        deadline = time.monotonic() + 5
        while not alive_with(token) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive_with(token), "the daemon never started"
    deadline = time.monotonic() + 5
    while alive_with(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive_with(token) == []


def test_same_named_helper_modules_stay_apart(tmp_path, isolation):
    for student, value in (("alice", 1), ("bob", 2)):
        write(tmp_path / student, f"VALUE = {value}\n", name="helper.py")
        write(tmp_path / student, "from helper import VALUE\ndef value():\n    return VALUE\n")
    with Sandbox(tmp_path / "alice" / "hw.py", FAST, directory=tmp_path / "alice", isolation=isolation) as a, \
            Sandbox(tmp_path / "bob" / "hw.py", FAST, directory=tmp_path / "bob", isolation=isolation) as b:
        assert (a.call("value"), b.call("value"), a.call("value")) == (1, 2, 1)
    assert "helper" not in sys.modules


def test_isolation_says_what_is_in_force(tmp_path):
    path = write(tmp_path, "x = 1\n")
    box = Sandbox(path, isolation="none")
    assert box.isolation.startswith("process limits only (isolation='none' was asked for)")
    assert "NOT isolated" in box.isolation and "2048 MiB memory" in box.isolation and "30 s per call" in box.isolation


def test_bad_arguments_are_the_callers_errors(tmp_path):
    path = write(tmp_path, "x = 1\n")
    with pytest.raises(ValueError, match="timeout must be a positive finite number, got 0"):
        Limits(timeout=0)
    with pytest.raises(ValueError, match="does not exist"):
        Sandbox(tmp_path / "nope.py")
    with pytest.raises(ValueError, match="not inside the submission folder"):
        Sandbox(path, directory=tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="isolation must be"):
        Sandbox(path, isolation="docker")


def test_a_failed_import_leaves_no_process_or_folder(tmp_path):
    path = write(tmp_path, "raise RuntimeError('no')\n")
    box = Sandbox(path, FAST, isolation="none")
    with pytest.raises(SandboxFailure, match="raised RuntimeError while your file was imported: no"):
        box.start()
    assert not os.path.exists(box.workdir) and not box.alive
    with pytest.raises(SandboxFailure, match="no longer running"):
        box.call("f")


def test_a_child_that_cannot_start_is_not_blamed_on_the_student(tmp_path, monkeypatch):
    import tinygrad_edu.sandbox as sandbox

    broken = tmp_path / "child.py"
    broken.write_text("import sys\nprint('numpy is missing here', file=sys.stderr)\nsys.exit(1)\n")
    monkeypatch.setattr(sandbox, "_CHILD", str(broken))
    path = write(tmp_path / "s", "x = 1\n")
    expected = r"(?s)child process did not start \(it exited, status 1\).*numpy is missing here"
    with pytest.raises(RuntimeError, match=expected):
        Sandbox(path, FAST, isolation="none").start()


def test_handles_compare_by_object(tmp_path):
    path = write(tmp_path, "cache = {'a': object()}\ndef get():\n    return cache['a']\n")
    with Sandbox(path, FAST, isolation="none") as box:
        first, second = box.call("get"), box.call("get")
        assert first == second and len({first, second}) == 1


def test_a_forged_frame_for_another_request_is_malformed(tmp_path):
    path = write(tmp_path, """
        import json, os, struct, sys
        def forge():
            fake = json.dumps({"ok": True, "value": "PASSED", "seq": 999, "buffers": []}).encode()
            os.write(int(sys.argv[2]), b"TGSB" + struct.pack(">I", len(fake)) + fake)
            return "real"
    """)
    failure = failure_of(path, "none", ("forge",))
    assert failure.kind == "protocol" and "it answers request 999, not 3" in failure.reason


@pytest.mark.parametrize("frame, message", [
    (b"XXXX\x00\x00\x00\x02{}", "a frame starts with b'TGSB'"),
    (b"TGSB\xff\xff\xff\xff", "larger than the limit"),
])
def test_wire_refuses_malformed_prefixes(frame, message):
    from tinygrad_edu import sandbox_wire as wire

    with pytest.raises(wire.WireError, match=message):
        wire.parse_prefix(frame[:8])


@pytest.mark.parametrize("header, message", [
    (b"[1, 2]", "a JSON list, not an object"),
    (b"{\"buffers\": [-1]}", "not a list of byte counts"),
    (b"{\"buffers\": [5000]}", "more than the limit of 100"),
    (b"[" * 100000 + b"]" * 100000, "RecursionError"),
    (b"\xff", "not JSON"),
])
def test_wire_refuses_malformed_headers(header, message):
    from tinygrad_edu import sandbox_wire as wire

    with pytest.raises(wire.WireError, match=message):
        wire.parse_header(header, max_total=100)


@pytest.mark.parametrize("value, buffers, message", [
    ({"t": "a", "d": "|O", "s": [1], "b": 0}, [bytearray(8)], "not a plain numeric"),
    ({"t": "a", "d": "<f8", "s": [2], "b": 0}, [bytearray(8)], "with 8 bytes"),
    ({"t": "a", "d": "<f8", "s": [1], "b": 3}, [bytearray(8)], "raw buffer 3 of 1"),
    ({"t": "a", "d": "<f8", "s": "1", "b": 0}, [bytearray(8)], "not a list of sizes"),
    ({"t": "d", "k": [{"t": "l", "v": []}], "v": [1]}, [], "cannot be a key"),
    ({"t": "d", "k": [1, 2], "v": [1]}, [], "different numbers"),
    ({"t": "h"}, [], "handle without an integer id"),
    ({"t": "zz"}, [], "unknown tag 'zz'"),
    ([1, 2], [], "untagged list"),
])
def test_wire_refuses_malformed_values(value, buffers, message):
    from tinygrad_edu import sandbox_wire as wire

    with pytest.raises(wire.WireError, match=message):
        wire.decode(value, buffers, handle=lambda tag: tag)


def test_a_lower_limit_already_in_force_is_the_one_reported(tmp_path):
    """A TA's shell with `ulimit -v` below memory_mb: the child keeps the lower limit and every report says so."""
    path = write(tmp_path, "import numpy as np\ndef big():\n    return np.ones(2**31)\n")
    code = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1500 * 2**20, 1500 * 2**20))
        from tinygrad_edu.sandbox import Limits, Sandbox, SandboxFailure
        with Sandbox({str(path)!r}, Limits(memory_mb=4096), isolation="none") as box:
            print(box.isolation)
            try:
                box.call("big")
            except SandboxFailure as failure:
                print(failure.reason)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    isolation, reason = run.stdout.splitlines()
    assert isolation.endswith("(held lower by the limits already in force: address space 1500 MiB)")
    assert reason == "ran out of memory (limit 1500 MiB) in big"
