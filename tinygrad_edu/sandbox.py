"""Run untrusted student code in a child process and call its functions with numpy arrays.

    with Sandbox("hw/layers.py", limits=Limits(timeout=30, memory_mb=2048)) as box:
        print(box.isolation)                         # which isolation is in force, for the report
        out, cache = box.call("affine_forward", x, w, b)      # (ndarray, Handle): the cache stays in the child
        dx, dw, db = box.call("affine_backward", dout, cache)

Each Sandbox is a fresh process (sandbox_child.py) in its own session and process group, started in a fresh
temporary directory holding a copy of the submission only, under bubblewrap where `bwrap` works (only the system,
python, numpy and tinygrad_edu visible and read-only, private /tmp, no network, own PID namespace, no
capabilities; sandbox_os.py) and with resource limits set before the student's code runs (address space, CPU
time, file size, processes). Arguments and results
cross two private pipes as JSON plus raw array bytes (sandbox_wire.py; never pickle): arrays bit-exact, numbers,
tuples, lists, dicts as data, any other object as a Handle to pass back. The student's stdout/stderr are captured
apart from that channel and truncated, so nothing printed can pose as a reply.

Anything that goes wrong in the student's code (an exception, sys.exit, os._exit, a signal, a timeout, running
out of memory, a malformed reply) raises SandboxFailure with a one-sentence .reason; it is never a result. After
the process is gone (exit, timeout, crash) every later call raises SandboxFailure too.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from . import sandbox_os as system
from . import sandbox_wire as wire
from .sandbox_os import bwrap_status

__all__ = ["Sandbox", "Limits", "SandboxFailure", "Handle", "bwrap_status"]

_CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_child.py")
_MAX_COPY = 256 * 2**20            # a submission folder larger than this is a TA's mistake, not homework
_MAX_ENTRIES = 20_000              # nor one of more files and folders (copied before any time limit runs)
_SKIP = {"__pycache__", ".git", ".ipynb_checkpoints"}
_START_TIMEOUT = 60.0              # for python and numpy to start in the child, before any student code runs
_MEMORY_POLL = 0.2                 # seconds between two looks at the memory all of a sandbox's processes hold
_MEMORY_SLACK_MB = 64              # bwrap's own processes, above the one python process's address-space limit
_OWN_PROCESSES = 3                 # bwrap, its init in the PID namespace and the child python: not the student's
_serials = itertools.count(1)


@dataclass(frozen=True)
class Limits:
    """What a sandboxed process may use.

    timeout: wall-clock seconds per call (the import of the student's file counts as one call).
    total_timeout: wall-clock seconds for the whole sandbox; None means 4 x timeout.
    cpu_seconds: CPU time of the process over its life (RLIMIT_CPU); None means total_timeout.
    memory_mb: address space in MiB (RLIMIT_AS): a bigger allocation raises MemoryError in the child.
    file_mb: largest file the process may write, in MiB (RLIMIT_FSIZE).
    output_kb: per stream (stdout, stderr), the KiB kept: the first and last output_kb / 2 of it.
    max_processes: processes the student may start (RLIMIT_NPROC above the user's current count; not enforced
        for root, where only bubblewrap's PID namespace and the process group contain them).
    reply_mb: largest reply (its arrays' bytes) the parent accepts, in MiB: a bigger one is a malformed reply,
        so a student's process cannot make the grader's hold gigabytes (the child's memory limit binds only it).
    """

    timeout: float = 30.0
    memory_mb: int = 2048
    total_timeout: float | None = None
    cpu_seconds: float | None = None
    file_mb: int = 64
    output_kb: int = 16
    max_processes: int = 64
    reply_mb: int = 256

    def __post_init__(self):
        for name in ("timeout", "memory_mb", "total_timeout", "cpu_seconds", "file_mb", "output_kb", "max_processes",
                     "reply_mb"):
            value = getattr(self, name)
            if value is None and name in ("total_timeout", "cpu_seconds"):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise ValueError(f"Limits: {name} must be a positive finite number, got {value!r}")

    @property
    def total(self):
        """The whole sandbox's wall-clock budget in seconds."""
        return self.total_timeout if self.total_timeout is not None else 4 * self.timeout

    @property
    def cpu(self):
        """The process's CPU-time budget in seconds."""
        return self.cpu_seconds if self.cpu_seconds is not None else self.total


class SandboxFailure(Exception):
    """The student's code failed in the sandbox: a FAIL, never a pass.

    reason: one plain sentence ("your code called sys.exit(0) during affine_backward").
    phase: the call it happened in ("import", a function name, "between calls (after f)").
    traceback: the last frames in the student's files ("" when there are none).
    kind: "exception", "syntax", "exit", "interrupt", "memory", "timeout", "cpu", "signal", "exited",
          "protocol", "missing", "unsendable", "processes" (started more than max_processes) or "dead" (a call
          after the process was already gone).
    """

    def __init__(self, reason, phase, traceback="", kind="exception"):
        super().__init__(reason)
        self.reason, self.phase, self.traceback, self.kind = reason, phase, traceback, kind


class Handle:
    """An object that stays in the sandbox's child (a cache, a net, a function); pass it back to calls."""

    __slots__ = ("id", "type_name", "_owner")

    def __init__(self, id, type_name, owner):
        self.id, self.type_name, self._owner = id, type_name, owner

    def __repr__(self):
        return f"<Handle {self.id}: {self.type_name} in sandbox {self._owner}>"

    def __eq__(self, other):
        return isinstance(other, Handle) and (self.id, self._owner) == (other.id, other._owner)

    def __hash__(self):
        return hash((self.id, self._owner))


# ------------------------------------------------------------------------------------------------------------ sandbox
class _Died(Exception):
    pass


class _TimedOut(Exception):
    pass


class Sandbox:
    """A fresh child process running one student's file; see the module docstring.

    path: the student's .py file. directory: the submission folder to copy with it (helper modules beside the
    file import), which must contain path; None copies the file alone. isolation: "auto" (bubblewrap where it
    works, else process limits only), "bwrap" (required: RuntimeError without it) or "none".
    """

    def __init__(self, path, limits=None, *, directory=None, isolation="auto"):
        self.limits = Limits() if limits is None else limits
        if not isinstance(self.limits, Limits):
            raise TypeError(f"Sandbox: limits must be a Limits, got {type(self.limits).__name__}")
        self.path = os.path.abspath(os.fspath(path))
        if not os.path.isfile(self.path):
            raise ValueError(f"Sandbox: the student's file {self.path} does not exist (or is not a file)")
        self.directory = None if directory is None else os.path.abspath(os.fspath(directory))
        if self.directory is not None and not self.path.startswith(self.directory + os.sep):
            raise ValueError(f"Sandbox: the file {self.path} is not inside the submission folder {self.directory}")
        if isolation not in ("auto", "bwrap", "none"):
            raise ValueError(f"Sandbox: isolation must be 'auto', 'bwrap' or 'none', got {isolation!r}")
        bwrap, why = bwrap_status() if isolation != "none" else (None, "isolation='none' was asked for")
        if isolation == "bwrap" and bwrap is None:
            raise RuntimeError(f"Sandbox: isolation='bwrap' was asked for but {why}")
        self._bwrap = bwrap
        self.isolation = self._describe_isolation(why)
        self._serial = next(_serials)
        self._marker = f"{os.getpid()}-{self._serial}-{secrets.token_hex(8)}"
        self._proc = self._failure = None
        self._captures = []
        self._last = None                   # the last call that returned, for "between calls (after f)"
        self._seq = 0
        self.memory_mb = self.limits.memory_mb  # the address-space limit in force (lower if the shell's ulimit is)
        self._lock = threading.RLock()      # one request at a time, whichever thread asks

    def _describe_isolation(self, why):
        lim = self.limits
        limits = (f"limits: {lim.timeout:g} s per call, {lim.total:g} s in all, {lim.cpu:g} s CPU, "
                  f"{lim.memory_mb} MiB memory, {lim.file_mb} MiB per file written")
        if self._bwrap:
            return ("bubblewrap: only the system, python and numpy visible (read-only), a fresh writable working "
                    f"directory, private /tmp, no network, own PID namespace, no capabilities; {limits}")
        return (f"process limits only ({why}): fresh working directory, own process group; the file system, "
                f"network and other processes are NOT isolated; {limits}")

    # ------------------------------------------------------------------------------------------------ life
    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def __del__(self):                      # a sandbox never closed still ends with its last reference
        try:
            self.close()
        except Exception:                   # noqa: BLE001 -- at interpreter exit modules may already be gone
            pass

    def start(self):
        """Start the child and import the student's file (SandboxFailure if the import fails). Returns self."""
        if self._proc is not None:
            return self
        if self._failure is not None:
            raise SandboxFailure(f"the sandbox is no longer running ({self._failure.reason})", "start", kind="dead")
        self._root = tempfile.mkdtemp(prefix="tinygrad-edu-sandbox-")
        self.workdir = os.path.join(self._root, "work")     # the copy of the submission, its cwd
        try:
            self._copy_submission()
            self._spawn()
            self._await_ready()
            self._deadline_all = time.monotonic() + self.limits.total
            limits = {"memory_mb": int(self.limits.memory_mb), "file_mb": int(self.limits.file_mb),
                      "cpu_seconds": self.limits.cpu, "max_tasks": system.max_tasks(self.limits.max_processes)}
            self._note_limits(self._request({"op": "limits", "limits": limits}, "setting the limits"))
            file = os.path.relpath(self.path, self.directory or os.path.dirname(self.path))
            self._request({"op": "start", "file": file}, "import")
        except BaseException:               # a failed import (or a TA's Ctrl-C) leaves no process or folder behind
            self.close()
            raise
        return self

    def _note_limits(self, applied):
        """Say in the isolation line which limits differ from the asked ones (refused, or held lower)."""
        refused, lowered = applied.get("refused") or [], applied.get("lowered") or {}
        if refused:
            self.isolation += f" (this system refused the {', '.join(map(str, refused))} limit)"
        if "address space" in lowered:
            self.memory_mb = int(lowered["address space"]) // 2**20
        notes = [f"{name} {int(value) // 2**20} MiB" if name in ("address space", "file size") else f"{name} {value}"
                 for name, value in lowered.items()]
        if notes:
            self.isolation += f" (held lower by the limits already in force: {', '.join(notes)})"

    def _await_ready(self):
        """Wait for the child's first frame, sent before any student code runs: a child that cannot start
        (numpy missing for this python, bwrap refusing) is the set-up's problem, not the student's."""
        try:
            header, _ = self._receive(time.monotonic() + _START_TIMEOUT)
            if header.get("ready") is True:
                return
            problem = f"its first message was {header!r}"
        except _TimedOut:
            problem = f"it did not answer within {_START_TIMEOUT:g} s"
        except _Died:
            self._await_exit(2.0)
            problem = "it exited"
        except wire.WireError as error:
            problem = f"its first message was malformed: {error}"
        self._kill(self._proc)
        status = self._proc.wait()
        problem += f", status {status}" if problem.startswith("it exited") else ""
        for capture in self._captures:
            capture.thread.join(timeout=2)
        raise RuntimeError(f"Sandbox: the sandbox's child process did not start ({problem}); "
                           f"its stderr:\n{self.stderr.strip() or '(empty)'}")

    def _copy_submission(self):
        if self.directory is None:
            os.mkdir(self.workdir)
            shutil.copy2(self.path, self.workdir)
            return
        total = entries = 0

        def skip(folder, names):
            nonlocal total, entries
            entries += len(names)
            if entries > _MAX_ENTRIES:
                raise ValueError(f"Sandbox: the submission folder {self.directory} holds more than {_MAX_ENTRIES} "
                                 "files and folders; point it at the student's own folder")
            skipped = set()
            for name in names:
                full = os.path.join(folder, name)
                if name in _SKIP or os.path.islink(full) or not (os.path.isfile(full) or os.path.isdir(full)):
                    skipped.add(name)           # links could point at the TA's files; devices and pipes are no code
                elif os.path.isfile(full):
                    total += os.path.getsize(full)
            if total > _MAX_COPY:
                raise ValueError(f"Sandbox: the submission folder {self.directory} holds more than "
                                 f"{_MAX_COPY // 2**20} MiB; point it at the student's own folder")
            return skipped

        shutil.copytree(self.directory, self.workdir, ignore=skip)

    def _spawn(self):
        os.mkdir(os.path.join(self._root, "tmp"))
        request_r, self._req = os.pipe()
        self._rep, reply_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.workdir, "LANG": "C.UTF-8",
               "TMPDIR": "/tmp" if self._bwrap else os.path.join(self._root, "tmp"),
               "TINYGRAD_EDU_SANDBOX": self._marker,      # inherited by what the student starts: see _kill
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
        # -I: no PYTHON* variables, no user site, no script folder on sys.path; numpy's folder is passed instead
        # so a numpy from PYTHONPATH or the user site still imports
        command = [sys.executable, "-I", "-B", _CHILD, str(request_r), str(reply_w), system.NUMPY_HOME]
        if self._bwrap:
            command = system.bwrap_args(self._bwrap, self._root, self.workdir) + command
        try:
            self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w,
                                          pass_fds=(request_r, reply_w), cwd=self.workdir, env=env,
                                          start_new_session=True)
        except BaseException:
            for fd in (self._req, self._rep, out_r, err_r):
                system.close_fd(fd)
            raise
        finally:
            for fd in (request_r, reply_w, out_w, err_w):
                system.close_fd(fd)
        os.set_blocking(self._req, False)
        os.set_blocking(self._rep, False)
        self._reader = os.fdopen(self._rep, "rb", buffering=0)
        self._pidfd = os.pidfd_open(self._proc.pid) if hasattr(os, "pidfd_open") else None
        keep = int(self.limits.output_kb * 1024)
        self._captures = [system.OutputCapture(out_r, keep), system.OutputCapture(err_r, keep)]
        self._over_memory, self._stop_watch = None, threading.Event()
        threading.Thread(target=self._watch_memory, args=(self._proc, self._stop_watch), daemon=True).start()

    def _watch_memory(self, proc, stop):
        """Kill the sandbox when its processes together hold more than the memory limit (RLIMIT_AS binds each
        process alone, so a student's code that forks N children could hold N times the limit), or when they are
        more than max_processes (RLIMIT_NPROC does not bind root: a fork bomb would run until the timeout)."""
        limit = (int(self.limits.memory_mb) + _MEMORY_SLACK_MB) * 2**20
        most = int(self.limits.max_processes) + _OWN_PROCESSES
        while not stop.wait(_MEMORY_POLL):
            used, count = system.tree_memory(proc.pid, most)
            if (used > limit or count > most) and not stop.is_set():
                self._over_memory = (used, count)
                self._kill(proc)
                return

    def close(self):
        """Kill the process group (and with it any process the student left running), remove the directory."""
        proc, self._proc = self._proc, None
        if getattr(self, "_stop_watch", None) is not None:
            self._stop_watch.set()
        if proc is not None:
            if proc.returncode is None:     # not reaped yet, so its pid still names its process group
                self._kill(proc)
            proc.wait()
            for fd in (self._req,):
                system.close_fd(fd)
            self._reader.close()
            if self._pidfd is not None:
                system.close_fd(self._pidfd)
            for capture in self._captures:
                capture.thread.join(timeout=2)
            if self._failure is None:
                self._failure = SandboxFailure("the sandbox was closed", "close", kind="dead")
        if getattr(self, "_root", None):
            shutil.rmtree(self._root, onerror=system.force_remove)
            self._root = None

    def _kill(self, proc):
        try:
            os.killpg(proc.pid, signal.SIGKILL)     # the group of the child (or of bwrap, whose PID namespace dies)
        except (ProcessLookupError, PermissionError):
            pass
        if not self._bwrap:                         # without a PID namespace: also what left the group (setsid)
            system.kill_marked(self._marker)

    @property
    def alive(self):
        """True while the child runs and no failure has ended it."""
        return self._proc is not None and self._failure is None

    @property
    def stdout(self):
        """What the student's code printed to stdout, truncated to its first and last output_kb / 2 KiB."""
        return self._captures[0].text() if self._captures else ""

    @property
    def stderr(self):
        """What the student's code wrote to stderr (tracebacks of a crash included), truncated like stdout."""
        return self._captures[1].text() if self._captures else ""

    # ------------------------------------------------------------------------------------------------ calls
    def call(self, name, *args, **kwargs):
        """name(*args, **kwargs) in the student's module (a dotted name reaches into a class: "Net.loss")."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"Sandbox.call: the function's name must be a non-empty str, got {name!r}")
        return self._request({"op": "call", "target": name}, name, args, kwargs)

    def call_handle(self, handle, *args, **kwargs):
        """Call a child-side callable (e.g. a function the student's check() returned)."""
        self._own(handle, "call_handle")
        return self._request({"op": "call_handle", "handle": handle.id}, handle.type_name, args, kwargs)

    def call_method(self, handle, name, *args, **kwargs):
        """handle.name(*args, **kwargs) for a child-side object (e.g. net.loss(X, y))."""
        method = self.getattr(handle, name)
        if not isinstance(method, Handle):
            raise SandboxFailure(f"{handle.type_name}.{name} is not a method (it is plain data)", name,
                                 kind="missing")
        return self._request({"op": "call_handle", "handle": method.id}, f"{handle.type_name}.{name}", args, kwargs)

    def getattr(self, handle, name):
        """An attribute of a child-side object (handle None: of the student's module), as data or a Handle."""
        if handle is not None:
            self._own(handle, "getattr")
        return self._request({"op": "getattr", "handle": None if handle is None else handle.id, "name": str(name)},
                             f"{'your module' if handle is None else handle.type_name}.{name}")

    def names(self):
        """The student's module's top-level names: name -> "function", "class" or "value"."""
        return self._request({"op": "names"}, "listing your module's names")

    def release(self, handle):
        """Let the child forget a Handle's object (a long check that makes many caches)."""
        self._own(handle, "release")
        self._request({"op": "release", "handle": handle.id}, "release")

    def _own(self, handle, op):
        if not isinstance(handle, Handle) or handle._owner != self._serial:
            raise ValueError(f"Sandbox.{op}: expected a Handle from this sandbox, got {handle!r}")

    # --------------------------------------------------------------------------------------------- protocol
    def _request(self, header, phase, args=(), kwargs=None):
        with self._lock:
            return self._request_locked(header, phase, args, kwargs)

    def _request_locked(self, header, phase, args, kwargs):
        if self._failure is not None:
            raise SandboxFailure(f"the sandbox is no longer running ({self._failure.reason})", phase, kind="dead")
        if self._proc is None:
            self.start()
        buffers = []
        try:
            header = dict(header, args=wire.encode(list(args), buffers, self._refuse),
                          kwargs=wire.encode(dict(kwargs or {}), buffers, self._refuse))
        except wire.Unencodable as error:
            raise TypeError(f"Sandbox: an argument of {phase} cannot be sent to the sandbox: {error}") from None
        if self._exited():
            after = f"between calls (after {self._last})"
            self._fail_dead(after, when=after)
        self._seq += 1                      # echoed by the child: a reply to another request is malformed
        header["seq"] = self._seq
        started = time.monotonic()
        deadline = min(started + self.limits.timeout, self._deadline_all)
        problem = None
        try:
            self._send(wire.pack(header, buffers), deadline)
            reply, out = self._receive(deadline)
        except (_TimedOut, _Died, wire.WireError) as error:
            problem = error
        if isinstance(problem, _TimedOut):
            self._fail_timeout(phase, overall=deadline == self._deadline_all, started=started)
        elif isinstance(problem, _Died):
            self._fail_dead(phase, when=_during(phase))
        elif problem is not None:
            self._fail(SandboxFailure(f"the sandbox got a malformed reply {_during(phase)} ({problem})", phase,
                                      kind="protocol"), kill=True)
        self._last = _name(phase)
        if reply.get("seq") != self._seq:
            self._fail(SandboxFailure(f"the sandbox got a malformed reply {_during(phase)} (it answers request "
                                      f"{reply.get('seq')!r}, not {self._seq})", phase, kind="protocol"), kill=True)
        if reply.get("ok") is not True:
            self._fail_reply(reply, phase)
        try:
            return wire.decode(reply.get("value"), out, self._handle)
        except wire.WireError as error:
            problem = error
        self._fail(SandboxFailure(f"the sandbox got a malformed reply {_during(phase)} ({problem})", phase,
                                  kind="protocol"), kill=True)

    def _refuse(self, value):
        if isinstance(value, Handle):
            self._own(value, "call")
            return {"t": "h", "i": value.id}
        raise wire.Unencodable(f"a {type(value).__name__} (send arrays, numbers, str, tuples, lists, dicts or Handles)")

    def _handle(self, tag):
        name = tag.get("n")
        return Handle(tag["i"], name if isinstance(name, str) else "object", self._serial)

    def _send(self, chunks, deadline):
        for chunk in chunks:
            view = memoryview(chunk).cast("B")
            while view.nbytes:
                try:
                    view = view[os.write(self._req, view):]
                except BlockingIOError:
                    self._wait(self._req, deadline, write=True)
                except BrokenPipeError:
                    raise _Died from None

    def _receive(self, deadline):
        max_total = int(min(self.limits.memory_mb, self.limits.reply_mb)) * 2**20 + 2**20
        size = wire.parse_prefix(self._read(8, deadline))
        header, sizes = wire.parse_header(self._read(size, deadline), max_total)
        return header, [self._read(n, deadline) for n in sizes]

    def _read(self, n, deadline):
        data = bytearray(n)
        view, got = memoryview(data), 0
        while got < n:
            k = self._reader.readinto(view[got:])
            if k:
                got += k
            elif k == 0:
                raise _Died
            else:                               # nothing yet (None): wait for data, the deadline, or the exit
                self._wait(self._rep, deadline)
        return data

    def _wait(self, fd, deadline, write=False):
        """Until fd is ready; _TimedOut past the deadline, _Died when the child has exited."""
        while True:
            if self._exited():
                if not write and system.poll([fd], 0):
                    return                      # it wrote (part of) a reply before it went: read that first
                raise _Died
            left = deadline - time.monotonic()
            if left <= 0:
                raise _TimedOut
            watch = [self._pidfd] if self._pidfd is not None else []
            step = left if self._pidfd is not None else min(left, 0.1)
            if fd in system.poll(watch + ([] if write else [fd]), step, write=[fd] if write else []):
                return

    def _await_exit(self, seconds):
        """Give the child up to `seconds` to end by itself (not reaped; see _exited)."""
        end = time.monotonic() + seconds
        while not self._exited() and time.monotonic() < end:
            if self._pidfd is not None:
                system.poll([self._pidfd], end - time.monotonic())
            else:
                time.sleep(0.01)

    def _exited(self):
        """Whether the child process has ended, without reaping it (its pid stays ours to kill the group)."""
        if not hasattr(os, "waitid"):      # macOS before Python 3.13: poll, which reaps
            return self._proc.poll() is not None
        try:
            return os.waitid(os.P_PID, self._proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    # ---------------------------------------------------------------------------------------------- failures
    def _fail(self, failure, kill):
        if kill and self._proc is not None:
            self._failure = failure
            self._kill(self._proc)
        raise failure

    def _fail_timeout(self, phase, overall, started):
        if overall and self._deadline_all - started < self.limits.timeout:
            reason = f"timed out in {phase}: the sandbox's overall limit of {self.limits.total:g} s ran out"
        else:
            reason = f"timed out after {self.limits.timeout:g} s in {_name(phase)}"
        self._fail(SandboxFailure(reason, phase, kind="timeout"), kill=True)

    def _fail_dead(self, phase, when):
        """The child is gone: say how (exit status or signal) and when."""
        proc = self._proc
        self._await_exit(2.0)               # the pipe closes a moment before the process (or bwrap) has ended
        self._kill(proc)
        try:
            status = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            status = None
        over = self._over_memory
        if over is not None and over[1] > self.limits.max_processes + _OWN_PROCESSES:
            reason, kind = (f"your code started more than {self.limits.max_processes} processes {when} (the limit); "
                            "the sandbox was killed"), "processes"
        elif over is not None:
            used, count = over
            reason, kind = (f"ran out of memory (limit {self.memory_mb} MiB) {when}: its {count} processes held "
                            f"{used // 2**20} MiB together"), "memory"
        elif status is None:
            reason, kind = f"the process stopped answering {when}", "protocol"
        else:
            signo = -status if status < 0 else status - 128 if self._bwrap and 128 < status < 128 + 65 else None
            # bwrap reports a child killed by signal N as exit status 128 + N, like a shell
            if signo == signal.SIGXCPU:
                reason, kind = f"used up its CPU-time limit of {self.limits.cpu:g} s {when}", "cpu"
            elif signo is not None:
                reason, kind = f"the process was killed by signal {signo} ({_signame(signo)}) {when}", "signal"
            else:
                reason, kind = f"the process exited with status {status} {when}", "exited"
        self._failure = SandboxFailure(reason, phase, kind=kind)
        raise self._failure

    def _fail_reply(self, reply, phase):
        kind = reply.get("kind")
        message = _text(reply.get("message"))
        frames = _text(reply.get("traceback"))
        if kind == "exit":
            call = _text(reply.get("code"))
            call = "sys.exit()" if call == "None" else f"sys.exit({call})"
            self._fail(SandboxFailure(f"your code called {call} {_during(phase)}", phase, kind="exit"), kill=True)
        if kind == "interrupt":
            self._fail(SandboxFailure(f"your code raised KeyboardInterrupt {_during(phase)}", phase, kind="interrupt"),
                       kill=True)
        if kind == "usage":
            raise ValueError(f"Sandbox: {message}")
        if kind == "memory":
            failure = SandboxFailure(f"ran out of memory (limit {self.memory_mb} MiB) {_during(phase, 'in')}",
                                     phase, frames, kind="memory")
        elif kind == "missing":
            failure = SandboxFailure(message, phase, kind="missing")
        elif kind == "unsendable":
            failure = SandboxFailure(f"{_name(phase)} returned something that cannot leave the sandbox: {message}",
                                     phase, kind="unsendable")
        elif kind == "exception":
            where = _text(reply.get("where"))
            error = _text(reply.get("type")) or "an exception"
            if error in ("SyntaxError", "IndentationError", "TabError") and where:
                failure = SandboxFailure(f"your file has a {error} ({where}): {message}", phase, frames, kind="syntax")
            else:
                failure = SandboxFailure(f"raised {error} {_during(phase, 'in')}: {message}", phase, frames)
        else:
            self._fail(SandboxFailure(f"the sandbox got a malformed reply {_during(phase)} (kind {kind!r})", phase,
                                      kind="protocol"), kill=True)
        self._fail(failure, kill=phase == "import")     # a failed import leaves nothing to call


def _during(phase, word="during"):
    if phase == "import":
        return "while your file was imported"
    if phase.startswith("between calls"):
        return phase
    return f"{word} {phase}"


def _name(phase):
    return "the import of your file" if phase == "import" else phase


def _signame(signo):
    try:
        return signal.Signals(signo).name
    except ValueError:
        return "unknown signal"


def _text(value, limit=4000):
    return value[:limit] if isinstance(value, str) else ""
