"""The sandboxes of one submission being graded (tinygrad_edu.grader): one child process for all its files.

    boxes = SubmissionBoxes(directory, files, limits)   files: the assignment's files found in the submission
    box, resolve = boxes.get(path)                       the open sandbox holding path; resolve("affine_forward")
                                                         -> what to pass to check_*_in (a Handle or the name)
    lines = boxes.close()                                close every sandbox; the student's output, for the report

Starting a sandboxed Python (and importing numpy in it) is most of what grading a small submission costs, so
all of a submission's graded files are imported in ONE HomeworkSandbox, each as a module of a small loader
written next to a copy of the submission; checks reach their functions through Handles.  Every sandbox copies
from that one copy, made of the submission's regular files only (no links, FIFOs or devices).  When that import
fails (any file raises, exits, loops), the submission falls back to one sandbox per file, so each file's
failure is reported against its own checks only.  A sandbox the student's code killed during a check (exit,
timeout, memory) is opened afresh for the next check.
"""

from __future__ import annotations

import os
import shutil
import tempfile

_LOADER = "_tgedu_graded_files.py"
_LOADER_HEAD = '''"""Written by tinygrad-edu grade: the submission's graded files, each imported as a module."""
import importlib.util
import os
import sys


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)           # a file in a subfolder imports its own siblings
    spec.loader.exec_module(module)
    return module


def _names(module):
    """The module's top-level names (for "your file has no function f; it has ...")."""
    return sorted(n for n in vars(module) if not n.startswith("__"))


_HERE = os.path.dirname(os.path.abspath(__file__))
'''
_OUTPUT_KEEP = 2000     # characters of the student's stdout/stderr kept per sandbox (first and last half)
_MAX_BYTES = 256 * 2**20   # a submission larger than this is not homework (the sandbox refuses it too)
_MAX_ENTRIES = 10_000      # nor one of more files and folders: each sandbox copies them all, outside any time limit


class SubmissionBoxes:
    """See the module docstring.  isolation: the description of the last sandbox made; isolations: all of them."""

    def __init__(self, directory, files, limits):
        self.directory, self.files, self.limits = os.path.abspath(directory), list(dict.fromkeys(files)), limits
        self.together = len(self.files) > 1
        self.shared = None                      # (box, {path: module Handle}) while the one sandbox is open
        self.single, self.failed, self.done = {}, {}, []
        self.isolation, self.isolations = "", set()
        self._staging = self._tmp = None

    def get(self, path):
        from .sandbox import SandboxFailure

        staging = self._stage()
        if self.together:
            try:
                box, modules = self._shared(staging)
                return box, _resolver(box, modules[path])
            except SandboxFailure as failure:
                if failure.phase != "import":
                    raise
                self.together = False           # one file's import failed: each file in its own sandbox
        return self._single(path, staging), (lambda name: name)

    def _stage(self):
        """The sanitized copy every sandbox of this submission copies from (made once; its failure is kept)."""
        if isinstance(self._staging, Exception):
            raise self._staging
        if self._staging is None:
            self._tmp = tempfile.mkdtemp(prefix="tinygrad-edu-grade-")
            try:
                self._staging = _staged(self.directory, self.files, self._tmp)
            except Exception as error:
                self._staging = error
                raise
        return self._staging

    def _shared(self, staging):
        if self.shared is not None and self.shared[0].alive:
            return self.shared
        if self.shared is not None:
            self._retire(self.shared[0], "the submission")
            self.shared = None
        box = self._open(os.path.join(staging, _LOADER), staging, "the submission")
        modules = {}
        for i, path in enumerate(self.files):
            module = box.getattr(None, f"file_{i}")
            names = box.call("_names", module)
            modules[path] = (module, set(names) if isinstance(names, list) else None,
                             os.path.relpath(path, self.directory))
        self.shared = (box, modules)
        return self.shared

    def _single(self, path, staging):
        if path in self.failed:
            raise self.failed[path]                     # an import that failed once is not tried again
        relative = os.path.relpath(path, self.directory)
        box = self.single.get(path)
        if box is not None and not box.alive:
            self._retire(self.single.pop(path), relative)
            box = None
        if box is None:
            from .sandbox import SandboxFailure

            try:
                box = self._open(os.path.join(staging, relative), staging, relative)
            except SandboxFailure as failure:
                if failure.phase == "import":
                    self.failed[path] = failure
                raise
            self.single[path] = box
        return box

    def _open(self, path, directory, label):
        from .homework_sandboxed import HomeworkSandbox
        from .sandbox import SandboxFailure

        box = HomeworkSandbox(path, limits=self.limits, directory=directory)
        self.isolation = box.isolation
        self.isolations.add(box.isolation)
        try:
            box.start()
        except SandboxFailure:
            self._retire(box, label)
            raise
        return box

    def _retire(self, box, label):
        try:
            box.close()
        except Exception:       # closing a dead child must not stop the grading
            pass
        self.done.append((label, box))

    def close(self):
        """Close every sandbox; the student's output of each, as report lines."""
        if self.shared is not None:
            self._retire(self.shared[0], "the submission")
            self.shared = None
        for path in list(self.single):
            self._retire(self.single.pop(path), os.path.relpath(path, self.directory))
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        lines = []
        for label, box in self.done:
            lines += _output(box, label)
        return lines


def _resolver(box, module):
    """name (dotted: "Net.loss") -> a Handle of that object of the student's module, read in the child.
    module: (Handle, its top-level names as the child listed them, the file's name)."""
    handle, names, file = module

    def resolve(name):
        from .homework_sandboxed import StudentCodeFailure

        first = name.split(".")[0]
        if names is not None and first not in names:
            defined = sorted(n for n in names if not n.startswith("_"))
            raise StudentCodeFailure(f"{file} has no {first!r} (it defines: {', '.join(defined) or 'nothing'})",
                                     first)
        target = handle
        for part in name.split("."):
            target = box.getattr(target, part)
        return target
    return resolve


def _staged(directory, files, tmp):
    """tmp/submission: a copy of the submission's regular files and folders (no links, FIFOs or devices: a link
    could point at the TA's files, a FIFO would block the copy) and the loader."""
    from .homework_sandboxed import StudentCodeFailure

    root, total, entries = os.path.join(tmp, "submission"), 0, 0

    def skip(folder, names):
        nonlocal total, entries
        entries += len(names)
        if entries > _MAX_ENTRIES:
            raise StudentCodeFailure(f"the submission holds more than {_MAX_ENTRIES} files and folders: too many to "
                                     "grade (submit the homework files only)", "copying the submission")
        skipped = set()
        for name in names:
            full = os.path.join(folder, name)
            if name in ("__pycache__", ".git") or os.path.islink(full) or not (os.path.isfile(full)
                                                                              or os.path.isdir(full)):
                skipped.add(name)
            elif os.path.isfile(full):
                total += os.path.getsize(full)
        if total > _MAX_BYTES:
            raise StudentCodeFailure(f"the submission holds more than {_MAX_BYTES // 2**20} MiB of files: too large "
                                     "to grade", "copying the submission")
        return skipped

    shutil.copytree(directory, root, ignore=skip)
    lines = [_LOADER_HEAD]
    for i, path in enumerate(files):
        relative = os.path.relpath(path, directory)
        lines.append(f"file_{i} = _load({f'_tgedu_file_{i}'!r}, os.path.join(_HERE, {relative!r}))\n")
    with open(os.path.join(root, _LOADER), "w") as f:
        f.write("".join(lines))
    return root


def _output(box, label):
    lines = []
    for stream in ("stdout", "stderr"):
        text = getattr(box, stream, "") or ""
        if text.strip():
            if len(text) > _OUTPUT_KEEP:
                half = _OUTPUT_KEEP // 2
                text = f"{text[:half]}\n[... {len(text) - _OUTPUT_KEEP} characters cut ...]\n{text[-half:]}"
            lines.append(f"--- your code's {stream} ({label}) ---\n{text.rstrip()}")
    return lines
