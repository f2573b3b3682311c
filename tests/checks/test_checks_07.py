"""Exercise 07's self-checks: known-wrong answers get their specific message, right answers pass."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel, ConfigDict, Field, create_model

from coursekit.checks import NotDoneYet, ch07
from tests.support.checks import fails, passes

# ------------------------------------------------------------------------------------ task 1: percentiles


@pytest.fixture(scope="module")
def latencies_s() -> np.ndarray:
    rng = np.random.default_rng(7)  # the exercise's data
    values = np.concatenate([rng.lognormal(np.log(0.012), 0.25, 985), rng.uniform(0.08, 0.25, 15)])
    rng.shuffle(values)
    return values


def right_ms(latencies_s, q):
    return float(np.percentile(latencies_s, q)) * 1000


def test_percentiles_right_answer_passes(latencies_s, capsys):
    out = passes(ch07.check_percentiles, capsys, *(np.percentile(latencies_s, [50, 95, 99]) * 1000), latencies_s)
    assert out.startswith("✔ p50")


@pytest.mark.parametrize("method", ["lower", "higher", "nearest", "inverted_cdf", "hazen"])
def test_percentiles_any_numpy_method_passes(latencies_s, method):
    ch07.check_percentiles(*(np.percentile(latencies_s, [50, 95, 99], method=method) * 1000), latencies_s)


def test_percentiles_hand_rolled_nearest_rank_passes(latencies_s):
    ordered = np.sort(latencies_s)
    ranks = [int(np.ceil(q / 100 * len(ordered))) - 1 for q in (50, 95, 99)]
    ch07.check_percentiles(*(ordered[ranks] * 1000), latencies_s)


def test_percentiles_not_done(latencies_s):
    with pytest.raises(NotDoneYet):
        ch07.check_percentiles(None, None, None, latencies_s)


def test_percentiles_mean_instead_of_median(latencies_s):
    fails(ch07.check_percentiles, latencies_s.mean() * 1000, right_ms(latencies_s, 95), right_ms(latencies_s, 99),
          latencies_s, match=r"`p50_ms`.*is the \*mean\* latency, not the median")


def test_percentiles_in_seconds(latencies_s):
    p50, p95, p99 = np.percentile(latencies_s, [50, 95, 99])
    fails(ch07.check_percentiles, p50, p95, p99, latencies_s, match=r"`p50_ms`.*in \*seconds\*.*Multiply by 1000")


def test_percentiles_in_microseconds(latencies_s):
    fails(ch07.check_percentiles, *(np.percentile(latencies_s, [50, 95, 99]) * 1e6), latencies_s, match="microseconds")


def test_percentiles_fraction_instead_of_percent(latencies_s):
    wrong = np.percentile(latencies_s, [0.5, 0.95, 0.99]) * 1000
    fails(ch07.check_percentiles, *wrong, latencies_s,
          match=r"np.percentile takes q in percent \(0-100\): use 50, not 0.5")


def test_percentiles_unsorted_index(latencies_s):
    n = len(latencies_s)
    wrong = [latencies_s[int(q / 100 * n)] * 1000 for q in (50, 95, 99)]
    fails(ch07.check_percentiles, *wrong, latencies_s, match=r"original order.*sort first")


def test_percentiles_max_for_p99(latencies_s):
    fails(ch07.check_percentiles, right_ms(latencies_s, 50), right_ms(latencies_s, 95), latencies_s.max() * 1000,
          latencies_s, match=r"`p99_ms`.*\*maximum\*")


def test_percentiles_normal_formula_for_p99(latencies_s):
    normal = (latencies_s.mean() + 2.326 * latencies_s.std()) * 1000
    fails(ch07.check_percentiles, right_ms(latencies_s, 50), right_ms(latencies_s, 95), normal, latencies_s,
          match=r"`p99_ms`.*normal \(bell-shaped\)")


def test_percentiles_swapped_names(latencies_s):
    fails(ch07.check_percentiles, right_ms(latencies_s, 99), right_ms(latencies_s, 95), right_ms(latencies_s, 50),
          latencies_s, match=r"`p50_ms`.*is not the 50th percentile")


def test_percentiles_not_a_number(latencies_s):
    fails(ch07.check_percentiles, "12 ms", right_ms(latencies_s, 95), right_ms(latencies_s, 99), latencies_s,
          match="should be a number")


# ------------------------------------------------------------------------------------ task 2: request schema

Vendor = Literal["acme", "globex", "initech"]


class RightSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    temperature_c: float = Field(ge=0, le=100)
    reallocated_sectors: int = Field(ge=0)
    power_on_hours: float = Field(ge=0)
    vendor: Vendor
    read_error_rate: float | None = Field(default=None, ge=0)


def variant(name: str, **fields):
    """RightSchema with some fields replaced or removed: fields maps name -> (annotation, default or Field) or None."""
    spec = {field: (info.annotation, info) for field, info in RightSchema.model_fields.items()}
    for field, new in fields.items():
        if new is None:
            spec.pop(field)
        else:
            spec[field] = new
    return create_model(name, __config__=ConfigDict(extra="forbid"), **spec)


def test_schema_right_answer_passes(capsys):
    assert "422 that names the field" in passes(ch07.check_request_schema, capsys, RightSchema)


def test_schema_not_done():
    with pytest.raises(NotDoneYet):
        ch07.check_request_schema(None)


def test_schema_not_a_model():
    fails(ch07.check_request_schema, {"temperature_c": float}, match="inherits from pydantic's BaseModel")


def test_schema_extra_fields_ignored():
    class Loose(BaseModel):
        temperature_c: float = Field(ge=0, le=100)
        reallocated_sectors: int = Field(ge=0)
        power_on_hours: float = Field(ge=0)
        vendor: Vendor
        read_error_rate: float | None = Field(default=None, ge=0)

    fails(ch07.check_request_schema, Loose, match=r"misspelt field 'temprature_c' was accepted.*extra=\\?\"forbid\\?\"")


def test_schema_missing_field():
    fails(ch07.check_request_schema, variant("NoVendor", vendor=None), match="has no field.*vendor")


def test_schema_renamed_field():
    schema = variant("Renamed", temperature_c=None, temperature=(float, Field(ge=0, le=100)))
    fails(ch07.check_request_schema, schema, match="has no field.*temperature_c")


def test_schema_exclusive_lower_bound():
    schema = variant("Exclusive", temperature_c=(float, Field(gt=0, le=100)))
    fails(ch07.check_request_schema, schema, match=r"temperature_c = 0 .*use ge= \(>=\), not gt=")


def test_schema_exclusive_upper_bound():
    schema = variant("Exclusive", temperature_c=(float, Field(ge=0, lt=100)))
    fails(ch07.check_request_schema, schema, match=r"use le= \(<=\), not lt=")


def test_schema_no_upper_bound():
    schema = variant("NoUpper", temperature_c=(float, Field(ge=0)))
    fails(ch07.check_request_schema, schema, match=r"100.5 °C was accepted.*Field\(le=100\)")


def test_schema_float_sectors():
    schema = variant("FloatSectors", reallocated_sectors=(float, Field(ge=0)))
    fails(ch07.check_request_schema, schema, match=r"2.5 reallocated sectors was accepted.*declare it as `int`")


def test_schema_free_text_vendor():
    schema = variant("FreeVendor", vendor=(str, ...))
    fails(ch07.check_request_schema, schema, match=r"vendor 'hooli' was accepted.*Literal")


def test_schema_required_read_error_rate():
    schema = variant("RequiredRate", read_error_rate=(float, Field(ge=0)))
    fails(ch07.check_request_schema, schema, match=r"without the optional read_error_rate was rejected")


def test_schema_unbounded_optional():
    schema = variant("UnboundedRate", read_error_rate=(float | None, None))
    fails(ch07.check_request_schema, schema, match=r"negative read error rate was accepted")


def test_schema_default_temperature():
    schema = variant("DefaultTemperature", temperature_c=(float, Field(default=40.0, ge=0, le=100)))
    fails(ch07.check_request_schema, schema, match=r"without temperature_c was accepted.*required")


def test_schema_extra_field():
    schema = variant("Extra", disk_id=(str, "x"))
    fails(ch07.check_request_schema, schema, match="does not ask for: disk_id")


# ------------------------------------------------------------------------------------ task 3: probes


def right_liveness(state):
    return 200


def right_readiness(state):
    return 200 if state["model_loaded"] and state["warmed_up"] and not state["shutting_down"] else 503


def test_probes_refuse_the_course_reference():
    from coursekit.checks._answers import ch07 as key

    fails(ch07.check_probes, key.liveness, right_readiness, match="the course's reference implementation")
    assert not hasattr(ch07, "readiness") and not hasattr(ch07, "percentile_range_ms")


def test_probes_right_answer_passes(capsys):
    assert passes(ch07.check_probes, capsys, right_liveness, right_readiness).startswith("✔ liveness is 200")


def test_probes_not_done():
    with pytest.raises(NotDoneYet):
        ch07.check_probes(None, right_readiness)


def test_probes_liveness_waits_for_model():
    def liveness(state):
        return 200 if state["model_loaded"] else 503

    fails(ch07.check_probes, liveness, right_readiness, match="crash loop")


def test_probes_liveness_fails_on_shutdown():
    def liveness(state):
        return 503 if state["shutting_down"] else 200

    fails(ch07.check_probes, liveness, right_readiness, match="graceful shutdown")


def test_probes_readiness_ignores_model():
    fails(ch07.check_probes, right_liveness, lambda state: 503 if state["shutting_down"] else 200,
          match="before the model is loaded")


def test_probes_readiness_ignores_warm_up():
    def readiness(state):
        return 200 if state["model_loaded"] and not state["shutting_down"] else 503

    fails(ch07.check_probes, right_liveness, readiness, match="warm-up cost")


def test_probes_readiness_ignores_shutdown():
    def readiness(state):
        return 200 if state["model_loaded"] and state["warmed_up"] else 503

    fails(ch07.check_probes, right_liveness, readiness, match="shutting down should not report")


def test_probes_never_ready():
    fails(ch07.check_probes, right_liveness, lambda state: 503, match="never gets traffic")


def test_probes_bool_instead_of_status():
    def readiness(state):
        return state["model_loaded"] and state["warmed_up"] and not state["shutting_down"]

    fails(ch07.check_probes, right_liveness, readiness, match="should return an HTTP status code")


def test_probes_500_instead_of_503():
    def readiness(state):
        return 200 if state["model_loaded"] and state["warmed_up"] and not state["shutting_down"] else 500

    fails(ch07.check_probes, right_liveness, readiness, match="Use 200 \\(OK\\) or 503")


# ------------------------------------------------------------------------------------ task 4: batch settings

MEASURED = pd.DataFrame([  # the table that exercise 07's simulation prints
    (1, 0, 485, 2.1, 5.1, float("inf"), float("inf")),
    (8, 1, 3226, 3.1, 5.1, 4.0, 6.7),
    (16, 2, 5405, 4.1, 6.0, 5.0, 7.5),
    (16, 12, 5405, 13.2, 16.1, 5.8, 11.4),
    (32, 5, 8163, 7.1, 9.0, 7.4, 11.7),
    (32, 20, 8163, 17.3, 24.1, 9.9, 19.2),
    (64, 10, 10959, 12.1, 14.1, 11.3, 18.5),
    (128, 50, 13223, 32.6, 54.1, 34.7, 63.1),
], columns=["max_batch_size", "max_wait_ms", "capacity_rps", "night_p50_ms", "night_p99_ms", "peak_p50_ms",
            "peak_p99_ms"])
GOOD_TEXT = ("Batches of up to 32 rows with a 5 ms max wait keep the p99 at 9 ms at night and 11.7 ms at peak, inside "
             "the 15 ms SLO, and give a capacity of 8,163 requests/s, more than twice the needed headroom.")


def choose(size, wait, text=GOOD_TEXT):
    ch07.check_batching_choice(size, wait, text, MEASURED, slo_p99_ms=15, peak_rps=2500, headroom=1.5)


@pytest.mark.parametrize("size, wait", [(32, 5), (16, 2), (32.0, 5.0)])
def test_batching_right_answers_pass(size, wait, capsys):
    assert passes(choose, capsys, size, wait).startswith("✔ max_batch_size")


def test_batching_not_done():
    with pytest.raises(NotDoneYet):
        choose(None, None)


def test_batching_unmeasured_row():
    fails(choose, 24, 3, match="no measured row with max_batch_size = 24")


def test_batching_wait_in_seconds():
    fails(choose, 32, 0.005, match="looks like seconds")


@pytest.mark.parametrize("size, wait", [(1, 0), (8, 1)])
def test_batching_too_little_capacity(size, wait):
    fails(choose, size, wait, match="need 3,750")


def test_batching_night_slo_broken():
    message = fails(choose, 32, 20, match="At night.*batches never fill")
    assert "At peak it passes" not in message   # it fails at peak too


def test_batching_passes_at_peak_only():
    fails(choose, 16, 12, match="p99 of 16.1 ms.*At peak it passes \\(11.4 ms\\): a load test at peak alone")


def test_batching_peak_slo_broken():
    fails(choose, 64, 10, match="At peak this setting has a p99 of 18.5 ms")


def test_batching_short_justification():
    fails(choose, 32, 5, "It meets the SLO.", match="has 4 words")


def test_batching_justification_without_latency():
    text = ("This setting gives a capacity of 8,163 requests per second, which is more than three times the peak "
            "traffic of the team, so we have plenty of headroom for spikes and lost pods.")
    fails(choose, 32, 5, text, match="mention the p99 or the SLO")


def test_batching_justification_without_throughput():
    text = ("This setting keeps the p99 at 9 ms at night and at 11.7 ms in the busiest hour, which is inside the "
            "15 ms SLO that the product team asked us to meet for every request.")
    fails(choose, 32, 5, text, match="capacity or the headroom")
