"""The homework checker's side of a sandbox: loaded by the sandboxed child AS the submission's module.

homework_box.HomeworkSandbox copies this file beside the student's file (with one first line naming that
file) and has the sandbox import it: importing it imports the student's file, and every name it does not define
is looked up in the student's module (module __getattr__), so box.call("affine_forward", ...) reaches the
student's function.  Its own functions, all named _tgedu_*, evaluate the student's functions at the points the
parent sends, many points per round trip, and return plain numbers, arrays and (for objects that must stay in
the child) Handles.  They decide nothing: the parent computes every difference and verdict.

Runs in the student's process, so it imports only the standard library and numpy, and nothing it returns is
trusted as more than data (the student's code can replace any of it; it would only be lying about numbers).
"""

import importlib.util
import inspect
import os
import sys

import numpy as np

_STUDENT_FILE = globals().get("_STUDENT_FILE", "")      # set by the line HomeworkSandbox puts first
_FORMS = {"check_grads": ("loss_fn", "params", "grads"), "check_loss_grad": ("fn", "W"),
          "check_layer": ("forward", "backward", "inputs")}


def _load():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, _STUDENT_FILE)
    name = os.path.splitext(os.path.basename(path))[0]
    if not name.isidentifier() or name in sys.modules:
        name = "student_module"             # never replace a module already imported (numpy, json...)
    if os.path.dirname(path) not in sys.path:
        sys.path.insert(0, os.path.dirname(path))       # the student's helper modules beside the file
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module              # as an import would (dataclasses in the file need it)
    spec.loader.exec_module(module)
    return module


_student = _load() if _STUDENT_FILE else None


def __getattr__(name):
    """Every other name is the student's (box.call("affine_forward") reaches the student's function)."""
    if name.startswith("__") or _student is None:
        raise AttributeError(name)
    return getattr(_student, name)


class _Holder:
    """A dict of parameters kept in the child (a plain dict would be sent to the parent as data)."""

    def __init__(self, params):
        self.params = params


def _resolve(fn):
    """A student function from its dotted name in the student's module, or the object itself (a Handle's)."""
    if isinstance(fn, str):
        obj = _student
        for part in fn.split("."):
            obj = getattr(obj, part)
        return obj
    return fn


def _params_of(holder):
    params = holder if isinstance(holder, dict) else getattr(holder, "params", None)
    if not isinstance(params, dict):
        raise TypeError(f"the parameters must be a dict name -> array (a `params` attribute), got "
                        f"{type(params).__name__}")
    return params


def _fresh(args):
    """Copies of the arrays among args, so one call cannot change what the next call sees."""
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def _first(value):
    """A loss from what the student returned: the value, or the first item of (loss, grads)."""
    return value[0] if isinstance(value, (tuple, list)) and value else value


def _number(value):
    """The loss as a float, or the str describing what came back instead (the parent says it is malformed)."""
    try:
        array = np.asarray(value)
        if array.size == 1 and array.dtype.kind in "fiub":
            return float(array.reshape(()))
    except Exception:                       # noqa: BLE001 -- a student object whose __array__ raises
        pass
    return f"<{type(value).__name__}>"


def _changed(array, pristine):
    """(entries changed, first index) between two arrays of one shape, comparing bits (NaN == NaN)."""
    if array.shape != pristine.shape or array.dtype != pristine.dtype:
        return int(pristine.size), None
    same = (array == pristine) | (np.isnan(array) & np.isnan(pristine)) if array.dtype.kind == "f" \
        else array == pristine
    diff = ~same
    if not diff.any():
        return 0, None
    return int(diff.sum()), [int(i) for i in np.argwhere(diff)[0]]


# ------------------------------------------------------------------------------------------------ check()
def _tgedu_check(function):
    """Run the student's no-argument function; keep what it returns here; describe it for the parent.

    Returns {"usage": why} when the function is missing or needs arguments, else {"checks": [...]}: per check
    a dict with its form and what the parent needs (functions as Handles, arrays as data); parameters of
    check_grads stay here, behind a Handle.
    """
    fn = getattr(_student, function, None)
    if not callable(fn):
        found = [n for n, f in vars(_student).items() if inspect.isfunction(f) and _no_arguments(f)]
        return {"usage": f"your file has no function {function!r}; functions without arguments there: {found}"}
    try:
        required = [p.name for p in inspect.signature(fn).parameters.values()
                    if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    except (TypeError, ValueError):
        required = []
    if required:
        return {"usage": f"{function}() must take no arguments (it returns what to check), but it needs {required}"}
    result = fn()
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    return {"checks": [_describe_check(item) for item in items]}


def _no_arguments(f):
    try:
        return not any(p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                       for p in inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return False


def _describe_check(item):
    if not isinstance(item, dict):
        return {"form": None, "type": type(item).__name__}
    keys = sorted(str(k) for k in item)
    form = next((f for f, required in _FORMS.items() if all(k in item for k in required)), None)
    if form is None:
        return {"form": None, "type": "dict", "keys": keys}
    options = {k: item[k] for k in ("names", "name") if k in item and _plain(item[k])}
    ignored = sorted(k for k in item if k in ("h", "rtol", "max_entries", "seed", "dout", "atol"))
    if form == "check_grads":
        params = item["params"]
        if not isinstance(params, dict):
            return {"form": form, "keys": keys, "bad": f"params is a {type(params).__name__}, not a dict"}
        holder = _Holder(params)
        holder.grads = item["grads"]        # kept here too: the parent asks whether a gradient IS its parameter
        return {"form": form, "keys": keys, "loss_fn": item["loss_fn"], "holder": holder, "grads": "__held__",
                "options": options, "ignored": ignored}
    if form == "check_loss_grad":
        args = item.get("args", ())
        args = list(args) if isinstance(args, (tuple, list)) else [args]
        return {"form": form, "keys": keys, "fn": item["fn"], "W": item["W"], "args": args,
                "arg_names": _arg_names(item["fn"], 1 + len(args)), "options": options, "ignored": ignored}
    inputs = item["inputs"]
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    return {"form": form, "keys": keys, "forward": item["forward"], "backward": item["backward"], "inputs": inputs,
            "arg_names": _arg_names(item["forward"], len(inputs)), "options": options, "ignored": ignored}


def _what(obj):
    """Something the student returned where data belongs: only its type's name goes to the parent."""
    return f"<{type(obj).__name__}>"


def _plain(value):
    return isinstance(value, (str, list, tuple)) and all(isinstance(v, str) for v in
                                                         (value if not isinstance(value, str) else [value]))


def _arg_names(fn, count):
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"input {i}" for i in range(count)]


def _tgedu_arg_names(fn, count):
    """The names of fn's first `count` positional parameters ("input i" past them)."""
    return _arg_names(_resolve(fn), count)


# ------------------------------------------------------------------------------------------------ check_grads
def _tgedu_set_params(holder, params):
    """Write the parent's arrays into the holder's parameter arrays (in place where the shapes allow)."""
    own = _params_of(holder)
    for name, value in params.items():
        old = own.get(name)
        if isinstance(old, np.ndarray) and old.shape == np.shape(value) and old.dtype.kind == "f" \
                and old.flags.writeable:
            old[...] = value
        else:
            own[name] = np.array(value, dtype=np.float64)


def _tgedu_grads_first(loss_fn, holder, args, grads, names):
    """The loss and the gradients at the current point, the parameters' values, and which gradient arrays ARE
    their parameter arrays.  grads: a dict (data already), None ((loss, grads) from loss_fn), "__held__" (what
    check() returned, kept in the holder) or a callable's name or Handle."""
    params = _params_of(holder)
    names = list(params) if names is None else list(names)
    fn = _resolve(loss_fn)
    before = {n: np.array(params[n], copy=True) for n in names if isinstance(params.get(n), np.ndarray)}
    objects = {n: params.get(n) for n in names}
    value = fn(*_fresh(args))
    if grads is None:
        grads = value[1] if isinstance(value, (tuple, list)) and len(value) == 2 else _what(value)
    elif isinstance(grads, str) and grads == "__held__":
        grads = holder.grads
    elif not isinstance(grads, dict):
        grads = _resolve(grads)(*_fresh(args))
    aliased = [n for n in names if isinstance(grads, dict) and isinstance(grads.get(n), np.ndarray)
               and isinstance(params.get(n), np.ndarray) and np.shares_memory(grads[n], params[n])]
    if isinstance(grads, dict):
        grads = {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v) for k, v in grads.items()}
    mutations = _restore(params, names, before, objects)
    return {"loss": _number(_first(value)), "grads": grads if isinstance(grads, dict) else _what(grads),
            "params": {n: params[n] for n in names if n in params}, "names": names, "aliased": aliased,
            "mutations": mutations}


def _restore(params, names, before, objects):
    """Put every parameter back (object and bits); the changes found, as [what, entries, first index]."""
    found = []
    for n in names:
        if params.get(n) is not objects[n]:
            found.append([f"params[{n!r}] (replaced it with a new object)", 1, None])
            params[n] = objects[n]
        if n in before:
            count, first = _changed(params[n], before[n])
            if count:
                found.append([f"params[{n!r}]", count, first])
                np.copyto(params[n], before[n])
    return found


def _tgedu_grads_losses(loss_fn, holder, name, flat, values, args):
    """The loss with params[name].flat[flat[j]] = values[j], for each j (in place, put back bit for bit).

    Returns [losses (float, or a str naming what came back instead), mutations]."""
    params = _params_of(holder)
    array = params[name]
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f" or not array.flags.writeable:
        raise TypeError(f"params[{name!r}] must be a writeable float numpy array, got {type(array).__name__} "
                        f"{getattr(array, 'dtype', '')}")
    fn, names = _resolve(loss_fn), list(params)
    before = {n: np.array(params[n], copy=True) for n in names if isinstance(params[n], np.ndarray)}
    objects = dict(params)
    losses, mutations = [], []
    for i, v in zip(flat, values):
        array.flat[int(i)] = v
        try:
            losses.append(_number(_first(fn(*_fresh(args)))))
        finally:
            array.flat[int(i)] = before[name].flat[int(i)]
            mutations += _restore(params, names, before, objects)
    return [losses, mutations]


# ------------------------------------------------------------------------------------------------ check_loss_grad
def _tgedu_loss_grad_first(fn, W, args):
    """fn(W, *args) once: [loss, dW (as returned), dW is W?, mutated argument positions]."""
    fn = _resolve(fn)
    W = np.array(W, copy=True)
    given = [W, *_fresh(args)]
    before = [a.copy() if isinstance(a, np.ndarray) else None for a in given]
    value = fn(*given)
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return [_number(value), _what(value), False, []]
    grad = value[1]
    aliased = isinstance(grad, np.ndarray) and np.shares_memory(grad, W)
    grad = np.array(grad, copy=True) if isinstance(grad, np.ndarray) else grad
    changed = [[k, *_changed(a, b)] for k, (a, b) in enumerate(zip(given, before)) if b is not None]
    return [_number(value[0]), grad, aliased, [c for c in changed if c[1]]]


def _tgedu_loss_grad_losses(fn, W, args, flat, values):
    """fn(W', *args)'s loss where W' is W with W'.flat[flat[j]] = values[j], for each j (fresh copies each time)."""
    fn = _resolve(fn)
    W = np.asarray(W)
    losses = []
    for i, v in zip(flat, values):
        point = np.array(W, dtype=np.float64, copy=True)
        point.flat[int(i)] = v
        losses.append(_number(_first(fn(point, *_fresh(args)))))
    return losses


# ------------------------------------------------------------------------------------------------ check_layer
def _tgedu_layer_first(forward, inputs):
    """forward(*inputs): [out, cache (a Handle unless plain data), mutated input positions]."""
    given = _fresh(inputs)
    before = [a.copy() if isinstance(a, np.ndarray) else None for a in given]
    value = _resolve(forward)(*given)
    changed = [[k, *_changed(a, b)] for k, (a, b) in enumerate(zip(given, before)) if b is not None]
    changed = [c for c in changed if c[1]]
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return [_what(value), None, changed]
    out = value[0]
    return [np.array(out, copy=True) if isinstance(out, np.ndarray) else out, _Cache(value[1]), changed]


class _Cache:
    """A cache kept in the child (even when it is a tuple of arrays: backward gets the very object)."""

    def __init__(self, obj):
        self.obj = obj


def _tgedu_layer_backward(backward, dout, cache):
    """backward(dout, cache) on a copy of dout: [grads (as returned), dout changed: [entries, first index]]."""
    given = np.array(dout, dtype=np.float64, copy=True)
    value = _resolve(backward)(given, cache.obj if isinstance(cache, _Cache) else cache)
    if isinstance(value, np.ndarray):
        value = value.copy()
    elif isinstance(value, (tuple, list)):
        value = type(value)(v.copy() if isinstance(v, np.ndarray) else v for v in value)
    return [value, list(_changed(given, np.asarray(dout, dtype=np.float64)))]


def _tgedu_layer_sums(forward, inputs, k, flat, values, dout):
    """sum(forward(*inputs')[0] * dout) where inputs'[k].flat[flat[j]] = values[j], for each j.

    A value that is not an array of dout's shape comes back as a str saying what it was."""
    fn = _resolve(forward)
    dout = np.asarray(dout, dtype=np.float64)
    sums = []
    for i, v in zip(flat, values):
        given = _fresh(inputs)
        given[k] = np.array(given[k], dtype=np.float64, copy=True)
        given[k].flat[int(i)] = v
        value = fn(*given)
        out = value[0] if isinstance(value, (tuple, list)) and value else value
        try:
            out = np.asarray(out, dtype=np.float64)
        except Exception:                   # noqa: BLE001 -- not numbers at all
            sums.append(f"<{type(out).__name__}>")
            continue
        sums.append(float(np.sum(out * dout)) if out.shape == dout.shape else f"<array of shape {out.shape}>")
    return sums
