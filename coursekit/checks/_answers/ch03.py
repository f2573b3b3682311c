"""Answer keys of exercise 03 (private: see :mod:`coursekit.checks._answers`)."""


def kv_cache_bytes(config: dict, tokens: int, batch: int = 1, bytes_per_value: float = 2) -> float:
    """Task 2: bytes of the KV cache, 2 (K and V) x layers x KV heads x head dimension x bytes x tokens x batch."""
    head_dim = config["hidden_size"] // config["num_attention_heads"]
    return 2 * config["num_hidden_layers"] * config["num_key_value_heads"] * head_dim * bytes_per_value * tokens * batch


# Task 4: batch or online for each scenario.
EXPECTED_MODES = {"fraud": "online", "churn": "batch", "search": "online", "invoices": "batch"}
