"""The learners' worlds: what an exercise runs against, one short file per exercise.

``chNN.py`` holds the simulators, toy registries and services, and data generators that exercise NN and its
self-checks share, so a learner can read exactly what a check feeds their code. The exercise links to its file,
and ``coursekit.checks.chNN`` re-exports these names, so notebooks call them as ``chNN.example_scrapes()``.
"""
