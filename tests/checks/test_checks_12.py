"""The self-checks of exercise 12 pass right answers and name the specific mistake in wrong ones."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from coursekit.checks import CheckFailed, NotDoneYet, ch12
from coursekit.checks._answers.ch12 import AZURE_EXPECTED
from tests.support.checks import fails_with

KiB, MiB, GiB, GB = 2**10, 2**20, 2**30, 10**9


# --------------------------------------------------------------------------------------------------
# Task 1: TTFT, TPOT, tokens per second
# --------------------------------------------------------------------------------------------------

TIMELINE = {
    "A": {"arrival": 0.00, "tokens": [0.30, 0.35, 0.40, 0.45, 0.50, 0.55]},
    "B": {"arrival": 0.10, "tokens": [0.62, 0.68, 0.74, 0.80, 0.86, 0.92, 0.98, 1.04, 1.10]},
    "C": {"arrival": 0.20, "tokens": [0.90, 0.97, 1.04, 1.11]},
}
TTFT, TPOT, RATE = 0.52, 0.06, 19 / 1.11


def test_token_metrics_right(capsys):
    ch12.check_token_metrics(TTFT, TPOT, RATE, TIMELINE)
    assert "✔" in capsys.readouterr().out
    ch12.check_token_metrics(0.62 - 0.10, (1.10 - 0.62) / 8, 19 / 1.11, TIMELINE)  # float arithmetic is fine


@pytest.mark.parametrize("ttft, message", [
    (None, "not done yet"),
    ("0.52", "should be a number"),
    (520, "milliseconds"),
    (0.62, "subtract its arrival"),
    (1.00, "whole request latency"),
    (0.32, "first token the server produced"),
    (0.06, "gap between tokens"),
    (0.7, "includes the time the request waited"),
])
def test_token_metrics_wrong_ttft(ttft, message):
    exc = NotDoneYet if ttft is None else CheckFailed
    fails_with(ch12.check_token_metrics, ttft, TPOT, RATE, TIMELINE, match=message, exc=exc)


@pytest.mark.parametrize("tpot, message", [
    (None, "not done yet"),
    (60, "milliseconds"),
    (1.00 / 9, "queueing and the prefill"),   # whole latency / tokens: the prefill counted in TPOT
    (1.00 / 8, "started from the arrival"),
    (0.48 / 9, "gaps between them"),
    (9 / 1.00, "tokens per second for this request"),
    (0.05, "(number of tokens - 1)"),
])
def test_token_metrics_wrong_tpot(tpot, message):
    exc = NotDoneYet if tpot is None else CheckFailed
    fails_with(ch12.check_token_metrics, TTFT, tpot, RATE, TIMELINE, match=message, exc=exc)


@pytest.mark.parametrize("rate, message", [
    (None, "not done yet"),
    (3 / 1.11, "requests per second"),                 # divided by requests instead of tokens
    (19 / 0.81, "first request arrived"),              # window starting at the first token
    ((6 / 0.55 + 9 / 1.0 + 4 / 0.91) / 3, "average of the per-request rates"),
    (6 / 0.55 + 9 / 1.0 + 4 / 0.91, "overlapping time"),
    (9 / 1.0 + 1e-3, "own rate"),
    (1 / 0.06, "one sequence's decode speed"),
    (25.0, "divide by (time of the last token"),
])
def test_token_metrics_wrong_rate(rate, message):
    exc = NotDoneYet if rate is None else CheckFailed
    fails_with(ch12.check_token_metrics, TTFT, TPOT, rate, TIMELINE, match=message, exc=exc)


# --------------------------------------------------------------------------------------------------
# Task 2: max sequences, Llama-3-70B int4 + fp8 KV on 81,559 MiB
# --------------------------------------------------------------------------------------------------

KV = 2 * 80 * 8 * 128 * 1   # 163,840 bytes
RIGHT_SEQS = 31


def test_max_sequences_right(capsys):
    ch12.check_max_sequences(KV, RIGHT_SEQS)
    assert "✔" in capsys.readouterr().out
    ch12.check_max_sequences(float(KV), 31.0)


@pytest.mark.parametrize("kv, message", [
    (None, "not done yet"),
    (KV * 8, "query heads"),
    (KV * 2, "fp16"),
    (KV / 2, "key and the value"),
    (KV * 8192, "one whole 8,192-token sequence"),
    (KV / KiB, "KiB"),
    (KV / MiB, "MiB"),
    (KV * 3, "2 (k and v) x layers x kv heads"),
])
def test_max_sequences_wrong_kv(kv, message):
    exc = NotDoneYet if kv is None else CheckFailed
    fails_with(ch12.check_max_sequences, kv, RIGHT_SEQS, match=message, exc=exc)


def test_max_sequences_bits_and_query_heads_share_a_message():
    message = fails_with(ch12.check_max_sequences, KV * 8, RIGHT_SEQS, match="query heads")
    assert "bits" in message


@pytest.mark.parametrize("seqs, message", [
    (None, "not done yet"),
    (31.06, "whole sequences"),
    (32, "rounded up"),
    (28, "MiB as 10**6"),
    (57, "did not subtract the weights"),
    (3, "query heads"),
    (15, "fp16 KV cache"),
    (37, "only 90%"),
    (4, "int8"),
    (29, "mixed GB and GiB"),
    (62, "half the length"),
    (0, "weights fill the GPU"),
    (40, "round down"),
])
def test_max_sequences_wrong_count(seqs, message):
    exc = NotDoneYet if seqs is None else CheckFailed
    fails_with(ch12.check_max_sequences, KV, seqs, match=message, exc=exc)


def test_max_sequences_mistake_values_are_distinct():
    # every diagnosed count must differ from the right one, or the check would reject a right answer
    usable, weights, per_seq = 81_559 * MiB * 0.9, 70_553_706_496 * 0.5, KV * 8192
    assert math.floor((usable - weights) / per_seq) == RIGHT_SEQS


# --------------------------------------------------------------------------------------------------
# Task 3: Azure ML concept map
# --------------------------------------------------------------------------------------------------

RIGHT_MAP = dict(AZURE_EXPECTED)


def test_service_map_right(capsys):
    ch12.check_service_map(RIGHT_MAP)
    assert "✔" in capsys.readouterr().out
    ch12.check_service_map({k: v.upper() for k, v in RIGHT_MAP.items()})   # case does not matter


@pytest.mark.parametrize("mapping, message, exc", [
    (None, "not done yet", NotDoneYet),
    (["tracking"], "should be a dict", CheckFailed),
    ({k: v for k, v in RIGHT_MAP.items() if k != "monitoring"}, "no entry for 'monitoring'", CheckFailed),
    (RIGHT_MAP | {"training": "Azure Machine Learning pipelines"}, "unexpected keys", CheckFailed),
    (RIGHT_MAP | {"serving": None}, "not done yet", NotDoneYet),
    (RIGHT_MAP | {"serving": 3}, "not a int", CheckFailed),
    (RIGHT_MAP | {"serving": "Azure ML endpoints"}, "not one of AZURE_OPTIONS", CheckFailed),
    (RIGHT_MAP | {"registry": "Azure Container Registry"}, "stores images", CheckFailed),
    (RIGHT_MAP | {"tracking": "Azure Blob Storage"}, "artifact store", CheckFailed),
    (RIGHT_MAP | {"pipelines": "Azure Data Factory"}, "etl", CheckFailed),
    (RIGHT_MAP | {"serving": "Azure Kubernetes Service (AKS)"}, "cluster you run", CheckFailed),
    (RIGHT_MAP | {"monitoring": "Azure Monitor and Application Insights"}, "service layer", CheckFailed),
    (RIGHT_MAP | {"feature_store": "Azure Cache for Redis"}, "online store", CheckFailed),
    (RIGHT_MAP | {"monitoring": "Azure Machine Learning pipelines"}, "answer for pipelines", CheckFailed),
])
def test_service_map_wrong(mapping, message, exc):
    fails_with(ch12.check_service_map, mapping, match=message, exc=exc)


def test_service_map_reports_every_wrong_entry():
    swapped = RIGHT_MAP | {"tracking": "Azure Machine Learning model registry (workspace models, registries to share)",
                           "registry": "MLflow tracking against the workspace"}
    message = fails_with(ch12.check_service_map, swapped, match="2 of 6")
    assert "tracking" in message and "registry" in message


def test_service_map_options_hold_every_answer():
    assert set(AZURE_EXPECTED.values()) <= set(ch12.AZURE_OPTIONS)
    assert len(ch12.AZURE_OPTIONS) == len(set(ch12.AZURE_OPTIONS)) == 12


def test_service_map_answers_are_not_in_the_learners_namespace():
    assert not hasattr(ch12, "AZURE_EXPECTED") and not hasattr(ch12, "AZURE_DISTRACTORS")


# --------------------------------------------------------------------------------------------------
# Task 4: build vs buy
# --------------------------------------------------------------------------------------------------

CRITERIA = ["time to first model", "ops burden (higher = less)", "cost at our scale", "portability",
            "fit with team skills", "LLM and GPU serving flexibility"]
SCORES = pd.DataFrame(
    [[5, 4, 3, 2, 3, 3], [4, 4, 2, 3, 3, 3], [2, 1, 4, 4, 4, 4], [3, 2, 4, 5, 4, 5]],
    index=["managed cloud platform", "Databricks", "Kubeflow (self-hosted)", "open-source stack"], columns=CRITERIA)
WEIGHTS = {"time to first model": 0.25, "ops burden (higher = less)": 0.25, "cost at our scale": 0.15,
           "portability": 0.05, "fit with team skills": 0.10, "LLM and GPU serving flexibility": 0.20}
PORTABLE = {"time to first model": 0.10, "ops burden (higher = less)": 0.10, "cost at our scale": 0.15,
            "portability": 0.20, "fit with team skills": 0.25, "LLM and GPU serving flexibility": 0.20}
JUSTIFICATION = (
    "The deadline is three months and nobody has run an ML platform, so time to first model and ops burden carry "
    "half the weight; serving an open-weight LLM on GPUs comes next, and cost matters because finance watches the "
    "bill. Portability weighs little because every option runs in the EU region. The managed platform leads by 0.2."
)


def test_build_vs_buy_right(capsys):
    ch12.check_build_vs_buy(WEIGHTS, "managed cloud platform", JUSTIFICATION, SCORES)
    assert "✔" in capsys.readouterr().out
    # another defensible answer: different weights, the option they rank first
    ch12.check_build_vs_buy(PORTABLE, "open-source stack", JUSTIFICATION.replace("managed platform", "stack"), SCORES)


@pytest.mark.parametrize("weights, message, exc", [
    (None, "not done yet", NotDoneYet),
    ([0.2] * 6, "should be a dict", CheckFailed),
    ({k: v for k, v in WEIGHTS.items() if k != "portability"}, "no weight for 'portability'", CheckFailed),
    (WEIGHTS | {"security": 0.0}, "not criteria", CheckFailed),
    (WEIGHTS | {"portability": -0.05, "cost at our scale": 0.25}, "negative weight", CheckFailed),
    ({k: v * 100 for k, v in WEIGHTS.items()}, "add up to 100", CheckFailed),
    (WEIGHTS | {"portability": 0.5}, "add up to 1.45", CheckFailed),
    ({c: (0.5 if i < 2 else 0.0) for i, c in enumerate(CRITERIA)}, "only 2 criteria", CheckFailed),
    ({c: (0.7 if i == 0 else 0.1 if i < 4 else 0.0) for i, c in enumerate(CRITERIA)}, "more than 0.6", CheckFailed),
])
def test_build_vs_buy_wrong_weights(weights, message, exc):
    fails_with(ch12.check_build_vs_buy, weights, "managed cloud platform", JUSTIFICATION, SCORES,
               match=message, exc=exc)


@pytest.mark.parametrize("recommendation, message, exc", [
    (None, "not done yet", NotDoneYet),
    ("SageMaker", "one of the options", CheckFailed),
    ("open-source stack", "ranks first", CheckFailed),
])
def test_build_vs_buy_wrong_recommendation(recommendation, message, exc):
    fails_with(ch12.check_build_vs_buy, WEIGHTS, recommendation, JUSTIFICATION, SCORES, match=message, exc=exc)


@pytest.mark.parametrize("justification, message, exc", [
    (None, "not done yet", NotDoneYet),
    (42, "should be text", CheckFailed),
    ("Managed is easier.", "has 3 words", CheckFailed),
    (" ".join(["We pick the managed platform because it is the sensible choice for us"] * 4), "name at least two",
     CheckFailed),
])
def test_build_vs_buy_wrong_justification(justification, message, exc):
    fails_with(ch12.check_build_vs_buy, WEIGHTS, "managed cloud platform", justification, SCORES,
               match=message, exc=exc)

