"""Self-checks for exercise 07 (Serving models).

Each check raises :class:`~coursekit.checks.CheckFailed` with a message that says what is wrong and how to fix
it, :class:`~coursekit.checks.NotDoneYet` while the answer is still ``None``, and prints a line starting with a
tick when the answer is right. The reference answers of tasks 1 and 3 are private
(:mod:`coursekit.checks._answers.ch07`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from coursekit.checks import (
    CheckFailed,
    call_learner,
    diagnose,
    passed,
    require,
    require_done,
    require_function,
    require_number,
    require_prose,
    within,
)

__all__ = ["check_percentiles", "check_request_schema", "check_probes", "check_batching_choice"]


# --------------------------------------------------------------------------------------------------
# Task 1: p50 / p95 / p99 from a list of latencies
# --------------------------------------------------------------------------------------------------

NEAR = within(rel=1e-3, abs=1e-6)  # a latency in ms that matches a known mistake to three significant digits
_Z = {95: 1.645, 99: 2.326}         # the normal distribution's z-score of the 95th and 99th percentiles


def _percentile_mistakes(latencies_s: np.ndarray, q: float) -> list[tuple[float | None, str]]:
    """(what a usual mistake gives for the *q*-th percentile, in ms; what it is), for :func:`diagnose`."""
    n = len(latencies_s)
    what = "the median" if q == 50 else f"the {q:g}th percentile"
    unsorted = sorted({int(q / 100 * n), int(q / 100 * n) - 1, math.ceil(q / 100 * n) - 1} & set(range(n)))
    return [
        (latencies_s.mean() * 1000,
         f"the *mean* latency, not {what}. The mean is pulled up by a few slow requests; a percentile is a rank: use "
         f"np.percentile(latencies_s, {q:g}) * 1000."),
        (latencies_s.max() * 1000,
         f"the *maximum* (the slowest single request), not the {q:g}th percentile: {100 - q:g} % of requests should "
         f"be slower than p{q:g}, not none of them."),
        (float(np.percentile(latencies_s, q / 100)) * 1000,
         f"the {q / 100:g}th percentile, almost the fastest request. np.percentile takes q in percent (0-100): use "
         f"{q:g}, not {q / 100:g}. (np.quantile is the one that takes {q / 100:g}.)"),
        *((float(latencies_s[index]) * 1000,
           f"element {index} of the list in its original order. A percentile is a position in the *sorted* "
           "latencies: sort first (or use np.percentile).") for index in unsorted),
        ((latencies_s.mean() + _Z[q] * latencies_s.std()) * 1000 if q in _Z else None,
         "mean + z × standard deviation, which assumes a normal (bell-shaped) distribution. Latency has a long right "
         "tail, so that formula is wrong in the tail: take the percentile of the measured values instead."),
    ]


def check_percentiles(p50_ms, p95_ms, p99_ms, latencies_s) -> None:
    """p50, p95 and p99 of *latencies_s* (seconds), given in milliseconds; any standard percentile method."""
    from coursekit.checks._answers.ch07 import percentile_range_ms

    answers = {"p50_ms": (p50_ms, 50.0), "p95_ms": (p95_ms, 95.0), "p99_ms": (p99_ms, 99.0)}
    for name, (value, _) in answers.items():
        require_done(value, name)
    values = {name: require_number(value, name) for name, (value, _) in answers.items()}
    lat = np.asarray(latencies_s, dtype=float)
    for name, (_, q) in answers.items():
        value, (low, high) = values[name], percentile_range_ms(lat, q)
        if low - 1e-6 <= value <= high + 1e-6:
            continue
        if low / 1000 * 0.999 <= value <= high / 1000 * 1.001:
            raise CheckFailed(f"`{name}` = {value:g}: that is the right percentile in *seconds*; the task asks for "
                              "milliseconds. Multiply by 1000.")
        if low * 1000 * 0.999 <= value <= high * 1000 * 1.001:
            raise CheckFailed(f"`{name}` = {value:g}: that looks like microseconds (1000 × too big). Give it in "
                              "milliseconds.")
        right = float(np.percentile(lat, q)) * 1000
        diagnose(value, name, right, _percentile_mistakes(lat, q), close=NEAR,
                 template="`{name}` = {value:.3f} ms is {message}")
        raise CheckFailed(f"`{name}` = {value:.3f} ms is not the {q:g}th percentile of these latencies ({right:.3f} "
                          f"ms with NumPy's default method). Use np.percentile(latencies_s, {q:g}) * 1000.")
    mean_ms = lat.mean() * 1000
    passed(f"p50 {values['p50_ms']:.2f} ms, p95 {values['p95_ms']:.2f} ms, p99 {values['p99_ms']:.2f} ms "
           f"(the mean, {mean_ms:.2f} ms, hides how slow the slowest 1 % are).")


# --------------------------------------------------------------------------------------------------
# Task 2: a pydantic request schema, tested through FastAPI in-process
# --------------------------------------------------------------------------------------------------

SCHEMA_FIELDS = ("temperature_c", "reallocated_sectors", "power_on_hours", "vendor", "read_error_rate")
VALID_REQUEST = {"temperature_c": 41.5, "reallocated_sectors": 3, "power_on_hours": 20_315.0, "vendor": "globex",
                 "read_error_rate": 0.02}

# (what is wrong, request changes, field expected in the 422's loc, hint if the request was accepted)
_INVALID_CASES = [
    ("a temperature of 100.5 °C", {"temperature_c": 100.5}, "temperature_c",
     "`temperature_c` must be at most 100: add an upper bound, Field(le=100)."),
    ("a temperature of -1 °C", {"temperature_c": -1}, "temperature_c",
     "`temperature_c` must be at least 0: add a lower bound, Field(ge=0)."),
    ("-1 reallocated sectors", {"reallocated_sectors": -1}, "reallocated_sectors",
     "`reallocated_sectors` cannot be negative: Field(ge=0)."),
    ("2.5 reallocated sectors", {"reallocated_sectors": 2.5}, "reallocated_sectors",
     "`reallocated_sectors` is a count: declare it as `int`, so 2.5 is rejected."),
    ("-5 power-on hours", {"power_on_hours": -5}, "power_on_hours",
     "`power_on_hours` cannot be negative: Field(ge=0)."),
    ("vendor 'hooli'", {"vendor": "hooli"}, "vendor",
     "`vendor` must be one of 'acme', 'globex', 'initech': declare it as Literal['acme', 'globex', 'initech']."),
    ("a negative read error rate", {"read_error_rate": -0.1}, "read_error_rate",
     "`read_error_rate` cannot be negative, even though it is optional: Field(default=None, ge=0)."),
    ("a request without temperature_c", {"temperature_c": None}, "temperature_c",
     "`temperature_c` is required: give it no default."),
    ("a misspelt field 'temprature_c'", {"temprature_c": 40.0}, "temprature_c",
     "An unknown field was accepted and silently ignored. Forbid extra fields with "
     "`model_config = ConfigDict(extra=\"forbid\")`: otherwise a client's typo in an optional field goes unnoticed "
     "and the pipeline imputes a value instead of using the one the client meant to send."),
]


def _request(changes: dict) -> dict:
    body = dict(VALID_REQUEST)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def _test_client(schema: type):
    """A FastAPI app with one endpoint that takes *schema* as its JSON body, and a TestClient for it."""
    from fastapi import FastAPI

    with warnings.catch_warnings():  # newer Starlette warns that its TestClient prefers the httpx2 package
        warnings.filterwarnings("ignore", message=".*httpx2.*")
        from fastapi.testclient import TestClient

    app = FastAPI()

    def predict(request):
        return {"accepted": True}

    predict.__annotations__ = {"request": schema}
    app.post("/predict")(predict)
    return TestClient(app)


def _locations(response) -> list[list]:
    detail = response.json().get("detail", [])
    return [list(err.get("loc", [])) for err in detail] if isinstance(detail, list) else []


def check_request_schema(schema) -> None:
    """*schema* is a pydantic model for the disk-failure request: valid bodies pass, invalid ones get a 422
    whose ``loc`` names the offending field."""
    require_done(schema, "DiskRequest")
    from pydantic import BaseModel

    require(isinstance(schema, type) and issubclass(schema, BaseModel),
            f"`DiskRequest` should be a class that inherits from pydantic's BaseModel, but it is {schema!r}.")
    fields = set(schema.model_fields)
    missing = [f for f in SCHEMA_FIELDS if f not in fields]
    require(not missing, f"`DiskRequest` has no field(s) {', '.join(missing)}. Use exactly these names: "
                         f"{', '.join(SCHEMA_FIELDS)} (they are the JSON keys clients send).")
    unknown = sorted(fields - set(SCHEMA_FIELDS))
    require(not unknown, f"`DiskRequest` has field(s) the spec does not ask for: {', '.join(unknown)}.")

    try:
        client = _test_client(schema)
        response = client.post("/predict", json=VALID_REQUEST)
    except Exception as exc:  # noqa: BLE001 - e.g. a field type that pydantic cannot build a validator for
        raise CheckFailed(f"FastAPI could not use `DiskRequest` as a request body: {type(exc).__name__}: {exc}. "
                          "Check the field types (float, int, Literal[...], float | None).") from None
    require(response.status_code == 200,
            f"A valid request was rejected with {response.status_code}: {response.json().get('detail')}. "
            f"The valid request was {VALID_REQUEST}.")
    without_rate = {k: v for k, v in VALID_REQUEST.items() if k != "read_error_rate"}
    for label, body, hint in (
            ("without the optional read_error_rate", without_rate,
             "`read_error_rate` is optional: type it float | None and give it a default, Field(default=None, ge=0)."),
            ("with read_error_rate = null", {**VALID_REQUEST, "read_error_rate": None},
             "An explicit null for `read_error_rate` means 'not measured': type it float | None."),
            ("with temperature_c = 0 (the lower bound)", {**VALID_REQUEST, "temperature_c": 0},
             "The bounds are inclusive: use ge= (>=), not gt= (>), for the lower bound of `temperature_c`."),
            ("with temperature_c = 100 (the upper bound)", {**VALID_REQUEST, "temperature_c": 100},
             "The bounds are inclusive: use le= (<=), not lt= (<), for the upper bound of `temperature_c`."),
            ("with reallocated_sectors = 0", {**VALID_REQUEST, "reallocated_sectors": 0},
             "Zero reallocated sectors is the healthy case: the bound is ge=0, not gt=0.")):
        response = client.post("/predict", json=body)
        require(response.status_code == 200,
                f"A valid request {label} was rejected with {response.status_code} "
                f"(error locations {_locations(response)}). {hint}")

    for label, changes, field, hint in _INVALID_CASES:
        response = client.post("/predict", json=_request(changes))
        if response.status_code == 200:
            raise CheckFailed(f"A request with {label} was accepted (200); it should get a 422. {hint}")
        require(response.status_code == 422,
                f"A request with {label} got {response.status_code}; FastAPI answers 422 when the body does not "
                "match the schema. Did a validator raise something other than ValueError?")
        locations = _locations(response)
        require(any(loc and loc[-1] == field for loc in locations),
                f"A request with {label} got a 422, but its error locations {locations} do not name `{field}`. "
                "Put the constraint on that field itself (Field(...) or its type), so the client learns which "
                "field is wrong.")
    passed(f"Valid requests pass; all {len(_INVALID_CASES)} invalid ones get a 422 that names the field, "
           "e.g. loc ['body', 'temperature_c'].")


# --------------------------------------------------------------------------------------------------
# Task 3: liveness and readiness
# --------------------------------------------------------------------------------------------------

_STATES = [{"model_loaded": loaded, "warmed_up": warmed, "shutting_down": stopping}
           for loaded in (False, True) for warmed in (False, True) for stopping in (False, True)
           if loaded or not warmed]  # a model cannot be warmed up before it is loaded


# (a flag of the state, the value that makes a pod not ready, why readiness must return 503 then)
_NOT_READY = [
    ("model_loaded", False, "the pod would receive traffic before the model is loaded, and every request would "
                            "fail. Return 503 until it is loaded."),
    ("warmed_up", False, "the first real requests would pay the warm-up cost (in chapter 07 the first call was many "
                         "times slower). Return 503 until the warm-up is done."),
    ("shutting_down", True, "a pod that is shutting down should not report that it can take new work. (Kubernetes "
                            "already removes a deleted pod from the Service endpoints, whatever its readiness says; a "
                            "server that keeps listening while it drains, and anything that checks the pod directly, "
                            "should see it go too.) Return 503 while shutting down."),
]


def _status(fn, state: dict, name: str) -> int:
    value = call_learner(fn, dict(state), name=name, where=f"for {state}", signature=f"{name}(state)")
    if isinstance(value, bool) or not isinstance(value, int):
        raise CheckFailed(f"`{name}` returned {value!r} for {state}; it should return an HTTP status code, "
                          "the int 200 or 503.")
    require(value in (200, 503), f"`{name}` returned {value} for {state}. Use 200 (OK) or 503 (Service "
                                 "Unavailable): probes treat 200-399 as success and anything else as failure, and "
                                 "503 tells clients and load balancers to try again later.")
    return value


def check_probes(liveness, readiness) -> None:
    """liveness: 200 whenever the process answers; readiness: 200 only when loaded, warmed up and not draining."""
    from coursekit.checks._answers import ch07 as key

    require_function(liveness, "liveness", shape="(state) -> status code", reference=key.liveness)
    require_function(readiness, "readiness", shape="(state) -> status code", reference=key.readiness)
    failing = [(state, status) for state in _STATES if (status := _status(liveness, state, "liveness")) != 200]
    while_loading = [(state, status) for state, status in failing if not state["shutting_down"]]
    if while_loading:
        state, status = while_loading[0]
        raise CheckFailed(
            f"liveness returned {status} for {state}. A liveness failure makes "
            "the kubelet restart the container: with a slow model load it would restart it in the middle of every "
            "load, for ever (a crash loop). Liveness should only say that the process answers: always 200 here.")
    if failing:
        state, status = failing[0]
        raise CheckFailed(
            f"liveness returned {status} for {state}. During a graceful shutdown the "
            "process is still healthy: liveness only says whether it answers, and a liveness failure asks for a "
            "restart, not for less traffic. Keep liveness at 200 and let readiness report the shutdown.")
    for state in _STATES:
        ready = _status(readiness, state, "readiness")
        should = key.readiness(state) == 200
        if ready == 200 and not should:
            why = next(message for flag, value, message in _NOT_READY if state[flag] == value)
            raise CheckFailed(f"readiness returned 200 for {state}: {why}")
        if ready == 503 and should:
            raise CheckFailed(f"readiness returned 503 for {state}: the model is loaded and warmed up and the pod "
                              "is not shutting down, so it should be ready (200). Otherwise it never gets traffic.")
    passed("liveness is 200 whenever the process answers; readiness is 200 only when the model is loaded and warmed "
           f"up and the pod is not shutting down (all {len(_STATES)} states checked).")


# --------------------------------------------------------------------------------------------------
# Task 4: choose max batch size and max wait for a latency SLO (open)
# --------------------------------------------------------------------------------------------------

_LATENCY_TERMS = ("p99", "latency", "slo", "tail")
_THROUGHPUT_TERMS = ("throughput", "capacity", "headroom", "req/s", "requests per second", "load")


def check_batching_choice(max_batch_size, max_wait_ms, justification, measured, *, slo_p99_ms: float,
                          peak_rps: float, headroom: float, min_words: int = 20) -> None:
    """The chosen row of *measured* meets the p99 SLO at night and at peak and has *headroom* × peak capacity;
    the justification has substance."""
    require_done(max_batch_size, "max_batch_size")
    require_done(max_wait_ms, "max_wait_ms")
    size = require_number(max_batch_size, "max_batch_size")
    wait = require_number(max_wait_ms, "max_wait_ms")
    if 0 < wait < 0.5:
        raise CheckFailed(f"`max_wait_ms` is {wait:g}: that looks like seconds. Give the wait in milliseconds, as in "
                          "the table's max_wait_ms column.")
    rows = measured[(measured["max_batch_size"] == size) & (measured["max_wait_ms"] == wait)]
    require(len(rows) == 1,
            f"There is no measured row with max_batch_size = {size:g} and max_wait_ms = {wait:g}. Choose one of the "
            "rows in the table: a setting nobody has load-tested is a guess.")
    row = rows.iloc[0]
    needed = headroom * peak_rps
    if row["capacity_rps"] < needed:
        raise CheckFailed(
            f"With batches of at most {size:g}, one worker tops out at {row['capacity_rps']:,.0f} requests/s, but you "
            f"need {needed:,.0f} ({headroom:g} × the {peak_rps:,.0f} req/s peak, so that losing a replica or a "
            "traffic spike does not overload the rest). Allow bigger batches.")
    if not row["night_p99_ms"] <= slo_p99_ms:
        peak_note = (f" At peak it passes ({row['peak_p99_ms']:g} ms): a load test at peak alone would have approved "
                     "it." if row["peak_p99_ms"] <= slo_p99_ms else "")
        raise CheckFailed(
            f"At night this setting has a p99 of {row['night_p99_ms']:g} ms, above the {slo_p99_ms:g} ms SLO. With "
            f"little traffic, batches never fill, so requests wait out most of the {wait:g} ms max wait. Choose a "
            f"shorter max wait.{peak_note}")
    if not row["peak_p99_ms"] <= slo_p99_ms:
        raise CheckFailed(
            f"At peak this setting has a p99 of {row['peak_p99_ms']:g} ms, above the {slo_p99_ms:g} ms SLO: waiting "
            "to fill big batches costs more latency than it saves. Choose a shorter wait or smaller batches.")
    text = require_prose(justification, "justification", min_words,
                         f"write 2-4 sentences (at least {min_words} words), as in a change request: the SLO, the p99 "
                         "you expect at night and at peak, and the capacity headroom.", mention=_LATENCY_TERMS,
                         mention_hint="Your justification should say what the setting does to latency: mention the "
                                      "p99 or the SLO.")
    require(any(term in text for term in _THROUGHPUT_TERMS),
            "Your justification should also cover throughput: mention the capacity or the headroom at peak.")
    passed(f"max_batch_size {size:g}, max_wait {wait:g} ms: p99 {row['night_p99_ms']:g} ms at night and "
           f"{row['peak_p99_ms']:g} ms at peak (SLO {slo_p99_ms:g} ms), capacity {row['capacity_rps']:,.0f} req/s "
           f"(need {needed:,.0f}).")
