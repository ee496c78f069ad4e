"""The student's side of a sandbox: run as `python -I -B sandbox_child.py REQUEST_FD REPLY_FD NUMPY_HOME`.

It imports only the standard library, numpy and sandbox_wire.py (loaded by path, not as part of the package,
so nothing of tinygrad_edu runs here) before the student's module. The protocol travels on two private pipes,
never on stdout/stderr: those are the student's, captured by the parent, so printing a fake reply or "PASSED"
forges nothing. The child first says it is ready; the first request ("limits") sets the resource limits, the
second ("start") imports the student's file; each later one calls a function or reads an attribute and gets
exactly one reply:
    {"ok": true, "value": <encoded>}
    {"ok": false, "kind": "exception" | "exit" | "interrupt" | "memory" | "missing" | "unsendable", ...}
Objects that are not plain data stay here in a table and travel as handles (their table index).
"""

import faulthandler
import importlib.util
import os
import resource
import sys
import traceback

_HERE = os.path.dirname(os.path.abspath(__file__))


def _load_wire():
    if len(sys.argv) > 3 and sys.argv[3] not in sys.path:
        sys.path.append(sys.argv[3])        # where the parent's numpy lives (-I left PYTHONPATH and user site out)
    spec = importlib.util.spec_from_file_location("_tinygrad_edu_sandbox_wire", os.path.join(_HERE, "sandbox_wire.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wire = None                                 # loaded by main(): it imports numpy, before the limits


def _safe_text(obj, limit=2000):
    """str(obj) cut to limit characters; student-defined __str__ may raise or be huge."""
    try:
        text = str(obj)
    except BaseException as error:      # noqa: BLE001 -- anything the student's __str__ does
        text = f"<str() of it raised {type(error).__name__}>"
    return text if len(text) <= limit else text[:limit] + f" [... {len(text) - limit} characters cut]"


def _describe(obj):
    """A short name for an object kept here: a function's qualified name, else its type's name."""
    name = getattr(obj, "__qualname__", None) if callable(obj) and not isinstance(obj, type) else None
    if not isinstance(name, str):
        name = getattr(type(obj), "__name__", "object")
    return _safe_text(name, 80)


def _apply_limits(limits):
    """Set the resource limits of this process (and what it starts) before any student code runs. Returns what
    differs from the request, for the parent's isolation line: the limits this system refused, and those held
    lower by a limit already in force (name -> the value set)."""
    mib, cpu = 2**20, int(limits["cpu_seconds"]) + 1
    wanted = [("address space", "RLIMIT_AS", limits["memory_mb"] * mib, limits["memory_mb"] * mib),
              ("file size", "RLIMIT_FSIZE", limits["file_mb"] * mib, limits["file_mb"] * mib),
              ("core dumps", "RLIMIT_CORE", 0, 0),
              ("CPU time", "RLIMIT_CPU", cpu, cpu + 2)]         # SIGXCPU at the soft limit, SIGKILL at the hard one
    if limits.get("max_tasks"):                                 # None for root, whom the kernel exempts
        wanted.append(("processes", "RLIMIT_NPROC", limits["max_tasks"], limits["max_tasks"]))
    refused, lowered = [], {}
    for name, which, soft, hard in wanted:
        try:
            which = getattr(resource, which)
            _, current = resource.getrlimit(which)
            if current != resource.RLIM_INFINITY and soft > current:     # never above the limit already in force
                soft, hard = current, current
                lowered[name] = current
            resource.setrlimit(which, (soft, min(hard, current) if current != resource.RLIM_INFINITY else hard))
        except (AttributeError, ValueError, OverflowError, OSError):    # OverflowError: more than rlim_t holds
            refused.append(name)
    return {"refused": refused, "lowered": lowered}


class Child:
    """The request loop: one table of kept objects, the student's module, the two private pipes."""

    def __init__(self, requests, replies):
        self.requests, self.replies = requests, replies
        self.kept = {}                      # handle id -> object
        self.ids = {}                       # id(object) -> handle id, so one object is one handle
        self.last_id = 0
        self.module = None
        self.workdir = os.getcwd()
        self.max_total = 2**31

    # -------------------------------------------------------------------------------------------- protocol
    def serve(self):
        while True:
            try:
                header, buffers = wire.read_frame(self.requests, self.max_total)
            except EOFError:
                return                      # the parent closed the pipe: we are done
            reply, out = self.handle(header, buffers)
            reply["seq"] = header.get("seq")
            _flush()
            wire.write_frame(self.replies, reply, out)

    def handle(self, header, buffers):
        """The reply header and buffers for one request; every failure of student code becomes a reply."""
        out = []
        try:
            result = self.run(header, buffers)
            value = wire.encode(result, out, self.keep)
            return {"ok": True, "value": value}, out
        except wire.Unencodable as error:
            return {"ok": False, "kind": "unsendable", "message": str(error)}, []
        except _Missing as error:
            return {"ok": False, "kind": "missing", "message": str(error)}, []
        except _Usage as error:
            return {"ok": False, "kind": "usage", "message": str(error)}, []
        except SystemExit as error:
            return {"ok": False, "kind": "exit", "code": _safe_text(repr(error.code), 200)}, []
        except KeyboardInterrupt:
            return {"ok": False, "kind": "interrupt"}, []
        except MemoryError as error:
            return {"ok": False, "kind": "memory", "message": _safe_text(error, 300),
                    "traceback": self.student_frames(error)}, []
        except BaseException as error:      # noqa: BLE001 -- the student's exception, whatever it is
            return {"ok": False, "kind": "exception", "type": _safe_text(type(error).__name__, 100),
                    "message": _safe_text(error), "traceback": self.student_frames(error),
                    "where": self.syntax_where(error)}, []

    def run(self, header, buffers):
        op = header.get("op")
        args = wire.decode(header.get("args", {"t": "l", "v": []}), buffers, self.lookup)
        kwargs = wire.decode(header.get("kwargs", {"t": "d", "k": [], "v": []}), buffers, self.lookup)
        if op == "limits":
            self.max_total = header["limits"]["memory_mb"] * 2**20
            return _apply_limits(header["limits"])
        if op == "start":
            return self.start(header)
        if op == "call":
            return self.target(header["target"])(*args, **kwargs)
        if op == "call_handle":
            return self.lookup({"i": header["handle"]})(*args, **kwargs)
        if op == "getattr":
            obj = self.module if header.get("handle") is None else self.lookup({"i": header["handle"]})
            return getattr(obj, header["name"])
        if op == "names":
            return {name: ("class" if isinstance(v, type) else "function" if callable(v) else "value")
                    for name, v in vars(self.module).items() if not name.startswith("__")}
        if op == "release":
            self.kept.pop(header["handle"], None)
            return None
        raise _Usage(f"unknown request {op!r}")

    # ----------------------------------------------------------------------------------------- the module
    def start(self, header):
        path = os.path.join(self.workdir, header["file"])
        name = os.path.splitext(os.path.basename(path))[0]
        if not name.isidentifier() or name in sys.modules:
            name = "student_module"         # never replace a module already imported here (numpy, json...)
        sys.path.insert(0, self.workdir)    # helper modules beside the file import
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module          # as an import would (dataclasses in the file need it)
        spec.loader.exec_module(module)
        self.module = module
        return None

    def target(self, dotted):
        obj = self.module
        for i, part in enumerate(dotted.split(".")):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                where = "your file" if i == 0 else ".".join(dotted.split(".")[:i])
                raise _Missing(f"{where} has no {part!r}") from None
        if not callable(obj):
            raise _Missing(f"{dotted} in your file is a {type(obj).__name__}, not a function")
        return obj

    def keep(self, obj):
        """The handle tag of an object that is not plain data (kept here for later calls)."""
        key = id(obj)
        if key not in self.ids or self.kept.get(self.ids[key]) is not obj:
            self.last_id += 1
            self.ids[key] = self.last_id
            self.kept[self.last_id] = obj
        return {"t": "h", "i": self.ids[key], "n": _describe(obj)}

    def lookup(self, tag):
        try:
            return self.kept[tag["i"]]
        except KeyError:
            raise _Usage(f"no object with handle {tag['i']} in this sandbox (released, or from another)") from None

    # ----------------------------------------------------------------------------------------- tracebacks
    def student_frames(self, error, keep=3):
        """The last `keep` frames of the traceback that lie in the student's files, formatted."""
        frames = [f for f in traceback.extract_tb(error.__traceback__) if _inside(f.filename, self.workdir)]
        lines = []
        for frame in frames[-keep:]:
            where = os.path.relpath(frame.filename, self.workdir)
            lines.append(f'  File "{where}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line}")
        return "\n".join(lines)

    def syntax_where(self, error):
        """'layers.py, line 12' for a SyntaxError in the student's files, else None."""
        if isinstance(error, SyntaxError) and isinstance(error.filename, str):
            return f"{os.path.relpath(error.filename, self.workdir)}, line {error.lineno}"
        return None


class _Missing(Exception):
    """The requested function or attribute is not in the student's module."""


class _Usage(Exception):
    """A request the parent should not have sent (an unknown handle): the parent's mistake, not the student's."""


def _inside(filename, folder):
    return isinstance(filename, str) and os.path.abspath(filename).startswith(folder + os.sep)


def _flush():
    for stream in (sys.__stdout__, sys.__stderr__, sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:               # noqa: BLE001 -- a closed or replaced stream is the student's business
            pass


def main():
    request_fd, reply_fd = int(sys.argv[1]), int(sys.argv[2])
    for fd in (request_fd, reply_fd):       # subprocesses the student starts must not inherit the channel
        os.set_inheritable(fd, False)
    requests, replies = os.fdopen(request_fd, "rb", buffering=0), os.fdopen(reply_fd, "wb", buffering=0)
    faulthandler.enable(sys.stderr)         # a segfault prints where it happened into the captured stderr
    global wire
    wire = _load_wire()
    wire.write_frame(replies, {"ready": True}, [])      # before any student code: the parent knows we started
    Child(requests, replies).serve()


if __name__ == "__main__":
    main()
