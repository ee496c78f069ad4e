"""The operating-system side of the sandbox (tinygrad_edu/sandbox.py): the bubblewrap command and its check,
the capture of the child's output, killing what the student left running, the process-count limit, polling.

Standard library and numpy only (numpy's folder is one the sandboxed python must see).
"""

from __future__ import annotations

import errno
import functools
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

import numpy as np

NUMPY_HOME = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))


# -------------------------------------------------------------------------------------------------------- bubblewrap
def visible_dirs():
    """The folders a sandboxed python needs, shown read-only: the system's (/usr, /etc), the interpreter's
    prefixes (the venv and the python it was made from), numpy's folder and tinygrad_edu's package (students
    may import it). Everything else (the TA's files, other submissions, home folders) is not there at all."""
    here = os.path.dirname(os.path.abspath(__file__))
    wanted = ["/usr", "/etc", sys.prefix, sys.base_prefix, sys.exec_prefix, NUMPY_HOME, here]
    wanted += [os.path.dirname(os.path.realpath(sys.executable))]
    folders = []
    for folder in sorted({os.path.realpath(f) for f in wanted} | {os.path.abspath(f) for f in wanted}):
        if folder != "/" and os.path.isdir(folder) and not any(folder.startswith(kept + os.sep) for kept in folders):
            folders.append(folder)
    return folders


def bwrap_args(bwrap, root, workdir):
    """bwrap's command prefix: only visible_dirs() (read-only) and `root` (holding workdir, writable) exist, with
    a fresh /tmp, /dev and /proc; no network, own PID namespace, no capabilities, killed with its parent."""
    args = [bwrap, "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]      # first: a venv under /tmp stays seen
    # a fresh /proc still holds the host's sysctls (/proc/sys: kernel.core_pattern names a program the kernel
    # runs as root) and /proc/sysrq-trigger, writable by uid 0 without any capability: a grader run as root (a
    # container's, Gradescope's) would let the student's code write them
    args += ["--ro-bind-try", "/proc/sys", "/proc/sys", "--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):     # /bin -> usr/bin on merged-/usr systems
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for folder in visible_dirs():
        args += ["--ro-bind", folder, folder]
    args += ["--bind", root, root, "--remount-ro", "/",
             "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
             "--new-session", "--cap-drop", "ALL", "--chdir", workdir, "--"]
    return args


@functools.cache
def bwrap_status():
    """(path of a working bwrap, "") or (None, why it is not used); checked once per process."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None, "bwrap is not installed (Debian package bubblewrap)"
    root = tempfile.mkdtemp(prefix="tinygrad-edu-bwrap-probe-")
    try:
        run = subprocess.run([*bwrap_args(bwrap, root, root), sys.executable, "-I", "-c", "pass"],
                             capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"bwrap failed to start ({error})"
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if run.returncode != 0:
        message = run.stderr.decode(errors="replace").strip().splitlines()
        return None, f"bwrap does not work here ({message[-1] if message else f'exit status {run.returncode}'})"
    return bwrap, ""


# ----------------------------------------------------------------------------------------------------- output capture
class OutputCapture:
    """One output pipe, drained on a thread, keeping its first and last `keep // 2` bytes and the total count.

    Reads happen under a lock, on the thread or in text() (which takes what is in the pipe right now), so the
    text after a call holds everything the child wrote before it replied.
    """

    def __init__(self, fd, keep):
        self.fd, self.half, self.head, self.tail, self.total = fd, keep // 2, bytearray(), bytearray(), 0
        self.ended = self.closed = False
        os.set_blocking(fd, False)
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        while self._pump():
            poll([self.fd])
        with self.lock:                     # only this thread closes the fd, so select never sees a reused number
            os.close(self.fd)
            self.closed = True

    def _pump(self):
        """Read what the pipe holds now; False once it has ended."""
        with self.lock:
            while not self.ended:
                try:
                    chunk = os.read(self.fd, 65536)
                except BlockingIOError:
                    return True
                if not chunk:
                    self.ended = True
                    break
                self.total += len(chunk)
                room = max(self.half - len(self.head), 0)
                self.head += chunk[:room]
                self.tail += chunk[room:]
                del self.tail[:-self.half or len(self.tail)]
            return False

    def text(self):
        self._pump()
        with self.lock:
            cut = self.total - len(self.head) - len(self.tail)
            middle = f"\n[... {cut} bytes cut ...]\n".encode() if cut else b""
            return (bytes(self.head) + middle + bytes(self.tail)).decode(errors="replace")


def kill_marked(marker):
    """SIGKILL every process whose environment holds TINYGRAD_EDU_SANDBOX=marker: the student's processes that
    left the process group (a daemon, setsid) but kept the environment they were started with."""
    needle = f"TINYGRAD_EDU_SANDBOX={marker}".encode()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass                            # gone, or not ours to read


def tree_memory(pid, most=None):
    """(bytes, processes): the proportional set size (Pss: shared pages split between their users) of pid and
    all its descendants, found through /proc/<pid>/task/<tid>/children; (0, 0) where /proc cannot say.  Past
    `most` processes it stops counting and reads no memory (a fork bomb's tree grows faster than it can be
    walked, and reading a forking process's memory map waits for it)."""
    seen, todo = [], [pid]
    while todo and (most is None or len(seen) <= most):
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass                            # it ended meanwhile, or this kernel has no such file
    if most is not None and len(seen) > most:
        return 0, len(seen)
    total = 0
    for p in seen:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next((int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:")), 0)
        except (OSError, ValueError):
            pass
    return total, len(seen)


def max_tasks(extra):
    """RLIMIT_NPROC for the child: it counts every task (process or thread) of the user, machine-wide, so the
    limit is what the user runs now plus `extra`, counted here (under bwrap the child sees only its namespace).
    None for root, whom the kernel does not hold to it."""
    if os.getuid() == 0 or not os.path.isdir("/proc"):
        return None
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                pass                            # it ended while we counted
    return count + int(extra)


def poll(fds, timeout=None, write=()):
    """The fds ready to read (or, for `write`, to write; hang-ups and errors count as ready) within timeout seconds.
    poll, not select: a grader with many open files may hand us fd numbers above select's limit of 1024."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    for fd in write:
        poller.register(fd, select.POLLOUT)
    ms = None if timeout is None else max(0, math.ceil(min(timeout, 2e6) * 1000))    # poll's int: ~2**31 ms
    return {fd for fd, _ in poller.poll(ms)}


def close_fd(fd):
    try:
        os.close(fd)
    except OSError as error:
        if error.errno != errno.EBADF:
            raise


def force_remove(function, path, _info):
    """rmtree's error handler: the student may have made its files read-only; make them writable and retry."""
    try:
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
        function(path)
    except OSError:
        pass
