"""Solutions of the exercises in lessons/exercises/ (same file names): each passes `tinygrad-edu exercise check N`.

The stubs in lessons/exercises/ are these files with every `# TODO` ... `# END TODO` block replaced by a
`raise NotImplementedError` (scripts/exercise_stubs.py writes them; a test keeps the two in step).  The exercise
checker also uses these files as the trusted reference: forward values and the losses it differentiates
numerically come from here, computed in the checking process, never in the student's.
"""
