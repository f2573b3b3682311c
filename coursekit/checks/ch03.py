"""Self-checks for exercise 03, *Training vs inference workloads*.

Each check recomputes the right answer from the task's facts, then recognises the usual mistakes by the
factor they are off by (query heads instead of KV heads, a forgotten ×2 for K and V, bits taken for bytes,
GB mixed with GiB, rounding a count up...) and says what is wrong and how to fix it.

One mistake costs one task: task 3 may use the learner's ``kv_cache_bytes`` from task 2, so its check gets that
function too, and a KV size that is task 2's mistake carried over is not failed again (task 3 is judged on
what it does with it).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from coursekit.checks import (
    CheckFailed,
    call_learner,
    close,
    diagnose,
    passed,
    require,
    require_done,
    require_number,
    require_own_work,
    require_prose,
    require_whole,
    within,
)

__all__ = ["check_training_memory", "check_kv_cache_bytes", "check_concurrent_requests", "check_serving_plan"]

KiB, MiB, GiB = 2**10, 2**20, 2**30
GB = 10**9
ROUNDED = within(rel=0.005)  # answers rounded to three or four significant digits still count


def _whole(value: Any, name: str) -> int:
    """*value* as an int, or fail: a count of GPUs or requests is a whole number."""
    return require_whole(value, name, "counts whole things. Round it: ask yourself whether a fraction of one more is "
                                      "needed (round up) or does not fit (round down).")


# --------------------------------------------------------------------------------------------------
# Task 1: training memory of a 13B model, mixed precision, Adam
# --------------------------------------------------------------------------------------------------

def check_training_memory(train_state_gb, min_gpus, *, n_params: float = 13e9, gpu_gb: float = 80) -> None:
    """Model states for mixed-precision Adam (16 bytes per parameter) in GB, and whole 80 GB GPUs to hold them."""
    require_done(train_state_gb, "train_state_gb")
    got = require_number(train_state_gb, "train_state_gb")
    right = 16 * n_params / GB
    if not ROUNDED(got, right):
        diagnose(got, "train_state_gb", right, [
            (GB, "That is the number of bytes. Divide by 10**9 to give it in GB."),
            (8, "That is 8x too big: you counted bits. Each fp16 value takes 2 bytes, each fp32 value 4 bytes."),
            (GB / GiB, "That is in GiB (2**30 bytes). The task asks for GB: divide the bytes by 10**9, not 2**30."),
        ], close=ROUNDED, ratio=True, template="`{name}` = {value:g}. {message}")
        per_param = got * GB / n_params
        by_bytes = [
            (2, "only the 16-bit weights (2 bytes per parameter)"),
            (4, "only the 16-bit weights and gradients (2 + 2 bytes per parameter)"),
            (8, "only the fp32 master weights and the Adam moments, or the 16-bit weights, gradients and master "
                "weights without the Adam moments"),
            (12, "everything except the fp32 master weights (2 + 2 + 8), or fp32 weights, gradients and one Adam "
                 "moment"),
            (18, "the accounting that keeps gradients in fp32 (18 bytes per parameter); this task uses the "
                 "chapter's 16 (ZeRO: fp16 gradients)"),
        ]
        diagnose(per_param, "train_state_gb", 16,
                 [(size, f"{size} bytes per parameter: {what}") for size, what in by_bytes], close=ROUNDED,
                 template=f"`{{name}}` = {got:g} is {{message}}. Mixed-precision Adam holds 2 (fp16 weights) + 2 "
                          "(fp16 gradients) + 4 (fp32 master weights) + 4 + 4 (two fp32 Adam moments) bytes per "
                          "parameter.")
        raise CheckFailed(f"`train_state_gb` = {got:g} is {per_param:.3g} bytes per parameter. Mixed-precision Adam "
                          "holds 2 + 2 + 4 + 4 + 4 bytes per parameter; multiply by the number of parameters and "
                          "divide by 10**9 for GB.")
    require_done(min_gpus, "min_gpus")
    gpus = _whole(min_gpus, "min_gpus")
    right_gpus = math.ceil(right / gpu_gb)
    if gpus == math.floor(right / gpu_gb) and gpus != right_gpus:
        raise CheckFailed(f"{gpus} GPUs hold {gpus * gpu_gb:g} GB, less than the {right:g} GB of states: you rounded "
                          "down. A fraction of a GPU still needs a whole GPU: round up (math.ceil).")
    require(gpus >= right_gpus, f"{gpus} GPUs of {gpu_gb:g} GB hold {gpus * gpu_gb:g} GB, less than the {right:g} GB "
                                "of model states. Divide the states by the size of one GPU and round up.")
    require(gpus == right_gpus, f"{gpus} GPUs would hold the states, but fewer suffice: {right:g} GB / {gpu_gb:g} GB "
                                "per GPU, rounded up. (Activations come on top in practice, but the task asks for "
                                "the states alone.)")
    more = {size: size * n_params / GB for size in (18, 20)}  # fp32 gradients; Megatron-LM fp16 (chapter 03)
    passed(f"{n_params / 1e9:g}B parameters x 16 bytes = {right:g} GB of model states, {right * GB / GiB:.1f} GiB; "
           f"at least {right_gpus} GPUs of 80 GB, before activations, and only if the states are sharded. A framework "
           f"that keeps fp32 gradients needs {more[18]:g} GB ({math.ceil(more[18] / gpu_gb)} GPUs), Megatron-LM in fp16 "
           f"{more[20]:g} GB ({math.ceil(more[20] / gpu_gb)} GPUs).")


# --------------------------------------------------------------------------------------------------
# Task 2: kv_cache_bytes(config, tokens, batch=1, bytes_per_value=2)
# --------------------------------------------------------------------------------------------------

LLAMA_3_8B = {"num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "hidden_size": 4096}
LLAMA_2_7B = {"num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32, "hidden_size": 4096}
LLAMA_3_70B = {"num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8, "hidden_size": 8192}
TOY = {"num_hidden_layers": 3, "num_attention_heads": 12, "num_key_value_heads": 4, "hidden_size": 768}


# (name, config, tokens, batch, bytes_per_value): simple cases first, so the first failure is the clearest
KV_CASES = [
    ("Llama-3-8B, 1 token", LLAMA_3_8B, 1, 1, 2),
    ("Llama-3-8B, one 4,096-token request", LLAMA_3_8B, 4_096, 1, 2),
    ("Llama-2-7B, one 4,096-token request", LLAMA_2_7B, 4_096, 1, 2),
    ("Llama-3-70B, 8 requests of 2,048 tokens", LLAMA_3_70B, 2_048, 8, 2),
    ("Llama-3-8B, 3 requests of 1,000 tokens, 1-byte (fp8) cache", LLAMA_3_8B, 1_000, 3, 1),
    ("a small model (3 layers, 12 query heads, 4 KV heads, hidden size 768), 5 requests of 10 tokens", TOY, 10, 5, 2),
]


def _kv_mistakes(cfg: dict, tokens: int, batch: int, bytes_per_value: float) -> list[tuple[float | None, str]]:
    """The usual mistakes, by the factor they make the result off by (None where a mistake does not show)."""
    heads, kv_heads = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    return [
        (heads / kv_heads, "you used the query heads (`num_attention_heads`) where the cache stores the KV heads "
                           "(`num_key_value_heads`), or divided hidden_size by the KV heads to get the head dimension. "
                           "With grouped-query attention several query heads share one KV head, and only the KV heads "
                           "are cached; the head dimension is hidden_size / num_attention_heads."),
        (0.5, "you forgot the factor 2: the cache stores a key AND a value vector per KV head."),
        (8, "you counted bits: `bytes_per_value` is already in bytes (2 for fp16/bf16), do not multiply by 8."),
        (heads, "you used `hidden_size` as the head dimension. The head dimension is hidden_size / "
                "num_attention_heads (128 for the Llama models)."),
        (1 / cfg["num_hidden_layers"], "you left out the number of layers: every layer keeps its own K and V."),
        (1 / GB, "you returned GB. Return bytes (the caller converts units)."),
        (1 / GiB, "you returned GiB. Return bytes (the caller converts units)."),
        (1 / MiB, "you returned MiB. Return bytes (the caller converts units)."),
        (1 / KiB, "you returned KiB. Return bytes (the caller converts units)."),
        (1 / tokens if tokens != 1 else None,
         "the result does not grow with `tokens`: multiply by the number of tokens."),
        (1 / batch if batch != 1 else None,
         "the result does not grow with `batch`: multiply by the number of sequences."),
        (1 / (tokens * batch) if tokens != 1 and batch != 1 else None,
         "the result ignores both `tokens` and `batch`: it is the size of one token. Multiply by tokens and by batch."),
        (2 / bytes_per_value if bytes_per_value != 2 else None,
         "the result ignores `bytes_per_value` (you hard-coded 2 bytes): use the argument, e.g. 1 for an fp8 cache."),
    ]


def check_kv_cache_bytes(kv_cache_bytes: Callable[..., Any]) -> None:
    """The learner's kv_cache_bytes(config, tokens, batch=1, bytes_per_value=2) returns the right bytes."""
    from coursekit.checks._answers.ch03 import kv_cache_bytes as reference

    require_done(kv_cache_bytes, "kv_cache_bytes")
    require(callable(kv_cache_bytes), "`kv_cache_bytes` should be the function you defined, not the result of "
                                      "calling it. Pass the function itself: ch03.check_kv_cache_bytes(kv_cache_bytes).")
    require_own_work(kv_cache_bytes, "kv_cache_bytes", reference)
    for label, cfg, tokens, batch, bytes_per_value in KV_CASES:
        got = call_learner(kv_cache_bytes, dict(cfg), tokens=tokens, batch=batch, bytes_per_value=bytes_per_value,
                           name="kv_cache_bytes", where=f"for {label}",
                           signature="kv_cache_bytes(config, tokens, batch=1, bytes_per_value=2)",
                           hints={KeyError: f"The config has exactly these keys: {', '.join(cfg)}."})
        if got is None:
            raise CheckFailed("kv_cache_bytes returned None: did you forget `return`?")
        value = require_number(got, "kv_cache_bytes(...)")
        right = reference(cfg, tokens, batch, bytes_per_value)
        if close(value, right, rel=1e-9):
            continue
        where = (f"For {label} (tokens={tokens}, batch={batch}, bytes_per_value={bytes_per_value}) your function "
                 f"returns {value:,.6g}, but the right value is {right:,.0f} bytes ({right / MiB:,.4g} MiB)")
        diagnose(value, "kv_cache_bytes", right, _kv_mistakes(cfg, tokens, batch, bytes_per_value),
                 close=within(rel=0.002), ratio=True,
                 template=where + f": {value / right:.4g}x the right value. It looks like {{message}}")
        raise CheckFailed(f"{where}. The formula: 2 x num_hidden_layers x num_key_value_heads x (hidden_size / "
                          "num_attention_heads) x bytes_per_value x tokens x batch.")
    per_token = reference(LLAMA_3_8B, 1, 1, 2)
    passed(f"kv_cache_bytes is right on {len(KV_CASES)} cases, GQA included: Llama-3-8B needs {per_token // KiB} KiB "
           f"per token, {per_token * 4_096 // MiB} MiB per 4,096-token request; Llama-2-7B (no GQA) needs 4x that.")


# --------------------------------------------------------------------------------------------------
# Task 3: concurrent 8k requests for Llama-3-8B on a GPU that nvidia-smi reports as 81,920 MiB
# --------------------------------------------------------------------------------------------------

def _learner_kv_bytes(kv_cache_bytes: Any, cfg: dict, tokens: int) -> list[float]:
    """What the learner's task 2 function returns for one request (both call styles), or [] if it cannot say."""
    if not callable(kv_cache_bytes):
        return []
    values = []
    for kwargs in ({}, {"batch": 1, "bytes_per_value": 2}):
        try:
            value = float(kv_cache_bytes(dict(cfg), tokens=tokens, **kwargs))
        except Exception:  # noqa: BLE001 - task 2 not done or broken: its own check reports that
            continue
        if math.isfinite(value) and value > 0:
            values.append(value)
    return values


def check_concurrent_requests(kv_per_request_gib, max_requests, *, kv_cache_bytes: Callable | None = None,
                              gpu_total_mib: int = 81_920, usable_fraction: float = 0.9,
                              n_params: int = 8_030_261_248, tokens: int = 8_192, config: dict | None = None) -> None:
    """KV cache of one request in GiB, and whole requests that fit in the usable memory after the weights.

    Pass the learner's *kv_cache_bytes* (task 2): when `kv_per_request_gib` is what that function returns and the
    function is wrong, the mistake is task 2's, so this task is judged on what it does with that size (and the
    check passes with a note if the rest is right) instead of failing a second time for it.
    """
    from coursekit.checks._answers.ch03 import kv_cache_bytes as reference

    cfg = config or LLAMA_3_8B
    kv_bytes = reference(cfg, tokens, 1, 2)
    usable = gpu_total_mib * MiB * usable_fraction
    weights = n_params * 2

    def fits(kv: float, total: float = usable, w: float = weights) -> int:
        return max(0, math.floor((total - w) / kv))

    require_done(kv_per_request_gib, "kv_per_request_gib")
    got_kv = require_number(kv_per_request_gib, "kv_per_request_gib")
    right_kv = kv_bytes / GiB
    base_kv = kv_bytes                   # the KV size this task's count is judged against
    from_task2 = None                    # the learner's (wrong) task 2 size, when it explains kv_per_request_gib
    if not ROUNDED(got_kv, right_kv):
        for theirs in _learner_kv_bytes(kv_cache_bytes, cfg, tokens):
            if not close(theirs, kv_bytes, rel=1e-9) and ROUNDED(got_kv, theirs / GiB):
                from_task2 = base_kv = theirs
                break
    if not ROUNDED(got_kv, right_kv) and from_task2 is None:
        heads = cfg["num_attention_heads"] / cfg["num_key_value_heads"]
        diagnose(got_kv, "kv_per_request_gib", right_kv, [
            (heads, "you used the query heads (32) instead of the KV heads (8): 4x too big."),
            (0.5, "half the right value: did you forget the 2 for K and V, or use 4,096 tokens instead of 8,192?"),
            (2, "twice the right value: the cache is bf16, 2 bytes per value (or did you double K and V twice?)."),
            (8, "8x too big: bytes_per_value is 2 bytes for bf16, not 16 (bits)."),
            (GiB / GB, "that is in GB (10**9 bytes). The task asks for GiB: divide the bytes by 2**30."),
            (GiB / MiB, "that is in MiB. The task asks for GiB: divide the bytes by 2**30."),
            (GiB, "that is the number of bytes. Divide by 2**30 for GiB."),
        ], close=ROUNDED, ratio=True)
        raise CheckFailed(f"`kv_per_request_gib` = {got_kv:g}, expected {right_kv:g}. One request holds {tokens:,} "
                          "tokens, each needing 2 x layers x KV heads x head dim x 2 bytes.")

    require_done(max_requests, "max_requests")
    got = _whole(max_requests, "max_requests")
    right = fits(base_kv)
    if got == right:
        if from_task2 is None:
            passed(f"{gpu_total_mib:,} MiB x {usable_fraction:g} = {usable / GiB:.1f} GiB usable; weights "
                   f"{weights / GiB:.1f} GiB; {(usable - weights) / GiB:.1f} GiB left / {right_kv:g} GiB per request = "
                   f"{right} concurrent {tokens:,}-token requests.")
        else:
            passed(f"from the KV size your `kv_cache_bytes` gives, {got_kv:g} GiB per request, {right} requests is "
                   f"right: {(usable - weights) / GiB:.1f} GiB left after the weights, divided and rounded down.")
            print(f"Note: `kv_cache_bytes` (task 2) is wrong, and task 2's check says how; with the right function one "
                  f"request needs {right_kv:g} GiB and {fits(kv_bytes)} requests fit. This check judged task 3 on "
                  "its own, on what you did with your task 2 result.")
        return
    mistakes = [
        (right + 1, "You rounded up. A request whose cache does not fit completely cannot run: round down "
                    "(math.floor)."),
        (fits(base_kv, w=0), "You did not subtract the weights: the model's bf16 weights (2 bytes per parameter) "
                             "live in the same GPU memory as the KV cache."),
        (fits(base_kv, total=gpu_total_mib * MiB), f"You used all of the GPU memory: the weights and the KV "
                                                   f"cache may only use {usable_fraction:.0%} of it."),
        (fits(base_kv, total=gpu_total_mib * 1e6 * usable_fraction),
         "You read MiB as 10**6 bytes. nvidia-smi's MiB are 2**20 bytes."),
        (fits(base_kv, w=n_params * 4), "You counted 4 bytes per weight; the weights are bf16, 2 bytes each."),
        (fits(base_kv, w=n_params * 2 / GB * GiB), "You mixed GB and GiB between the weights and the GPU memory."),
    ]
    if from_task2 is None:  # a wrong KV size behind the count; with from_task2 that is task 2's mistake, not this one
        mistakes[1:1] = [
            (fits(kv_bytes * cfg["num_attention_heads"] / cfg["num_key_value_heads"]),
             "Your count matches a KV cache computed with the 32 query heads instead of the 8 KV heads."),
            (fits(kv_bytes / 2), "Your count matches a KV cache half the right size (the 2 for K and V forgotten, or "
                                 "4,096 tokens instead of 8,192)."),
        ]
    diagnose(got, "max_requests", right, mistakes, close=operator.eq, template="`{name}` = {value}. {message}")
    per_request = ("the bytes of one request's KV cache" if from_task2 is None else
                   f"the bytes of one request's KV cache (here {got_kv:g} GiB, from your `kv_cache_bytes`)")
    raise CheckFailed(f"`max_requests` = {got} is not right. Usable memory = {gpu_total_mib:,} MiB x 2**20 x "
                      f"{usable_fraction:g}; subtract the weights ({n_params:,} parameters x 2 bytes); divide by "
                      f"{per_request} and round down.")


# --------------------------------------------------------------------------------------------------
# Task 4 (open): batch or online, replicas and cost per 1,000 predictions, with a justification
# --------------------------------------------------------------------------------------------------

_SCENARIOS = ("fraud", "churn", "search", "invoices")
# Why each scenario is batch or online, for a learner who chose the other (it gives the answer away: private)
_MODE_FEEDBACK = {
    "fraud": "The payment exists only when it arrives, and the answer is needed before it is approved: there is "
             "nothing to precompute. That is online inference.",
    "churn": "The 2 million customers are known in advance and the list is needed once a week: a batch job scores "
             "them all at full throughput, far cheaper than 2 million one-row calls, and can retry before Monday.",
    "search": "The query exists only once the user has typed it: the ranking cannot be precomputed for every "
              "possible query. That is online inference.",
    "invoices": "Every account is known in advance and a nightly refresh is fresh enough: score them all in a "
                "nightly batch job and let the portal read the stored forecasts.",
}
_SIZING_TERMS = ("headroom", "utilis", "utiliz", "spare", "fail", "lose", "losing", "lost", "drain", "n+1",
                 "redundan", "70", "%", "peak", "capacity")


def check_serving_plan(choices, replicas, cost_per_1000, justification, *, per_replica_rps: float = 180,
                       peak_rps: float = 900, max_utilization: float = 0.7, price_per_hour: float = 0.12,
                       min_words: int = 25) -> None:
    """Batch/online choices, a replica count that meets the policy, its cost per 1,000 predictions, a justification."""
    require_done(choices, "choices")
    require(isinstance(choices, dict), f"`choices` should be a dict like {{'fraud': 'online', ...}}, but it is a "
                                       f"{type(choices).__name__}.")
    from coursekit.checks._answers.ch03 import EXPECTED_MODES

    missing = [k for k in _SCENARIOS if k not in choices]
    require(not missing, f"`choices` has no entry for {', '.join(map(repr, missing))}: give one for each scenario.")
    for scenario, expected in EXPECTED_MODES.items():
        mode = choices[scenario]
        mode_text = mode.strip().lower() if isinstance(mode, str) else mode
        require(mode_text in ("batch", "online"), f"choices[{scenario!r}] is {mode!r}: use \"batch\" or \"online\".")
        require(mode_text == expected, f"choices[{scenario!r}] is {mode_text!r}. {_MODE_FEEDBACK[scenario]}")

    require_done(replicas, "replicas")
    n = _whole(replicas, "replicas")
    bare = math.ceil(peak_rps / per_replica_rps)
    with_headroom = math.ceil(peak_rps / (per_replica_rps * max_utilization))
    needed = with_headroom + 1
    busy = peak_rps / (n * per_replica_rps) if n > 0 else math.inf
    require(n >= bare, f"{n} replicas serve at most {n * per_replica_rps:g} predictions per second, less than the "
                       f"{peak_rps:g} at peak: requests would queue and time out. Start from peak / per-replica "
                       "throughput.")
    require(n >= with_headroom, f"With {n} replicas each runs at {busy:.0%} of its measured capacity at peak, above "
                                f"the {max_utilization:.0%} policy. Divide the peak by (per-replica throughput x "
                                f"{max_utilization:g}) and round up.")
    after_loss = peak_rps / ((n - 1) * per_replica_rps) if n > 1 else math.inf
    require(n >= needed, f"{n} replicas keep each at {busy:.0%} at peak, but after losing one the other {n - 1} run "
                         f"at {after_loss:.0%}, above {max_utilization:.0%}. Add the spare the policy asks for.")
    require(n <= needed + 3, f"{n} replicas run at only {busy:.0%} of capacity at peak; {needed} already meet the "
                             "policy, spare included. Every extra replica is paid around the clock: cut it, or "
                             "explain the extra need (and then keep it within a few replicas).")

    require_done(cost_per_1000, "cost_per_1000")
    cost = require_number(cost_per_1000, "cost_per_1000")
    right = n * price_per_hour / (peak_rps * 3_600) * 1_000
    if not close(cost, right, rel=0.02):
        diagnose(cost, "cost_per_1000", right, [
            (1 / 1_000, "that is the cost of ONE prediction: multiply by 1,000."),
            (peak_rps / (n * per_replica_rps), "that is the cost at full capacity (replicas x 180 per second), but "
                                               "the fleet serves 900 per second at peak: divide by the actual load."),
            (1 / n, f"that is the price of one replica; the fleet of {n} costs {n} x the price per hour."),
            (3_600, "you divided by predictions per second, not per hour: multiply the rate by 3,600."),
            (1 / 3_600, "you multiplied by 3,600 twice, or divided an hourly price by seconds twice."),
            (1_000, "you multiplied by 1,000 twice, or gave the answer in milli-dollars."),
            (100, "that looks like cents. Give the cost in dollars."),
        ], close=within(rel=0.02), ratio=True,
            template="`{name}` = {value:g}: {message} " + f"Expected about {right:.6f} dollars for {n} replicas.")
        raise CheckFailed(f"`cost_per_1000` = {cost:g}, expected about {right:.6f} dollars: {n} replicas x "
                          f"${price_per_hour:g} per hour / ({peak_rps:g} predictions/s x 3,600 s) x 1,000.")

    text = require_prose(justification, "justification", min_words,
                         f"write 2-4 sentences (at least {min_words} words): the capacity, the headroom, what happens "
                         "when one replica is lost, and why one scenario is batch or online.", mention=_SIZING_TERMS,
                         mention_hint="Explain the replica count in terms of the policy: mention the peak, the 70 % "
                                      "headroom (utilisation) or what happens when a replica is lost.")
    require(any(term in text for term in ("batch", "online")),
            "Also justify one of your batch/online choices: say which scenario and why.")
    passed(f"choices right; {n} replicas run at {busy:.0%} at peak and {after_loss:.0%} after losing one (policy "
           f"{max_utilization:.0%}); ${cost:.6f} per 1,000 predictions at the example price.")
