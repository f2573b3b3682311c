"""Self-checks for exercise 12, *Platforms and LLM serving*.

Each check recomputes the right answer from the task's facts, then recognises the usual mistakes (the prefill
counted in the time per output token, requests counted instead of tokens, MiB read as 10**6 bytes, the weights
not subtracted, query heads used instead of KV heads, a container registry taken for a model registry...) and
says what is wrong and how to fix it.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping
from typing import Any

from coursekit.checks import (
    CheckFailed,
    diagnose,
    passed,
    require,
    require_done,
    require_number,
    require_prose,
    require_whole,
    within,
)

__all__ = ["check_token_metrics", "check_max_sequences", "check_service_map", "check_build_vs_buy"]

KiB, MiB, GiB = 2**10, 2**20, 2**30
GB = 10**9
ROUNDED = within(rel=0.005, abs=1e-9)  # answers rounded to three or four significant digits still count


# --------------------------------------------------------------------------------------------------
# Task 1: TTFT, TPOT and tokens per second from a token timeline
# --------------------------------------------------------------------------------------------------

def _timeline_facts(timeline: Mapping[str, Mapping[str, Any]], request: str) -> dict[str, float]:
    req = timeline[request]
    arrival, tokens = float(req["arrival"]), [float(t) for t in req["tokens"]]
    all_tokens = [float(t) for r in timeline.values() for t in r["tokens"]]
    first_arrival = min(float(r["arrival"]) for r in timeline.values())
    window = max(all_tokens) - first_arrival
    return {
        "arrival": arrival, "first": tokens[0], "last": tokens[-1], "n": len(tokens),
        "ttft": tokens[0] - arrival,
        "tpot": (tokens[-1] - tokens[0]) / (len(tokens) - 1),
        "tokens_per_s": len(all_tokens) / window,
        "n_all": len(all_tokens), "n_requests": len(timeline), "window": window,
        "first_arrival": first_arrival, "first_token_any": min(all_tokens), "last_token_any": max(all_tokens),
    }


def check_token_metrics(ttft_b, tpot_b, tokens_per_s, timeline: Mapping[str, Mapping[str, Any]],
                        request: str = "B") -> None:
    """TTFT and TPOT of one request (seconds), and the server's output tokens per second over the timeline."""
    f = _timeline_facts(timeline, request)

    require_done(ttft_b, "ttft_b")
    ttft = require_number(ttft_b, "ttft_b")
    if not ROUNDED(ttft, f["ttft"]):
        diagnose(ttft, "ttft_b", f["ttft"], [
            (f["ttft"] * 1000, "that looks like milliseconds. Give TTFT in seconds."),
            (f["first"], f"that is the time of {request}'s first token on the clock, measured from t = 0. TTFT starts "
                         f"when the request arrives ({f['arrival']:g} s): subtract its arrival time."),
            (f["last"] - f["arrival"], "that is the whole request latency (arrival to LAST token). TTFT ends at the "
                                       "FIRST token."),
            (f["first"] - f["first_token_any"], "you measured from the first token the server produced for anyone. "
                                                f"Measure from {request}'s own arrival."),
            (f["tpot"], "that is the gap between tokens (TPOT). TTFT is arrival to first token: queueing plus "
                        "prefill."),
        ], close=ROUNDED)
        raise CheckFailed(f"`ttft_b` = {ttft:g} is not right. TTFT = time of {request}'s first token - time it "
                          "arrived, in seconds. It includes the time the request waited in the queue.")

    require_done(tpot_b, "tpot_b")
    tpot = require_number(tpot_b, "tpot_b")
    if not ROUNDED(tpot, f["tpot"]):
        e2e = f["last"] - f["arrival"]
        diagnose(tpot, "tpot_b", f["tpot"], [
            (f["tpot"] * 1000, "that looks like milliseconds. Give TPOT in seconds."),
            (e2e / f["n"], "you divided the whole latency by the number of tokens, so the queueing and the prefill "
                           "are spread over every token. TPOT covers only the decode: (last token - first token) / "
                           "(tokens - 1)."),
            (e2e / (f["n"] - 1), "you started from the arrival, which counts the queue and the prefill as decode "
                                 "time. TPOT starts at the FIRST token: (last - first) / (tokens - 1)."),
            ((f["last"] - f["first"]) / f["n"], f"almost: {request} has {f['n']} tokens, so there are {f['n'] - 1} "
                                                "gaps between them. Divide by (tokens - 1)."),
            (f["n"] / e2e, "that is tokens per second for this request, the inverse of a time per token, and it "
                           "includes the prefill. TPOT is seconds per token after the first one."),
        ], close=ROUNDED)
        raise CheckFailed(f"`tpot_b` = {tpot:g} is not right. TPOT = (time of the last token - time of the first "
                          "token) / (number of tokens - 1), in seconds.")

    require_done(tokens_per_s, "tokens_per_s")
    rate = require_number(tokens_per_s, "tokens_per_s")
    if not ROUNDED(rate, f["tokens_per_s"]):
        per_request = [len(r["tokens"]) / (float(r["tokens"][-1]) - float(r["arrival"])) for r in timeline.values()]
        diagnose(rate, "tokens_per_s", f["tokens_per_s"], [
            (f["n_requests"] / f["window"], "that counts requests, not tokens: it is requests per second. Count "
                                            "every output token of every request."),
            (f["n_all"] / (f["last_token_any"] - f["first_token_any"]), "the window should start when the first "
                                                                        "request arrived, not at the first token: "
                                                                        "the server was busy with its prefill."),
            (sum(per_request) / len(per_request), "that is the average of the per-request rates. The server's "
                                                  "throughput is all tokens / the whole time window."),
            (sum(per_request), "adding per-request rates counts overlapping time several times. Divide all the "
                               "tokens by the window from the first arrival to the last token."),
            (f["n"] / (f["last"] - f["arrival"]), f"that is {request}'s own rate. The question asks for the server: "
                                                  "every request's tokens."),
            (1 / f["tpot"], "1 / TPOT is one sequence's decode speed. The server generates several sequences at "
                            "once: count all tokens over the window."),
        ], close=ROUNDED)
        raise CheckFailed(f"`tokens_per_s` = {rate:g} is not right. Count the output tokens of all requests and "
                          "divide by (time of the last token - arrival of the first request).")

    passed(f"TTFT {f['ttft']:.2f} s (queue + prefill), TPOT {f['tpot'] * 1000:.0f} ms per token after the first, "
           f"{f['tokens_per_s']:.1f} output tokens/s for the server: {f['n_all']} tokens in {f['window']:.2f} s.")


# --------------------------------------------------------------------------------------------------
# Task 2: how many 8k sequences fit: Llama-3-70B, int4 weights, fp8 KV cache, a GPU nvidia-smi reports as 81,559 MiB
# --------------------------------------------------------------------------------------------------

LLAMA_3_70B = {"num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8, "hidden_size": 8192}


def check_max_sequences(kv_bytes_per_token, max_seqs, *, config: Mapping[str, int] | None = None,
                        kv_bytes_per_value: float = 1, n_params: int = 70_553_706_496,
                        weight_bytes_per_param: float = 0.5, gpu_total_mib: int = 81_559,
                        gpu_memory_utilization: float = 0.9, tokens_per_seq: int = 8_192) -> None:
    """KV-cache bytes per token (fp8), and whole sequences that fit in the usable memory after int4 weights."""
    cfg = dict(config or LLAMA_3_70B)
    head_dim = cfg["hidden_size"] // cfg["num_attention_heads"]
    heads_ratio = cfg["num_attention_heads"] / cfg["num_key_value_heads"]
    right_kv = 2 * cfg["num_hidden_layers"] * cfg["num_key_value_heads"] * head_dim * kv_bytes_per_value

    require_done(kv_bytes_per_token, "kv_bytes_per_token")
    kv = require_number(kv_bytes_per_token, "kv_bytes_per_token")
    if not ROUNDED(kv, right_kv):
        diagnose(kv, "kv_bytes_per_token", right_kv, [
            (heads_ratio, f"{heads_ratio:g}x too big. Either you used the {cfg['num_attention_heads']} query heads "
                          f"instead of the {cfg['num_key_value_heads']} KV heads (grouped-query attention: only the "
                          "KV heads are cached), or you counted bits: an fp8 value is 1 byte."),
            (8, "8x too big: an fp8 value is 8 bits = 1 byte. Count bytes."),
            (2 / kv_bytes_per_value, "twice the right value: the cache is fp8 (1 byte per value), not fp16 (2 bytes)."),
            (0.5, "half the right value: did you forget the 2 for the key AND the value?"),
            (tokens_per_seq, f"that is one whole {tokens_per_seq:,}-token sequence. The question asks per token."),
            (1 / KiB, "that is in KiB. Give bytes."),
            (1 / MiB, "that is in MiB. Give bytes."),
        ], close=ROUNDED, ratio=True, template="`{name}` = {value:,.6g}: {message}")
        raise CheckFailed(f"`kv_bytes_per_token` = {kv:,.6g}, expected {right_kv:,.0f}. Per token the cache holds 2 "
                          "(K and V) x layers x KV heads x head dim x bytes per value, with head dim = hidden_size / "
                          "num_attention_heads.")

    require_done(max_seqs, "max_seqs")
    got = require_whole(max_seqs, "max_seqs", "counts whole sequences. A sequence whose KV cache does not fit "
                                              "completely cannot run: round down (math.floor).")
    usable = gpu_total_mib * MiB * gpu_memory_utilization
    weights = n_params * weight_bytes_per_param
    per_seq = right_kv * tokens_per_seq

    def fits(kv_seq: float = per_seq, total: float = usable, w: float = weights) -> int:
        return max(0, math.floor((total - w) / kv_seq))

    right = fits()
    if got == right:
        passed(f"{gpu_total_mib:,} MiB x {gpu_memory_utilization:g} = {usable / GiB:.1f} GiB usable; int4 weights "
               f"{weights / GiB:.1f} GiB; {(usable - weights) / GiB:.1f} GiB left for the KV cache / "
               f"{per_seq / GiB:.2f} GiB per {tokens_per_seq:,}-token sequence = {right} sequences.")
        return
    mistakes = [
        (right + 1, "You rounded up. A sequence whose KV cache does not fit completely cannot run: round down."),
        (fits(total=gpu_total_mib * 10**6 * gpu_memory_utilization),
         "You read MiB as 10**6 bytes. nvidia-smi's MiB are 2**20 = 1,048,576 bytes: the GPU has more bytes than "
         "you counted."),
        (fits(w=0), "You did not subtract the weights. The int4 weights (0.5 bytes per parameter) live in the same "
                    "GPU memory as the KV cache."),
        (fits(kv_seq=per_seq * heads_ratio), "Your count matches a KV cache computed with the query heads instead "
                                             "of the KV heads."),
        (fits(kv_seq=per_seq * 2 / kv_bytes_per_value), "Your count matches an fp16 KV cache (2 bytes per value); "
                                                        "the server runs --kv-cache-dtype fp8 (1 byte)."),
        (fits(total=gpu_total_mib * MiB), f"You used all of the GPU memory; the server may use only "
                                          f"{gpu_memory_utilization:.0%} of it (--gpu-memory-utilization)."),
        (fits(w=n_params * 1.0), "You counted 1 byte per weight (int8). The weights are int4: 0.5 bytes per "
                                 "parameter."),
        (fits(w=weights / GB * GiB), "You mixed GB and GiB: the weights' size in GB (10**9) was subtracted as if it "
                                     "were GiB (2**30)."),
        (fits(kv_seq=per_seq / 2), f"Your count matches sequences of half the length. Each sequence may hold "
                                   f"{tokens_per_seq:,} tokens."),
    ]
    diagnose(got, "max_seqs", right, mistakes, close=operator.eq, template="`{name}` = {value}. {message}")
    if got == 0:
        raise CheckFailed("`max_seqs` = 0: with your numbers the weights fill the GPU. Check the bytes per weight: "
                          "int4 is 0.5 bytes per parameter, not 2 (fp16).")
    raise CheckFailed(f"`max_seqs` = {got} is not right. Usable memory = {gpu_total_mib:,} MiB x 2**20 x "
                      f"{gpu_memory_utilization:g}; subtract the weights ({n_params:,} parameters x "
                      f"{weight_bytes_per_param:g} bytes); divide by one sequence's KV cache "
                      f"(kv_bytes_per_token x {tokens_per_seq:,}) and round down.")


# --------------------------------------------------------------------------------------------------
# Task 3: the concept -> service map for Azure Machine Learning
# --------------------------------------------------------------------------------------------------

CONCEPTS = ("tracking", "registry", "pipelines", "feature_store", "serving", "monitoring")

# Why each option that is no Azure ML answer is wrong (it tells the six right ones apart from the rest: private)
_DISTRACTORS = {
    "Azure Blob Storage": "Blob Storage holds files: it is the artifact store behind tracking and the registry, but "
                          "it records no runs, parameters or metrics, and no model versions or aliases.",
    "Azure Container Registry": "a container registry stores images. A model registry stores model VERSIONS with "
                                "their run, metrics, signature and aliases (chapter 05); the image that serves a "
                                "model is a different artifact.",
    "Azure Data Factory": "Data Factory moves and transforms data (ETL). ML pipelines run training and evaluation "
                          "steps as jobs on Azure ML compute, with caching and lineage.",
    "Azure Kubernetes Service (AKS)": "AKS is a cluster you run. Azure ML can deploy to it (Kubernetes online "
                                      "endpoints), but the managed service that runs the model servers for you is "
                                      "managed online endpoints.",
    "Azure Monitor and Application Insights": "these watch the service layer: latency, errors, logs of the "
                                              "endpoint. Model monitoring compares production inputs and "
                                              "predictions with a reference to catch drift (chapter 09).",
    "Azure Cache for Redis": "Redis can be the ONLINE store behind the managed feature store, but the feature store "
                             "is more: feature definitions, materialization, offline point-in-time retrieval.",
}



def _options() -> list[str]:
    from coursekit.checks._answers.ch12 import AZURE_EXPECTED

    return sorted([*AZURE_EXPECTED.values(), *_DISTRACTORS])


AZURE_OPTIONS = _options()  # the services to choose from: the six right ones and the distractors, in sorted order

_CONCEPT_WORDS = {
    "tracking": "tracking (recording runs: parameters, metrics, artifacts)",
    "registry": "the registry (versioned models with aliases)",
    "pipelines": "pipelines (the training DAG)",
    "feature_store": "the feature store (features for training and serving)",
    "serving": "serving (the online inference endpoint)",
    "monitoring": "monitoring (drift and quality of the model in production)",
}


def check_service_map(azure_map, options=None) -> None:
    """A dict concept -> one of AZURE_OPTIONS, matching Azure Machine Learning's services."""
    options = list(options or AZURE_OPTIONS)
    require_done(azure_map, "azure_map")
    require(isinstance(azure_map, Mapping), f"`azure_map` should be a dict like {{'tracking': '...', ...}}, but it "
                                            f"is a {type(azure_map).__name__}.")
    missing = [c for c in CONCEPTS if c not in azure_map]
    require(not missing, f"`azure_map` has no entry for {', '.join(map(repr, missing))}. Use exactly these keys: "
                         f"{', '.join(CONCEPTS)}.")
    extra = [k for k in azure_map if k not in CONCEPTS]
    require(not extra, f"`azure_map` has unexpected keys {', '.join(map(repr, extra))}. Use exactly these keys: "
                       f"{', '.join(CONCEPTS)}.")
    from coursekit.checks._answers.ch12 import AZURE_EXPECTED

    by_lower = {o.lower(): o for o in options}
    expected_for = {v: k for k, v in AZURE_EXPECTED.items()}
    wrong = []
    for concept in CONCEPTS:
        value = azure_map[concept]
        require_done(value, f"azure_map[{concept!r}]")
        require(isinstance(value, str), f"azure_map[{concept!r}] should be one of the strings in AZURE_OPTIONS, "
                                        f"not a {type(value).__name__}.")
        choice = by_lower.get(value.strip().lower())
        require(choice is not None, f"azure_map[{concept!r}] = {value!r} is not one of AZURE_OPTIONS. Copy the exact "
                                    "string from the list (print(AZURE_OPTIONS)).")
        if choice == AZURE_EXPECTED[concept]:
            continue
        if choice in _DISTRACTORS:
            wrong.append(f"azure_map[{concept!r}] = {choice!r}: {_DISTRACTORS[choice]}")
        else:
            belongs = expected_for[choice]
            wrong.append(f"azure_map[{concept!r}] = {choice!r}: that is Azure ML's answer for "
                         f"{_CONCEPT_WORDS[belongs]}, not for {_CONCEPT_WORDS[concept]}.")
    if wrong:
        raise CheckFailed(f"{len(wrong)} of 6 entries need another look.\n- " + "\n- ".join(wrong))
    passed("All six concepts mapped to Azure Machine Learning. The same six questions (where are runs, versions, "
           "DAGs, features, endpoints and drift checks?) map any platform you meet.")


# --------------------------------------------------------------------------------------------------
# Task 4 (open): build vs buy, with weights and a justification
# --------------------------------------------------------------------------------------------------

def _keywords(criterion: str) -> list[str]:
    """Words of a criterion name a justification may use to mention it."""
    stop = {"and", "our", "the", "of", "with", "at", "to", "a", "per", "higher", "less", "more", "team", "your"}
    return [w for w in re.findall(r"[a-z0-9]+", criterion.lower()) if len(w) > 2 and w not in stop]


def check_build_vs_buy(weights, recommendation, justification, scores, *, min_words: int = 40) -> None:
    """Weights over the given criteria (non-negative, sum 1), the top-ranked option, and a justification."""
    import pandas as pd

    table = scores if isinstance(scores, pd.DataFrame) else pd.DataFrame(scores)
    criteria, options = list(table.columns), list(table.index)

    require_done(weights, "weights")
    require(isinstance(weights, Mapping), f"`weights` should be a dict criterion -> weight, but it is a "
                                          f"{type(weights).__name__}.")
    missing = [c for c in criteria if c not in weights]
    require(not missing, f"`weights` has no weight for {', '.join(map(repr, missing))}. Give every criterion a "
                         "weight (0 is allowed, and says you do not care about it).")
    extra = [k for k in weights if k not in criteria]
    require(not extra, f"`weights` has keys that are not criteria: {', '.join(map(repr, extra))}. Use the column "
                       "names of SCORES exactly.")
    values = {c: require_number(weights[c], f"weights[{c!r}]") for c in criteria}
    negative = [c for c, v in values.items() if v < 0]
    require(not negative, f"Negative weight for {', '.join(map(repr, negative))}: a weight says how much a criterion "
                          "matters, from 0 up. To prefer low scores, change the scores, not the sign.")
    total = sum(values.values())
    require(abs(total - 1) <= 0.01, f"Your weights add up to {total:g}. Make them add up to 1 (divide each by their "
                                    "sum), so that totals stay on the 1-5 scale of the scores.")
    used = [c for c, v in values.items() if v > 0]
    require(len(used) >= 3, f"Only {len(used)} criteria have a weight above 0. A decision matrix weighs several "
                            "concerns against each other: give at least three criteria some weight.")
    require(max(values.values()) <= 0.6, "One criterion carries more than 0.6 of the weight: the matrix then just "
                                         "restates that criterion. Spread the weight, or say so plainly instead.")

    totals = {o: sum(float(table.loc[o, c]) * values[c] for c in criteria) for o in options}
    ranking = sorted(totals, key=totals.get, reverse=True)
    require_done(recommendation, "recommendation")
    require(isinstance(recommendation, str) and recommendation in options,
            f"`recommendation` = {recommendation!r} should be one of the options, spelled exactly: "
            f"{', '.join(map(repr, options))}.")
    best = totals[ranking[0]]
    if totals[recommendation] < best - 1e-9:
        raise CheckFailed(f"With your weights {recommendation!r} scores {totals[recommendation]:.2f}, but "
                          f"{ranking[0]!r} scores {best:.2f}. Either recommend the option your matrix ranks first, "
                          "or change the weights to say what really matters to you: a matrix that disagrees with "
                          "the recommendation hides the real reason.")

    text = require_prose(justification, "justification", min_words,
                         f"write 3-5 sentences (at least {min_words} words): why these weights for this team, what the "
                         "recommended option costs you, and what would change your mind.")
    mentioned = [c for c in criteria if any(k in text for k in _keywords(c))]
    require(len(mentioned) >= 2, "Name at least two of the criteria in your justification (for example "
                                 f"{criteria[0]!r} and {criteria[1]!r}) and say why they weigh what they weigh.")
    runner_up = ranking[1]
    margin = best - totals[runner_up]
    passed(f"{recommendation} ranks first with {best:.2f} against {runner_up} at {totals[runner_up]:.2f} (margin "
           f"{margin:.2f}). Record the weights with the decision: they are the part people will argue about.")
