"""Assertions for teachers' pytest files.

    from tinygrad_edu.testing import assert_gradients_match

    def test_two_layer_net():
        net, x, t = small_problem()
        assert_gradients_match(lambda: net.loss(x, t), net.params, net.gradient(x, t))   # check_grads's arguments

    def test_layers():
        assert_gradients_match(check_layer(affine_forward, affine_backward, x, w, b))   # a finished report
        assert_gradients_match({"fn": svm_loss_naive, "W": W, "args": (X, y, 0.1)})   # a spec, as the command takes

A failure is an AssertionError whose message is the report's text (which parameter, which entry, and why).
Those run the code in this process: use them for your own code.  For a student's file, use

    assert_submission_passes("submissions/alice/two_layer_net.py:check")

which runs it in a sandbox (as `tinygrad-edu gradcheck` does): nothing the student's code does can change
this process or its verdict.
"""

from __future__ import annotations

from .homework_check import check_grads, run_checks

__all__ = ["assert_gradients_match", "assert_submission_passes"]


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


def assert_submission_passes(target, function="check", *, timeout=30.0, memory_mb=2048, **options):
    """Fail unless the student's file passes `tinygrad-edu gradcheck`, run in a sandbox; returns its reports.

    target: "FILE.py:FUNCTION" or a path (then `function` names the no-argument function that returns the
    checks).  options: h, rtol, max_entries, seed.  The AssertionError's message is the failure's reason, or
    the reports' text.
    """
    __tracebackhide__ = True
    from .homework_submission import check_submission
    from .sandbox import Limits

    path, sep, name = str(target).rpartition(":")
    path, function = (path, name) if sep and path.endswith(".py") else (str(target), function)
    result = check_submission(path, function, limits=Limits(timeout=timeout, memory_mb=memory_mb), **options)
    if result.usage_error is not None:
        raise ValueError(f"assert_submission_passes: {result.usage_error}")
    if not result.passed:
        said = [str(r) for r in result.reports]
        if result.failure is not None:
            said.append(f"FAIL: {result.failure}\n{result.failure_traceback}".rstrip())
        raise AssertionError("\n\n".join(said) or "nothing was checked")
    return result.reports
