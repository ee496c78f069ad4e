"""Sample submissions for the class grader: copies of the shipped homework with planted mistakes or hostile code.

    make_submission(root, name, mistakes=(), extra_files=None) -> path of root/name
    MISTAKES: name -> (file, text in the shipped file, replacement, the check it breaks)

Used by tests/test_grade_class.py and benchmarks/grade_class.py.  Every replacement must match the shipped
file exactly once (a KeyError/ValueError otherwise), so a change to the homework files cannot silently turn a
planted mistake into a correct submission.
"""

from __future__ import annotations

import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOMEWORK = os.path.join(ROOT, "lessons", "homework")
ASSIGNMENT = os.path.join(HOMEWORK, "assignment.py")
FILES = ("two_layer_net.py", "three_layer_net.py", "layers.py", "svm_loss.py")

MISTAKES = {
    # the classic mistakes of note 003 and cs231n assignment 1
    "two_layer_missing_1/N": ("two_layer_net.py", "dy = (y - t) / batch_num", "dy = (y - t)", "TwoLayerNet"),
    "two_layer_b1_trap": ("two_layer_net.py", 'grads["b1"] = np.sum(da1, axis=0)', 'grads["b1"] = np.sum(dz1, axis=0)',
                          "TwoLayerNet"),
    "three_layer_missing_1/N": ("three_layer_net.py", "dy = (y - t) / x.shape[0]", "dy = (y - t)", "ThreeLayerNet"),
    "affine_transposed_dw": ("layers.py", "dw = x.T @ dout", "dw = dout.T @ x", "affine layer"),
    "affine_db_not_summed": ("layers.py", "db = np.sum(dout, axis=0)", "db = dout", "affine layer"),
    "relu_mask_on_dout": ("layers.py", "dx = dout * (x > 0)", "dx = dout * (dout > 0)", "relu layer"),
    "svm_naive_no_reg_grad": ("svm_loss.py", "    dW += 2 * reg * W                        # d/dW of reg * sum(W^2)\n",
                              "", "svm_loss_naive"),
    "svm_vectorized_sign": ("svm_loss.py", "counts[np.arange(N), y] = -counts.sum(axis=1)",
                            "counts[np.arange(N), y] = counts.sum(axis=1)", "svm_loss_vectorized"),
    # a loss that is wrong but whose gradient is that wrong loss's gradient: only the reference catches it
    "svm_vectorized_loss_off": ("svm_loss.py", "loss = margins.sum() / N + reg * np.sum(W * W)",
                                "loss = margins.sum() / N + reg * np.sum(W * W) + 0.5", "svm_loss_vectorized"),
}


def make_submission(root, name, mistakes=(), extra_files=None, files=FILES):
    """root/name holding the shipped homework `files` with `mistakes` planted; extra_files: name -> text
    (written last, so they may replace a homework file).  Returns the directory."""
    directory = os.path.join(root, name)
    os.makedirs(directory, exist_ok=True)
    for f in files:
        shutil.copy(os.path.join(HOMEWORK, f), os.path.join(directory, f))
    for mistake in mistakes:
        file, old, new, _ = MISTAKES[mistake]
        path = os.path.join(directory, file)
        with open(path) as fh:
            text = fh.read()
        if text.count(old) != 1:
            raise ValueError(f"planting {mistake!r}: {old!r} occurs {text.count(old)} times in {file}, expected once")
        with open(path, "w") as fh:
            fh.write(text.replace(old, new))
    for f, text in (extra_files or {}).items():
        with open(os.path.join(directory, f), "w") as fh:
            fh.write(text)
    return directory
