"""Matrix products: matmul (numpy's rules) and Affine, the fully connected layer of the notes."""

import numpy as np

from ..autograd import Function


class MatMul(Function):
    """y = a @ b with numpy's rules: 1-D operands are promoted and the added axis removed, leading
    (batch) axes broadcast.  Shapes: (*, N, K) @ (*, K, M) -> (*, N, M).

    Backward: da = dy @ b^T, db = a^T @ dy (the engine sums broadcast batch axes).
    """

    derivatives = ("g · {1}ᵀ", "{0}ᵀ · g")

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        if a.ndim == 1 and b.ndim == 1:          # a dot product: a 0-d output
            return grad_out * b, grad_out * a
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad_out
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        da = np.matmul(g, np.swapaxes(b2, -1, -2))
        db = np.matmul(np.swapaxes(a2, -1, -2), g)
        if a.ndim == 1:
            da = da[..., 0, :]
        if b.ndim == 1:
            db = db[..., :, 0]
        return da, db


class Affine(Function):
    """Y = X W^T + b, PyTorch's layout: W (out, in).  Shapes: X (N, in) or (*, in), W (out, in),
    b (out,) or None -> Y (N, out).  The notes write Y = X·W + B with W (in, out): the same layer, W transposed.
    b may also have Y's own shape: a per-row offset, as an RNN step's input projection U x_t + b in
    W h_{t-1} + U x_t + b (one node for the step's gates, not a product and an Add).

    Backward: dX = dY W, dW = dY^T X (the notes' X^T·dL/dY, transposed with W), db = dY summed over the batch
    (dY itself for a per-row offset).
    """

    derivatives = ("g · {1}", "gᵀ · {0}", "g summed over the batch (g itself if b has y's shape)")

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        ctx.row_offset = bias is not None and bias.ndim > 1
        y = x @ weight.T if x.ndim <= 2 else \
            (x.reshape(-1, x.shape[-1]) @ weight.T).reshape(x.shape[:-1] + (weight.shape[0],))   # one 2-D product
        if bias is not None:
            if y.dtype == np.result_type(y, bias):
                y += bias                 # in place on the fresh product
            else:
                y = y + bias
        return y

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved
        g = grad_out.reshape(-1, grad_out.shape[-1])                    # (N, out): batch axes flattened
        dx = (g @ weight).reshape(x.shape) if ctx.needs_input_grad[0] else None   # a network's input needs none
        dw = g.T @ x.reshape(-1, x.shape[-1]) if ctx.needs_input_grad[1] else None
        db = None
        if ctx.has_bias and ctx.needs_input_grad[2]:
            db = grad_out if ctx.row_offset else g.sum(axis=0)
        return dx, dw, db
