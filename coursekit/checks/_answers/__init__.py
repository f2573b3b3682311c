"""Answer keys: the course's reference implementations of what the exercises ask learners to write.

Private on purpose. The checks import them inside the check functions, so ``coursekit.checks.chNN`` has no
attribute that leads here and none of these names is in an ``__all__``; a check that is handed one of them
says that it is the course's reference, not the learner's work. This stops the trivial pass, not a determined
student, who can read the installed files: for graded use see instructors.md.
"""
