"""Quizzes: YAML banks, validated, shown by one JavaScript renderer live (widget) and in the static book."""
