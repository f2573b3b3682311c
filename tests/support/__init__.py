"""Helpers the test modules share (imported as ``tests.support.*``; no test lives here)."""
