"""The sandbox's wire format: length-framed JSON headers followed by raw array bytes (never pickle).

Used by both ends of a sandbox (tinygrad_edu/sandbox.py in the grader's process, sandbox_child.py in the
student's), so it imports only the standard library and numpy: the child loads it before the student's code.

A frame is  MAGIC (4 bytes) | header length (4 bytes, big-endian) | header (UTF-8 JSON) | buffers.
The header holds "buffers": [n0, n1, ...], the byte lengths of the raw buffers that follow it in order.

Values are encoded into JSON with a tag for everything JSON cannot say by itself:
    None, bool, int, float (NaN/inf included), str    as themselves
    {"t": "a", "d": "<f8", "s": [2, 3], "b": 0}         ndarray: dtype, shape, index of its raw buffer (C order)
    {"t": "g", "d": "<f4", "b": 1}                      numpy scalar (np.float64 from a loss, bit-exact)
    {"t": "t" | "l", "v": [...]}                        tuple / list
    {"t": "d", "k": [...], "v": [...]}                  dict (keys may be any encodable value: ints, tuples)
    {"t": "c", "v": [re, im]}, {"t": "y", "b": 2}       complex, bytes
    {"t": "h", "i": 3, "n": "Cache"}                    a handle: an object that stays in the child
Object arrays and structured dtypes are refused: they cannot cross without pickle.
"""

from __future__ import annotations

import json
import re
import struct

import numpy as np

MAGIC = b"TGSB"
MAX_HEADER = 4 * 2**20               # JSON this large is not a reply our child sends (arrays travel as raw buffers);
                                    # a parsed header takes many times its size in memory: "[{},{},...]"
MAX_DEPTH = 64                       # nesting deeper than this is refused (also stops cycles)
# plain numeric, bool, complex, datetime, bytes and unicode dtypes; never "O" or structured ("V" with fields)
_DTYPE = re.compile(r"^[<>|=]?(b1|[iuf]\d{1,2}|c\d{1,2}|[mM]8(\[\d*[a-zA-Z]+\])?|[SU]\d{1,9})$")


class WireError(ValueError):
    """A frame or a value that breaks the wire format (malformed reply, unsupported type)."""


class Unencodable(TypeError):
    """A value the wire cannot carry (an object array, a structured dtype)."""


# ----------------------------------------------------------------------------------------------------------- framing
def pack(header, buffers):
    """The frame for a JSON-able header dict and a list of bytes-like buffers, as a list of byte chunks."""
    header = dict(header, buffers=[memoryview(b).nbytes for b in buffers])
    text = json.dumps(header, separators=(",", ":")).encode()
    return [MAGIC + struct.pack(">I", len(text)) + text, *buffers]


def parse_prefix(prefix):
    """The header length from the first 8 bytes of a frame; WireError if they are not our frame's."""
    if prefix[:4] != MAGIC:
        raise WireError(f"a frame starts with {MAGIC!r}, got {bytes(prefix[:4])!r}")
    (size,) = struct.unpack(">I", prefix[4:8])
    if size > MAX_HEADER:
        raise WireError(f"a header of {size} bytes is larger than the limit of {MAX_HEADER}")
    return size


def parse_header(text, max_total):
    """The header dict and its buffer sizes, checked: sizes are non-negative ints adding up to <= max_total."""
    try:
        header = json.loads(bytes(text).decode())
    except (UnicodeDecodeError, ValueError, RecursionError) as error:     # RecursionError: absurdly deep nesting
        raise WireError(f"the header is not JSON ({type(error).__name__}: {error})") from None
    if not isinstance(header, dict):
        raise WireError(f"the header is a JSON {type(header).__name__}, not an object")
    if _ESCAPED_SURROGATE.search(text):              # only a \\udXXX escape in the JSON makes a surrogate
        try:
            header = _valid_text(header)
        except RecursionError:
            raise WireError("the header is nested too deeply") from None
    sizes = header.get("buffers")
    if not isinstance(sizes, list) or not all(type(n) is int and n >= 0 for n in sizes):
        raise WireError("the header's 'buffers' is not a list of byte counts")
    if sum(sizes) > max_total:
        raise WireError(f"the frame's buffers hold {sum(sizes)} bytes, more than the limit of {max_total}")
    return header, sizes


_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _valid_text(value):
    """value with every str made encodable as UTF-8: JSON's "\\ud800" decodes to a lone surrogate, which the
    student can put in an exception message or a returned str, and which printing or writing it as UTF-8
    (the report, results.json) would fail on; those are escaped as backslash sequences."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_valid_text(v) for v in value]
    if isinstance(value, dict):
        return {_valid_text(k): _valid_text(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------------------------------- encoding
def encode(value, buffers, other, depth=0):
    """The JSON-able form of value; raw bytes are appended to buffers; other(obj) encodes anything else."""
    if depth > MAX_DEPTH:
        raise Unencodable(f"data nested more than {MAX_DEPTH} levels deep (or containing itself)")
    if isinstance(value, np.generic):       # before float: np.float64 is a float, and must stay an np.float64
        _check_dtype(value.dtype)
        buffers.append(np.asarray(value).tobytes())
        return {"t": "g", "d": value.dtype.str, "b": len(buffers) - 1}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, np.ndarray):
        _check_dtype(value.dtype)
        buffers.append(np.ascontiguousarray(value).reshape(-1).view(np.uint8).data if value.size else b"")
        return {"t": "a", "d": value.dtype.str, "s": list(value.shape), "b": len(buffers) - 1}
    if isinstance(value, complex):
        return {"t": "c", "v": [value.real, value.imag]}
    if isinstance(value, (bytes, bytearray)):
        buffers.append(bytes(value))
        return {"t": "y", "b": len(buffers) - 1}
    if isinstance(value, (tuple, list)):
        items = [encode(v, buffers, other, depth + 1) for v in value]
        return {"t": "t" if isinstance(value, tuple) else "l", "v": items}
    if isinstance(value, dict):
        items = list(value.items())
        return {"t": "d", "k": [encode(k, buffers, other, depth + 1) for k, _ in items],
                "v": [encode(v, buffers, other, depth + 1) for _, v in items]}
    return other(value)


def _check_dtype(dtype):
    if dtype.hasobject or dtype.fields is not None or not _DTYPE.match(dtype.str):
        raise Unencodable(f"a numpy array of dtype {dtype} cannot cross the sandbox (only numeric, bool, "
                          "datetime and string dtypes do, never object or structured ones)")


# ---------------------------------------------------------------------------------------------------------- decoding
def decode(value, buffers, handle, depth=0):
    """The value from its JSON-able form; handle(tag_dict) turns a handle tag into an object. WireError if malformed."""
    if depth > MAX_DEPTH:
        raise WireError(f"data nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if not isinstance(value, dict) or not isinstance(value.get("t"), str):
        raise WireError(f"an untagged {type(value).__name__} in the data")
    tag = value["t"]
    if tag == "a":
        shape = value.get("s")
        if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
            raise WireError(f"an array shape {shape!r} that is not a list of sizes")
        dtype = _dtype(value.get("d"))
        raw = _buffer(value, buffers)
        count = int(np.prod(shape, dtype=object))
        if count * dtype.itemsize != len(raw):
            raise WireError(f"an array of shape {tuple(shape)} and dtype {dtype} with {len(raw)} bytes")
        return np.frombuffer(raw, dtype=dtype, count=count).reshape(shape) if count else np.zeros(shape, dtype)
    if tag == "g":
        dtype, raw = _dtype(value.get("d")), _buffer(value, buffers)
        if len(raw) != dtype.itemsize:
            raise WireError(f"a numpy scalar of dtype {dtype} with {len(raw)} bytes")
        return np.frombuffer(raw, dtype=dtype)[0]
    if tag == "c":
        parts = value.get("v")
        if not (isinstance(parts, list) and len(parts) == 2 and all(type(p) in (int, float) for p in parts)):
            raise WireError("a complex number that is not [re, im]")
        return complex(*parts)
    if tag == "y":
        return bytes(_buffer(value, buffers))
    if tag in ("t", "l"):
        items = [decode(v, buffers, handle, depth + 1) for v in _list(value, "v")]
        return tuple(items) if tag == "t" else items
    if tag == "d":
        keys, values = _list(value, "k"), _list(value, "v")
        if len(keys) != len(values):
            raise WireError("a dict with different numbers of keys and values")
        keys = [decode(k, buffers, handle, depth + 1) for k in keys]
        try:
            return dict(zip(keys, (decode(v, buffers, handle, depth + 1) for v in values)))
        except TypeError as error:              # an unhashable key (a list, an array)
            raise WireError(f"a dict key that cannot be a key ({error})") from None
    if tag == "h":
        if type(value.get("i")) is not int:
            raise WireError("a handle without an integer id")
        return handle(value)
    raise WireError(f"an unknown tag {tag!r}")


def _dtype(text):
    if not isinstance(text, str) or not _DTYPE.match(text):
        raise WireError(f"an array dtype {text!r} that is not a plain numeric, bool, datetime or string dtype")
    return np.dtype(text)


def _buffer(value, buffers):
    index = value.get("b")
    if type(index) is not int or not 0 <= index < len(buffers):
        raise WireError(f"a reference to raw buffer {index!r} of {len(buffers)}")
    return buffers[index]


def _list(value, key):
    items = value.get(key)
    if not isinstance(items, list):
        raise WireError(f"a tagged value whose {key!r} is not a list")
    return items


# ------------------------------------------------------------------------------------------- blocking I/O (the child)
def read_exact(stream, n):
    """n bytes from a raw binary stream into a fresh writable bytearray; EOFError when it ends first."""
    data = bytearray(n)
    view, got = memoryview(data), 0
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            raise EOFError(f"the stream ended after {got} of {n} bytes")
        got += k
    return data


def read_frame(stream, max_total):
    """(header, buffers) of the next frame on a blocking raw stream."""
    size = parse_prefix(read_exact(stream, 8))
    header, sizes = parse_header(read_exact(stream, size), max_total)
    return header, [read_exact(stream, n) for n in sizes]


def write_frame(stream, header, buffers):
    """Write one frame to a blocking raw stream."""
    for chunk in pack(header, buffers):
        view = memoryview(chunk).cast("B")
        while view.nbytes:
            view = view[stream.write(view):]
