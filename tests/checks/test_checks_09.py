"""Exercise 09's self-checks: each known mistake gets its specific message; right answers pass.

Also pins what the chapter and the checks share: the simulator, PSI and the rule validator the exercise uses are
the chapter's own cells (generated into coursekit/exports/ch09.py; tests/unit/test_exports.py keeps that file in step),
and the service's metric names in coursekit/worlds/ch09.py are the ones the chapter's service declares.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import psutil
import pytest
import yaml

from coursekit.checks import NotDoneYet, ch09
from coursekit.checks._answers.ch09 import evaluate_alert
from coursekit.exports import ch09 as chapter
from tests.support.checks import fails

CHAPTER = "chapters/09_monitoring_drift.ipynb"


# ------------------------------------------------------------------------------------------ chapter and checks agree


@pytest.fixture(scope="module")
def chapter_cells(root) -> dict[str, str]:
    nb = json.loads((root / CHAPTER).read_text(encoding="utf-8"))
    return {cell["id"]: "".join(cell["source"]) for cell in nb["cells"]}


def test_the_exercise_runs_the_chapters_own_code():
    for name in ("orders", "FEATURES", "validate_rules", "duration_seconds", "metric_names"):
        assert getattr(ch09, name) is getattr(chapter, name), f"ch09.{name} is not the chapter's"
    assert ch09.window_psi.__globals__["psi"] is chapter.psi


def test_the_answer_key_is_not_in_the_learners_namespace():
    for name in ("psi", "psi_from_shares", "alert_fires", "evaluate_alert"):
        assert not hasattr(ch09, name), f"ch09.{name} hands the learner an answer"
        assert name not in ch09.__all__


def test_service_exposes_the_metrics_the_checks_know(chapter_cells):
    service = chapter_cells["service-source"]
    for name, kind in ch09.SERVICE_METRICS.items():
        assert f'{kind.capitalize()}("{name}"' in service, f"the chapter's service does not declare {kind} {name}"
    assert {s for s in ch09.exposed_series() if not s.endswith(("_bucket", "_sum", "_count", "_total"))} == {"model_info"}


def test_metric_names_ignores_functions_labels_ranges_and_numbers():
    expr = ('histogram_quantile(0.99, sum by (le) (rate(model_request_duration_seconds_bucket{job="a"}[5m]))) > 2.5e-1'
            ' and on(instance) up offset 5m')
    assert ch09.metric_names(expr) == {"model_request_duration_seconds_bucket", "up"}


def test_durations():
    assert ch09.duration_seconds("1h30m") == 5400
    assert ch09.duration_seconds("10m") == 600
    assert ch09.duration_seconds("500ms") == 0.5
    for bad in ("10 minutes", "", "1.5h", 60, None, "m10"):
        assert ch09.duration_seconds(bad) is None


# ------------------------------------------------------------------------------------------ task 1: psi


def right_psi(expected, actual, bins=10, eps=1e-4):
    expected, actual = np.asarray(expected, float), np.asarray(actual, float)
    if len(expected) == 0 or len(actual) == 0 or np.isnan(expected).any() or np.isnan(actual).any():
        raise ValueError("bad input")
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=len(edges) + 1) / len(expected)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=len(edges) + 1) / len(actual)
    e, a = np.maximum(e, eps), np.maximum(a, eps)
    return float(np.sum((a - e) * np.log(a / e)))


def make_psi(**options):
    def psi(expected, actual, bins=10, eps=1e-4):
        expected, actual = np.asarray(expected, float), np.asarray(actual, float)
        if len(expected) == 0 or len(actual) == 0 or np.isnan(expected).any() or np.isnan(actual).any():
            raise ValueError("bad input")
        return ch09._psi_with_mistake(expected, actual, bins, eps, **options)
    return psi


def test_psi_right_answer_passes(capsys):
    ch09.check_psi(right_psi)
    assert "✔" in capsys.readouterr().out


def test_psi_handed_the_answer_key_says_so():
    fails(ch09.check_psi, chapter.psi, match="the course's reference implementation; write your own")


def test_psi_not_done_and_not_a_function():
    with pytest.raises(NotDoneYet):
        ch09.check_psi(None)
    fails(ch09.check_psi, 0.2, match="should be a function")


@pytest.mark.parametrize("options, match", [
    ({"edges_from": "actual"}, "quantiles of `actual`"),
    ({"use_eps": False}, "without epsilon"),
    ({"shares": False}, "counts instead of shares"),
    ({"log": np.log10}, "log10"),
    ({"sign": -1.0}, "wrong sign"),
    ({"binning": "equal"}, "equal widths"),
    ({"open_ends": False}, "outside the reference's range are dropped"),
])
def test_psi_mistakes_are_named(options, match):
    fails(ch09.check_psi, make_psi(**options), match=match)


def test_psi_returning_per_bin_terms():
    def per_bin(expected, actual, bins=10, eps=1e-4):
        return np.full(bins, right_psi(expected, actual, bins, eps) / bins)
    fails(ch09.check_psi, per_bin, match="return one number")


def test_psi_that_does_not_raise_on_bad_input():
    def lenient(expected, actual, bins=10, eps=1e-4):
        if len(expected) == 0 or len(actual) == 0:
            return 0.0
        return right_psi(expected, np.asarray(actual)[~np.isnan(actual)], bins, eps)
    fails(ch09.check_psi, lenient, match="instead of raising ValueError")

    def wrong_error(expected, actual, bins=10, eps=1e-4):
        if len(expected) == 0 or len(actual) == 0:
            raise IndexError("empty")
        return right_psi(expected, actual, bins, eps)
    fails(ch09.check_psi, wrong_error, match="raised IndexError")


def test_psi_with_a_different_signature():
    fails(ch09.check_psi, lambda expected, actual: 0.0, match="Keep the signature")


def test_psi_of_identical_samples_must_be_zero():
    fails(ch09.check_psi, lambda expected, actual, bins=10, eps=1e-4: 0.01, match="identical samples should be 0")


# ------------------------------------------------------------------------------------------ task 2: alert settings


def measured(window_days, threshold, consecutive):
    result = evaluate_alert(window_days, threshold, consecutive)
    return result["false_alarm_rate"], result["delay_days"]


def test_alert_settings_right_answer_passes(capsys):
    rate, delay = measured(7, 0.1, 1)
    ch09.check_alert_settings(7, 0.1, 1, rate, delay)
    assert "✔" in capsys.readouterr().out


def test_alert_settings_not_done():
    with pytest.raises(NotDoneYet):
        ch09.check_alert_settings(None, None, None, None, None)
    with pytest.raises(NotDoneYet):
        ch09.check_alert_settings(7, 0.1, 1, None, 7)


def test_the_chapters_rule_on_daily_windows_alarms_too_often():
    rate, delay = measured(1, 0.2, 2)
    assert rate > ch09.ALERT_TARGETS["max_false_alarm_rate"]
    fails(ch09.check_alert_settings, 1, 0.2, 2, rate, delay, match="drift-free windows .* above the 1% target")


def test_false_alarm_rate_counted_without_the_consecutive_rule():
    result = evaluate_alert(1, 0.3, 2)
    fails(ch09.check_alert_settings, 1, 0.3, 2, result["rate_without_consecutive"], result["delay_days"],
          match="Apply the consecutive rule before counting")


def test_false_alarm_rate_wrong_otherwise():
    rate, delay = measured(7, 0.1, 1)
    fails(ch09.check_alert_settings, 7, 0.1, 1, 0.5, delay, match="Count firing windows")
    fails(ch09.check_alert_settings, 7, 0.1, 1, 50, delay, match="percentage")


def test_detection_delay_wrong_or_too_slow_or_never():
    rate, delay = measured(7, 0.1, 1)
    fails(ch09.check_alert_settings, 7, 0.1, 1, rate, delay + 1, match="Delay = ")
    rate, delay = measured(3, 0.2, 2)
    assert delay > ch09.ALERT_TARGETS["max_delay_days"]
    fails(ch09.check_alert_settings, 3, 0.2, 2, rate, delay, match="target is at most 14")
    rate, _ = measured(7, 0.2, 2)
    fails(ch09.check_alert_settings, 7, 0.2, 2, rate, 0, match="never fires")


@pytest.mark.parametrize("args, match", [
    ((7, 20, 1), "percentage"),
    ((7, -0.1, 1), "never negative"),
    ((7.5, 0.1, 1), "whole number of days"),
    ((7, 0.1, 0), "whole number from 1"),
])
def test_alert_settings_bad_values(args, match):
    fails(ch09.check_alert_settings, *args, 0.0, 7, match=match)


# ------------------------------------------------------------------------------------------ task 3: alert rules

GOOD_RULES = """
groups:
  - name: returns-model
    rules:
      - alert: LatencyP99High
        expr: histogram_quantile(0.99, sum by (le) (rate(model_request_duration_seconds_bucket[5m]))) > 0.25
        for: 10m
        labels:
          severity: page
        annotations:
          summary: p99 latency above 250 ms
      - alert: PositiveShareMoved
        expr: |
          abs(sum(rate(model_predictions_total{predicted_class="returned"}[1d]))
              / sum(rate(model_predictions_total[1d])) - 0.21) > 0.05
        for: 1d
        labels:
          severity: ticket
        annotations:
          summary: share of predicted returns moved
"""


def test_alert_rules_right_answer_passes(capsys):
    ch09.check_alert_rules(GOOD_RULES, reference_share=0.21)
    assert "✔" in capsys.readouterr().out


def test_alert_rules_not_done_and_not_text():
    with pytest.raises(NotDoneYet):
        ch09.check_alert_rules(None, reference_share=0.21)
    fails(ch09.check_alert_rules, yaml.safe_load(GOOD_RULES), reference_share=0.21, match="YAML text")


@pytest.mark.parametrize("old, new, match", [
    ("    rules:\n", "    rules:\n   - bad: [\n", "not valid YAML"),
    ("model_predictions_total[1d]", "model_predictions[1d]", "did you mean model_predictions_total"),
    ("for: 10m", "for: 10 minutes", "not a Prometheus duration"),
    ("histogram_quantile(0.99,", "histogram_quantile(99,", "the quantile is a fraction"),
    ("          severity: page\n", "          team: platform\n", "labels.severity must be one of"),
    ("          summary: p99 latency above 250 ms\n", "          runbook: x\n", "annotations.summary is missing"),
    ("histogram_quantile(0.99, sum by (le) (rate(model_request_duration_seconds_bucket[5m]))) > 0.25",
     "rate(model_request_duration_seconds_sum[5m]) / rate(model_request_duration_seconds_count[5m]) > 0.25",
     "mean latency"),
    ("histogram_quantile(0.99,", "histogram_quantile(0.95,", "99th percentile"),
    ("(rate(model_request_duration_seconds_bucket[5m]))", "(model_request_duration_seconds_bucket)",
     "take rate"),
    ("sum by (le) (rate", "sum(rate", "keep the `le` label"),
    ("[5m]))) > 0.25", "[5m]))) > 250", "250 ms is 0.25"),
    ("for: 10m", "for: 1m", "for: 10m"),
    ("          severity: page\n", "          severity: ticket\n", "severity page"),
    ('{predicted_class="returned"}', "", 'predicted_class="returned"'),
    ("[1d]", "[5m]", "one-day window"),
    ("- 0.21", "- 0.30", "REFERENCE_SHARE = 0.210"),
    ("abs(sum", "(sum", "abs"),
    ("> 0.05", "> 0.1", "> 0.05"),
    ("for: 1d", "for: 5m", "at least 1h"),
    ("          severity: ticket\n", "          severity: page\n", "severity ticket"),
])
def test_alert_rules_mistakes_are_named(old, new, match):
    assert old in GOOD_RULES
    fails(ch09.check_alert_rules, GOOD_RULES.replace(old, new), reference_share=0.21, match=match)


def test_alert_rules_missing_alerts():
    only_latency = GOOD_RULES.split("      - alert: PositiveShareMoved")[0]
    fails(ch09.check_alert_rules, only_latency, reference_share=0.21, match="No alert reads model_predictions_total")
    fails(ch09.check_alert_rules, "groups: []", reference_share=0.21, match="single key, `groups`")


# ------------------------------------------------------------------------------------------ task 4: plan

GOOD_PLAN = [
    {"signal": "p99 latency and 5xx ratio", "layer": "service", "owner": "platform", "needs_labels": False,
     "available_after_days": 0, "alert": "page"},
    {"signal": "daily PSI per feature", "layer": "data", "owner": "fraud ML", "needs_labels": False,
     "available_after_days": 1, "alert": "ticket"},
    {"signal": "share of payments sent to review", "layer": "prediction", "owner": "fraud ML",
     "needs_labels": False, "available_after_days": 1, "alert": "ticket"},
    {"signal": "precision and recall", "layer": "prediction", "owner": "fraud ML", "needs_labels": True,
     "available_after_days": 30, "alert": "ticket"},
    {"signal": "fraud losses per week", "layer": "business", "owner": "risk", "needs_labels": True,
     "available_after_days": 37, "alert": "dashboard"},
]
GOOD_TEXT = ("Labels arrive 30 days late, so precision and recall lag by a month. Until then the label-free signals "
             "carry the watch: latency pages the platform team, input PSI and the review share open tickets for the "
             "fraud ML team, who investigate in working hours, and risk tracks losses weekly once chargebacks are in.")


def with_item(index: int, **changes) -> list[dict]:
    plan = [dict(item) for item in GOOD_PLAN]
    plan[index].update(changes)
    return plan


def test_plan_right_answer_passes(capsys):
    ch09.check_monitoring_plan(GOOD_PLAN, GOOD_TEXT, label_delay_days=30)
    assert "✔" in capsys.readouterr().out


def test_plan_not_done():
    with pytest.raises(NotDoneYet):
        ch09.check_monitoring_plan(None, None)
    with pytest.raises(NotDoneYet):
        ch09.check_monitoring_plan(GOOD_PLAN, None)


@pytest.mark.parametrize("plan, match", [
    ("monitor everything", "non-empty list of dicts"),
    (with_item(0, layer="infra"), "is not one of"),
    (with_item(1, owner=""), "name an owner"),
    (with_item(2, alert="email"), "alert must be one of"),
    (with_item(3, available_after_days=7), "labels arrive 30 days"),
    (with_item(3, needs_labels=False), "needs the true outcome"),
    (with_item(1, alert="page"), "pages on a data signal"),
    (with_item(0, alert="ticket"), "No service signal pages"),
    ([item for item in GOOD_PLAN if item["layer"] != "business"], "no business signal"),
    (with_item(2, available_after_days=3), "prediction signal that needs no labels"),
    ([dict(item, needs_labels=False, available_after_days=1) if item["needs_labels"] and item["layer"] == "business"
      else item for item in GOOD_PLAN if item["signal"] != "precision and recall"], "No signal uses labels"),
    ([{k: v for k, v in item.items() if k != "owner"} for item in GOOD_PLAN], "lacks"),
])
def test_plan_mistakes_are_named(plan, match):
    fails(ch09.check_monitoring_plan, plan, GOOD_TEXT, match=match)


def test_plan_justification():
    fails(ch09.check_monitoring_plan, GOOD_PLAN, "Looks good to me.", match="at least 40")
    no_delay = " ".join(["We watch latency, drift and the review share closely every day with clear owners."] * 4)
    fails(ch09.check_monitoring_plan, GOOD_PLAN, no_delay, match="label delay")


# ------------------------------------------------------------------------------------------ task 3: promtool is the arbiter
# The rule files below pass the hand-written checks of the expressions; promtool finds what is wrong with them.


def test_promtool_and_prometheus_are_installed():
    """CI must run the promtool checks, not skip them: a missing promtool fails here, saying how to install it."""
    for tool in ("promtool", "prometheus"):
        assert shutil.which(tool), chapter.PROMETHEUS_INSTALL.format(tool=tool)
    assert chapter.prometheus_major_version() >= 2


def test_a_missing_promtool_is_an_error_that_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(chapter.ToolMissing, match="apt-get install --no-install-recommends prometheus"):
        ch09.check_alert_rules(GOOD_RULES, reference_share=0.21)


def test_promtool_check_shows_what_promtool_says():
    assert "SUCCESS" in ch09.promtool_check(GOOD_RULES)
    assert "unclosed left parenthesis" in ch09.promtool_check(GOOD_RULES.replace("[5m]))) > 0.25", "[5m])) > 0.25"))


@pytest.mark.parametrize("old, new, match", [
    # promtool check rules rejects the file; where the validator explains it, its words follow
    ("[5m]))) > 0.25", "[5m])) > 0.25", r"promtool check rules` rejects the file(.|\n)*unclosed left parenthesis"),
    ("for: 10m", "for: 10 minutes", r"rejects the file(.|\n)*10 minutes(.|\n)*In other words(.|\n)*not a Prometheus duration"),
    ("        for: 10m\n", "        for: 10m\n        runbook: x\n", r"rejects the file(.|\n)*runbook(.|\n)*unknown key `runbook`"),
    ("summary: p99 latency above 250 ms", "summary: p99 is {{ $value | nosuchfunc }}", r"rejects the file(.|\n)*nosuchfunc"),
    # promtool test rules: the alerts do not behave as asked
    ("sum by (le) (rate(model_request_duration_seconds_bucket[5m]))", "rate(model_request_duration_seconds_bucket[5m])",
     r"once, for the whole fleet(.|\n)*promtool test rules` reports(.|\n)*instance"),
    ("sum by (le) (", "sum by (le, instance) (", r"once, for the whole fleet"),
    ("/ sum(rate(model_predictions_total[1d]))", '/ sum(rate(model_predictions_total{predicted_class="kept"}[1d]))',
     r"stays at 0.23(.|\n)*not by the kept ones"),
    ('sum(rate(model_predictions_total{predicted_class="returned"}[1d]))',
     'rate(model_predictions_total{predicted_class="returned"}[1d])', r"rises to 0.35(.|\n)*one share for the fleet"),
])
def test_promtool_judges_the_rule_file(old, new, match):
    assert old in GOOD_RULES
    fails(ch09.check_alert_rules, GOOD_RULES.replace(old, new), reference_share=0.21, match=match)


def test_a_rule_promtool_accepts_but_the_service_does_not_expose():
    fails(ch09.check_alert_rules, GOOD_RULES.replace("model_predictions_total[1d]", "model_predictions[1d]"),
          reference_share=0.21, match=r"promtool check rules` accepts the file, but(.|\n)*did you mean")


def test_increase_instead_of_rate_is_right_too(capsys):
    ch09.check_alert_rules(GOOD_RULES.replace("(rate(", "(increase("), reference_share=0.21)
    assert "✔" in capsys.readouterr().out


def test_the_synthetic_traffic_has_the_p99_the_messages_state():
    """The messages say 375 ms and 235 ms: recompute both from the buckets with the chapter's histogram_quantile."""
    for slow, p99 in ((0.02, 0.375), (0.0, 0.235)):
        per_interval = {}
        for s in ch09.latency_traffic(slow):
            if "_bucket{" in s["series"]:
                le = float(s["series"].split('le="')[1].split('"')[0])
                per_interval[le] = per_interval.get(le, 0.0) + float(s["values"].split("+")[1].split("x")[0])
        assert abs(chapter.histogram_quantile(0.99, per_interval) - p99) < 1e-9


# ------------------------------------------------------------------------------------------ the chapter's Prometheus helpers


def test_prometheus_increase_follows_prometheus_rules():
    # samples every 10 s from 0: raw 30; the window [60s] at t=35 s starts 35 s before the first sample
    samples = [(10_000, 0.0), (20_000, 10.0), (30_000, 30.0)]
    # to_start: 35 s >= 1.1 x 10 s -> 5 s, then clamped to the zero point (0 s); to_end: 5 s < 11 s -> 5 s
    assert chapter.prometheus_increase(samples, 35_000, 60) == 30 * (20 + 0 + 5) / 20
    # a counter reset adds the value before it: 2 - 5 + 8
    assert chapter.prometheus_increase([(0, 5.0), (10_000, 8.0), (20_000, 2.0)], 20_000, 20) == 5.0
    assert chapter.prometheus_increase([(0, 1.0)], 0, 60) is None


@pytest.mark.parametrize("values, eval_s, window_s", [
    ("_ 0 10 30", 35, 60),     # the series starts inside the window, at 0
    ("5 10 30", 25, 30),       # the window starts just before the first sample, which is not 0
    ("0 7 12 3 9", 45, 60),    # a counter reset
])
def test_prometheus_increase_agrees_with_promtool(values, eval_s, window_s, tmp_path):
    """The arbiter: Prometheus' own engine (promtool test rules) returns what prometheus_increase computes."""
    points = [(10_000 * i, float(v)) for i, v in enumerate(values.split()) if v != "_"]
    ours = chapter.prometheus_increase(points, eval_s * 1000, window_s)
    (tmp_path / "empty.rules.yml").write_text("groups: []\n")
    (tmp_path / "tests.yml").write_text(yaml.safe_dump({
        "rule_files": ["empty.rules.yml"], "evaluation_interval": "10s",
        "tests": [{"interval": "10s", "input_series": [{"series": "c", "values": values}],
                   "promql_expr_test": [{"expr": f"increase(c[{window_s}s])", "eval_time": f"{eval_s}s",
                                         "exp_samples": [{"labels": "{}", "value": ours}]}]}]}))
    result = chapter.promtool("test", "rules", "tests.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout


def test_histogram_quantile_follows_promql():
    buckets = {0.5: 90.0, 1.0: 97.0, math.inf: 100.0}
    assert chapter.histogram_quantile(0.99, buckets) == 1.0          # in the +Inf bucket: the largest finite bound
    assert chapter.histogram_quantile(0.9, buckets) == 0.5
    assert chapter.histogram_quantile(0.45, buckets) == 0.25         # the lowest bucket starts at 0
    assert math.isnan(chapter.histogram_quantile(0.5, {0.5: 1.0}))   # no +Inf bucket
    assert chapter.histogram_quantile(1.5, buckets) == math.inf


def test_prometheus_server_writes_only_its_folder_and_listens_on_loopback(tmp_path, monkeypatch):
    """No telemetry, nothing in HOME or the working folder: all it writes is under its own folder."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    with chapter.PrometheusServer({"self": "127.0.0.1:1"}, tmp_path / "prometheus") as prometheus:
        assert prometheus.url.startswith("http://127.0.0.1:")
        assert prometheus.query("vector(1)")[0]["value"][1] == "1"
        listening = [c for c in psutil.Process(prometheus.process.pid).net_connections(kind="inet")
                     if c.status == psutil.CONN_LISTEN]
        assert listening and all(c.laddr.ip == "127.0.0.1" for c in listening), listening
    assert prometheus.process.poll() is not None
    assert list(home.iterdir()) == [] and list(cwd.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "prometheus").iterdir()) == ["data", "prometheus.log", "prometheus.yml"]
