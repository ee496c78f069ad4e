"""Exercise 6: max pooling, forward and backward (lesson 8, notes 002, 003).

Shapes: N images, C channels, H x W pixels; windows of PH x PW moved by stride S (no padding, no parameters).
    x (N, C, H, W) -> out (N, C, OH, OW),  OH = (H - PH) / S + 1,  OW = (W - PW) / S + 1
    out[n, c, i, j] = max of the window x[n, c, i*S : i*S+PH, j*S : j*S+PW]
Backward: only the entry that won a window moved the output, so it alone receives dout[n, c, i, j]; the others
get 0 from that window (an entry in several overlapping windows adds what each sends).  When a window holds
its maximum twice, the FIRST maximum in row-major order takes the whole gradient (np.argmax's choice,
PyTorch's CPU kernel and the lessons' engine).

Check it:   tinygrad-edu exercise check 6
"""

import numpy as np


def pool_output_size(size, pool, stride):
    span = size - pool
    if span < 0 or span % stride:
        raise ValueError(f"max pool: (size {size} - pool {pool}) / stride {stride} + 1 is not a whole number")
    return span // stride + 1


def max_pool_forward(x, pool_param):
    """x (N, C, H, W), pool_param = {'pool_height': PH, 'pool_width': PW, 'stride': S}
    -> out (N, C, OH, OW), cache = (x, pool_param)."""
    N, C, H, W = x.shape
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    OH, OW = pool_output_size(H, PH, S), pool_output_size(W, PW, S)
    out = np.zeros((N, C, OH, OW))
    # TODO: out[:, :, i, j] = the maximum of each window (all N and C at once: max over the window's two axes).
    raise NotImplementedError("max_pool_forward: write the TODO block above, then delete this line")
    # END TODO
    cache = (x, pool_param)
    return out, cache


def max_pool_backward(dout, cache):
    """dout (N, C, OH, OW), cache -> dx (N, C, H, W)."""
    x, pool_param = cache
    N, C, H, W = x.shape
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, OH, OW = dout.shape
    dx = np.zeros_like(x)
    # TODO: for every window of every (n, c): find its FIRST maximum (np.argmax of the flattened window, then
    #   np.unravel_index to (p, q)) and add dout[n, c, i, j] to dx at that entry.
    raise NotImplementedError("max_pool_backward: write the TODO block above, then delete this line")
    # END TODO
    return dx
