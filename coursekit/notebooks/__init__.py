"""Notebook transformations (one preprocessor, one change) and the commands built from them."""
