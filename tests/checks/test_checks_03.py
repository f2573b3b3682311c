"""The self-checks of exercise 03 pass right answers and name the specific mistake in wrong ones."""

from __future__ import annotations

import functools
import math

import pytest

from coursekit.checks import CheckFailed, NotDoneYet, ch03
from tests.support.checks import fails_with

KiB, MiB, GiB, GB = 2**10, 2**20, 2**30, 10**9


# --------------------------------------------------------------------------------------------------
# Task 1
# --------------------------------------------------------------------------------------------------

def test_training_memory_right(capsys):
    ch03.check_training_memory(208, 3)
    out = capsys.readouterr().out
    assert "✔" in out
    assert "234 GB (3 GPUs)" in out and "260 GB (4 GPUs)" in out  # fp32 gradients, Megatron-LM fp16
    ch03.check_training_memory(208.0, 3.0)  # floats from arithmetic are fine


@pytest.mark.parametrize("value, message", [
    (None, "not done yet"),
    ("208", "should be a number"),
    (208e9, "number of bytes"),
    (1664, "bits"),
    (208e9 / GiB, "GiB"),
    (26, "only the 16-bit weights"),
    (52, "weights and gradients"),
    (156, "except the fp32 master weights"),
    (234, "18 bytes"),
    (104, "8 bytes per parameter"),
    (100, "bytes per parameter"),
])
def test_training_memory_wrong_states(value, message):
    exc = NotDoneYet if value is None else CheckFailed
    fails_with(ch03.check_training_memory, value, 3, match=message, exc=exc)


@pytest.mark.parametrize("gpus, message", [
    (None, "not done yet"),
    (2, "rounded down"),
    (2.6, "whole things"),
    (4, "fewer suffice"),
    (1, "less than"),
])
def test_training_memory_wrong_gpus(gpus, message):
    exc = NotDoneYet if gpus is None else CheckFailed
    fails_with(ch03.check_training_memory, 208, gpus, match=message, exc=exc)


# --------------------------------------------------------------------------------------------------
# Task 2
# --------------------------------------------------------------------------------------------------

def right_kv(config, tokens, batch=1, bytes_per_value=2):
    head_dim = config["hidden_size"] // config["num_attention_heads"]
    return 2 * config["num_hidden_layers"] * config["num_key_value_heads"] * head_dim * bytes_per_value * tokens * batch


def test_kv_right(capsys):
    ch03.check_kv_cache_bytes(right_kv)
    out = capsys.readouterr().out
    assert "✔" in out and "128 KiB" in out and "512 MiB" in out


def test_kv_not_done():
    def stub(config, tokens, batch=1, bytes_per_value=2):
        raise NotImplementedError()

    fails_with(ch03.check_kv_cache_bytes, stub, match="not done yet", exc=NotDoneYet)
    fails_with(ch03.check_kv_cache_bytes, None, match="not done yet", exc=NotDoneYet)


def variant(**changes):
    """A kv_cache_bytes with one typical mistake."""
    def fn(config, tokens, batch=1, bytes_per_value=2):
        layers = config["num_hidden_layers"]
        heads = config[changes.get("heads_key", "num_key_value_heads")]
        head_dim = changes.get("head_dim", lambda c: c["hidden_size"] // c["num_attention_heads"])(config)
        k_and_v = changes.get("k_and_v", 2)
        value_bytes = changes.get("value_bytes", lambda b: b)(bytes_per_value)
        t = 1 if changes.get("ignore_tokens") else tokens
        b = 1 if changes.get("ignore_batch") else batch
        return k_and_v * layers * heads * head_dim * value_bytes * t * b / changes.get("unit", 1)
    return fn


@pytest.mark.parametrize("fn, message", [
    (variant(heads_key="num_attention_heads"), "query heads"),
    (variant(k_and_v=1), "factor 2"),
    (variant(value_bytes=lambda b: 8 * b), "bits"),
    (variant(head_dim=lambda c: c["hidden_size"]), "head dimension is hidden_size / num_attention_heads"),
    (variant(head_dim=lambda c: c["hidden_size"] // c["num_key_value_heads"]), "query heads"),
    (variant(unit=GB), "returned GB"),
    (variant(unit=GiB), "returned GiB"),
    (variant(unit=MiB), "returned MiB"),
    (variant(ignore_tokens=True), "tokens"),
    (variant(ignore_batch=True), "batch"),
    (variant(ignore_tokens=True, ignore_batch=True), "tokens"),
    (variant(value_bytes=lambda b: 2), "hard-coded 2"),
])
def test_kv_diagnoses(fn, message):
    fails_with(ch03.check_kv_cache_bytes, fn, match=message)


def test_kv_other_faults():
    fails_with(ch03.check_kv_cache_bytes, 131072, match="not the result of calling it")
    fails_with(ch03.check_kv_cache_bytes, lambda config, tokens: 0, match="keep the signature")
    fails_with(ch03.check_kv_cache_bytes, lambda config, tokens, batch=1, bytes_per_value=2: config["head_dim"],
               match="KeyError")
    fails_with(ch03.check_kv_cache_bytes, lambda config, tokens, batch=1, bytes_per_value=2: None, match="return")
    fails_with(ch03.check_kv_cache_bytes, lambda config, tokens, batch=1, bytes_per_value=2: 1 / 0,
               match="ZeroDivisionError")
    fails_with(ch03.check_kv_cache_bytes, lambda config, tokens, batch=1, bytes_per_value=2: 12345,
               match="the formula")


# --------------------------------------------------------------------------------------------------
# Task 3
# --------------------------------------------------------------------------------------------------

def test_concurrent_right(capsys):
    ch03.check_concurrent_requests(1.0, 57)
    assert "✔" in capsys.readouterr().out
    ch03.check_concurrent_requests(1, 57.0)


@pytest.mark.parametrize("kv, message", [
    (None, "not done yet"),
    (4.0, "query heads"),
    (0.5, "forget the 2"),
    (8.0, "bits"),
    (GiB / GB, "GB"),
    (1024, "MiB"),
    (float(GiB), "number of bytes"),
    (3.3, "expected 1"),
])
def test_concurrent_wrong_kv(kv, message):
    exc = NotDoneYet if kv is None else CheckFailed
    fails_with(ch03.check_concurrent_requests, kv, 57, match=message, exc=exc)


@pytest.mark.parametrize("n, message", [
    (None, "not done yet"),
    (57.04, "whole things"),
    (58, "rounded up"),
    (14, "query heads"),
    (114, "half the right size"),
    (72, "did not subtract the weights"),
    (65, "all of the GPU memory"),
    (53, "MiB as 10**6"),
    (42, "4 bytes per weight"),
    (55, "mixed GB and GiB"),
    (60, "is not right"),
])
def test_concurrent_wrong_count(n, message):
    exc = NotDoneYet if n is None else CheckFailed
    fails_with(ch03.check_concurrent_requests, 1.0, n, match=message, exc=exc)


# Task 3 on top of a wrong task 2: "You may use your kv_cache_bytes from task 2", so its mistake reaches
# kv_per_request_gib. Task 3 is judged on what it does with that size, not failed a second time.

def task3_from(kv_cache_bytes, *, rounding=math.floor, bytes_per_weight=2):
    """Task 3's answer computed from *kv_cache_bytes*, as the solution does."""
    kv = kv_cache_bytes(ch03.LLAMA_3_8B, tokens=8_192)
    free = 81_920 * MiB * 0.9 - 8_030_261_248 * bytes_per_weight
    return kv / GiB, rounding(free / kv)


WRONG_TASK2 = {
    "query heads": variant(heads_key="num_attention_heads"),
    "no factor 2": variant(k_and_v=1),
    "bits": variant(value_bytes=lambda b: 8 * b),
    "hidden size as head dim": variant(head_dim=lambda c: c["hidden_size"]),
    "returns MiB": variant(unit=MiB),
}


@pytest.mark.parametrize("task2", WRONG_TASK2.values(), ids=WRONG_TASK2.keys())
def test_task2_mistake_does_not_fail_task3(task2, capsys):
    with pytest.raises(CheckFailed):
        ch03.check_kv_cache_bytes(task2)                      # task 2 fails: its own mistake, counted once
    kv_gib, n = task3_from(task2)
    ch03.check_concurrent_requests(kv_gib, n, kv_cache_bytes=task2)
    out = capsys.readouterr().out
    assert "✔" in out and "`kv_cache_bytes` (task 2) is wrong" in out and "57 requests fit" in out


@pytest.mark.parametrize("mistake, message", [
    ({"rounding": math.ceil}, "rounded up"),
    ({"bytes_per_weight": 4}, "4 bytes per weight"),
])
def test_task3_own_mistake_on_top_of_a_wrong_task2(mistake, message):
    task2 = WRONG_TASK2["query heads"]
    kv_gib, n = task3_from(task2, **mistake)
    text = fails_with(functools.partial(ch03.check_concurrent_requests, kv_cache_bytes=task2), kv_gib, n,
                      match=message)
    assert "query heads" not in text                          # task 2's mistake is not blamed on task 3
    with pytest.raises(CheckFailed, match="from your `kv_cache_bytes`"):
        ch03.check_concurrent_requests(kv_gib, 3, kv_cache_bytes=task2)


def test_task3_own_kv_mistake_with_a_right_task2():
    fails_with(ch03.check_concurrent_requests, 4.0, 14, match="query heads")
    with pytest.raises(CheckFailed, match="query heads"):
        ch03.check_concurrent_requests(4.0, 14, kv_cache_bytes=right_kv)


def test_task3_kv_not_from_the_wrong_task2_is_task3s_mistake():
    with pytest.raises(CheckFailed, match="forget the 2"):
        ch03.check_concurrent_requests(0.5, 114, kv_cache_bytes=WRONG_TASK2["query heads"])


def test_task3_with_task2_not_done():
    def stub(config, tokens, batch=1, bytes_per_value=2):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="query heads"):
        ch03.check_concurrent_requests(4.0, 14, kv_cache_bytes=stub)


# --------------------------------------------------------------------------------------------------
# Task 4
# --------------------------------------------------------------------------------------------------

CHOICES = {"fraud": "online", "churn": "batch", "search": "online", "invoices": "batch"}
JUSTIFICATION = ("Five replicas would run at 100 % at the 900 requests per second peak, and eight keep each at 63 % "
                 "under the 70 % limit. I run nine so that losing one during a node drain still leaves eight at 63 %. "
                 "Fraud is online because the payment only exists at request time.")


def cost(n):
    return n * 0.12 / (900 * 3_600) * 1_000


def test_serving_plan_right(capsys):
    for n in (9, 10, 12):
        ch03.check_serving_plan(dict(CHOICES), n, cost(n), JUSTIFICATION)
    assert "✔" in capsys.readouterr().out
    ch03.check_serving_plan({k: v.upper() for k, v in CHOICES.items()}, 9, cost(9), JUSTIFICATION)


def test_serving_plan_answers_are_not_in_the_learners_namespace():
    from coursekit.checks._answers.ch03 import EXPECTED_MODES

    assert EXPECTED_MODES == CHOICES
    assert not hasattr(ch03, "EXPECTED_MODES") and not hasattr(ch03, "MODE_FEEDBACK")


@pytest.mark.parametrize("choices, message", [
    (None, "not done yet"),
    (["online", "batch"], "should be a dict"),
    ({"fraud": "online"}, "no entry for"),
    ({**CHOICES, "fraud": "realtime"}, "use \"batch\" or \"online\""),
    ({**CHOICES, "fraud": "batch"}, "payment exists only when it arrives"),
    ({**CHOICES, "churn": "online"}, "known in advance"),
    ({**CHOICES, "search": "batch"}, "query exists only"),
    ({**CHOICES, "invoices": "online"}, "nightly batch job"),
])
def test_serving_plan_wrong_choices(choices, message):
    exc = NotDoneYet if choices is None else CheckFailed
    fails_with(ch03.check_serving_plan, choices, 9, cost(9), JUSTIFICATION, match=message, exc=exc)


@pytest.mark.parametrize("n, message", [
    (None, "not done yet"),
    (4, "less than the 900"),
    (5, "above the 70% policy"),
    (7, "above the 70% policy"),
    (8, "after losing one"),
    (13, "only"),
    (9.5, "whole things"),
])
def test_serving_plan_wrong_replicas(n, message):
    exc = NotDoneYet if n is None else CheckFailed
    fails_with(ch03.check_serving_plan, CHOICES, n, cost(9), JUSTIFICATION, match=message, exc=exc)


@pytest.mark.parametrize("value, message", [
    (None, "not done yet"),
    (cost(9) / 1_000, "cost of ONE prediction"),
    (9 * 0.12 / (9 * 180 * 3_600) * 1_000, "full capacity"),
    (cost(1), "price of one replica"),
    (cost(9) * 3_600, "per second"),
    (cost(9) * 100, "cents"),
    (cost(9) * 2.5, "expected about"),
])
def test_serving_plan_wrong_cost(value, message):
    exc = NotDoneYet if value is None else CheckFailed
    fails_with(ch03.check_serving_plan, CHOICES, 9, value, JUSTIFICATION, match=message, exc=exc)


@pytest.mark.parametrize("text, message", [
    (None, "not done yet"),
    (42, "should be text"),
    ("Nine replicas is enough.", "words"),
    ("I picked nine because nine is my favourite number and it felt right for this service, which "
     "is important to the company and to our customers who pay with cards every single day.", "policy"),
    ("I picked nine so that each replica stays below the seventy percent policy at peak even when one is "
     "lost during a node drain, which keeps latency stable for every customer that pays.", "batch/online"),
])
def test_serving_plan_wrong_justification(text, message):
    exc = NotDoneYet if text is None else CheckFailed
    fails_with(ch03.check_serving_plan, CHOICES, 9, cost(9), text, match=message, exc=exc)


def test_cost_helper_matches_chapter_formula():
    assert math.isclose(cost(9), 9 * 0.12 / 3.24e6 * 1e3)
