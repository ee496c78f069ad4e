"""Assertions for teachers' pytest files.

    from tinygrad_edu.testing import assert_gradients_match

    def test_two_layer_net():
        net, x, t = small_problem()
        assert_gradients_match(lambda: net.loss(x, t), net.params, net.gradient(x, t))   # check_grads's arguments

    def test_layers():
        assert_gradients_match(check_layer(affine_forward, affine_backward, x, w, b))   # a finished report
        assert_gradients_match({"fn": svm_loss_naive, "W": W, "args": (X, y, 0.1)})   # a spec, as the command takes

A failure is an AssertionError whose message is the report's text (which parameter, which entry, and why).
"""

from __future__ import annotations

from .homework_check import check_grads, run_checks

__all__ = ["assert_gradients_match"]


def assert_gradients_match(*check, allow_mutation=False, **options):
    """Fail unless every hand-written gradient matches central differences; returns the report(s).

    check: (loss_fn, params, grads) as check_grads takes them, or one object: a HomeworkReport, a dict of a
    checker's arguments, or a list of those.  options go to the checker (h, rtol, max_entries, seed, names).
    allow_mutation: also fail (the default) when the student's code wrote into an array it was given.
    """
    __tracebackhide__ = True                    # pytest shows the caller's line, not this one
    if len(check) == 3:
        reports = [check_grads(*check, **options)]
    elif len(check) == 1:
        reports = run_checks(check[0], **options)
    else:
        raise TypeError("assert_gradients_match: pass (loss_fn, params, grads), or one report / spec dict / list, "
                        f"got {len(check)} positional arguments")
    bad = [r for r in reports if not r.passed or (r.mutations and not allow_mutation)]
    if bad:
        raise AssertionError("\n\n".join(str(r) for r in bad))
    return reports[0] if len(reports) == 1 else reports
