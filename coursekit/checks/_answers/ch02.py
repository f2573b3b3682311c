"""Answer key of exercise 02 (private: see :mod:`coursekit.checks._answers`)."""

# Task 4: the format for each deployment scenario (the check accepts any of the listed ones for nightly_batch).
SCENARIOS = {
    "java_service": "onnx",
    "shared_bucket": "skops",
    "public_weights": "safetensors",
    "nightly_batch": "pickle, joblib, skops or onnx",
}
