"""The world of exercise 14, *Capstone: the whole loop, end to end*: scrapes, an evaluation set, a registry.

- :func:`example_scrapes` (task 1): the reference shares of a histogram's buckets and two scrapes of its
  ``_bucket`` series ({le: cumulative count}, not in bucket order); :func:`scrape` builds such a scrape.
- :func:`example_evaluation` (task 2): labels of 3,000 recent held-out pods and both models' predictions;
  :func:`constructed_evaluation` builds sets whose differences between the models are exactly known.
- :class:`ToyRegistry` and :class:`ToyService` (tasks 3 and 4): a model registry in memory with the method names
  and arguments of ``mlflow.MlflowClient``, and an inference service that resolves ``champion`` when it starts and
  on ``reload()``. The registry records every call, so a check (or you) can read the plan your code executed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

# --------------------------------------------------------------------------------------------------
# Task 1: two scrapes of a Prometheus histogram
# --------------------------------------------------------------------------------------------------

EDGES = ["0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"]
REFERENCE_SHARES = [0.10, 0.15, 0.20, 0.20, 0.15, 0.10, 0.10]


def scrape(per_bucket_counts, order: list[int]) -> dict[str, float]:
    """A scrape of the ``_bucket`` series with these per-bucket counts: {le: cumulative count}, keys in *order*."""
    cumulative = np.cumsum(per_bucket_counts).astype(float)
    return {EDGES[i]: float(cumulative[i]) for i in order}


def example_scrapes() -> tuple[list[float], dict[str, float], dict[str, float]]:
    """The exercise's data: reference shares, and two scrapes ({le: cumulative count}, not in bucket order)."""
    start = scrape([120, 180, 260, 240, 170, 110, 120], [3, 0, 6, 1, 5, 2, 4])
    week = [20, 35, 60, 90, 110, 95, 90]                 # this week's observations, per bucket
    end = scrape(np.array([120, 180, 260, 240, 170, 110, 120]) + week, [5, 1, 3, 6, 0, 4, 2])
    return list(REFERENCE_SHARES), start, end


# --------------------------------------------------------------------------------------------------
# Task 2: an evaluation set
# --------------------------------------------------------------------------------------------------

def constructed_evaluation(n: int, wins_pos: int, wins_neg: int, losses_pos: int, losses_neg: int, seed: int):
    """Labels (30 % positive) and two models' 0/1 predictions: the champion is right on 80 % of the rows; the
    challenger differs on exactly the rows given: wins on the champion's false negatives / false positives,
    losses on its true positives / true negatives."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    y[rng.permutation(n)[: int(0.3 * n)]] = 1
    champion_right = np.zeros(n, dtype=bool)
    champion_right[rng.permutation(n)[: int(0.8 * n)]] = True
    champion = np.where(champion_right, y, 1 - y)
    challenger = champion.copy()
    groups = {"fn": (y == 1) & ~champion_right, "fp": (y == 0) & ~champion_right,
              "tp": (y == 1) & champion_right, "tn": (y == 0) & champion_right}
    for group, count in (("fn", wins_pos), ("fp", wins_neg), ("tp", losses_pos), ("tn", losses_neg)):
        rows = rng.choice(np.flatnonzero(groups[group]), count, replace=False)
        challenger[rows] = 1 - challenger[rows]
    return y, champion, challenger


def example_evaluation() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exercise's data: labels of 3,000 recent held-out pods and both models' predictions."""
    return constructed_evaluation(3000, 60, 45, 12, 18, seed=14)


# --------------------------------------------------------------------------------------------------
# Tasks 3 and 4: a toy registry and a toy service
# --------------------------------------------------------------------------------------------------

class ToyRegistryError(Exception):
    """What the toy registry raises where MLflow would raise an MlflowException."""


@dataclass
class _Version:
    name: str
    version: str
    current_stage: str = "None"
    tags: dict = field(default_factory=dict)
    aliases: list = field(default_factory=list)


@dataclass
class _RegisteredModel:
    name: str
    tags: dict = field(default_factory=dict)
    aliases: dict = field(default_factory=dict)


class ToyRegistry:
    """A model registry in memory with the method names and arguments of ``mlflow.MlflowClient``.

    Every call is recorded in ``calls`` as ``(method, arguments)``, so a check (or you) can read the plan your
    code executed, in order.
    """

    def __init__(self, name: str, versions: list[str], aliases: dict[str, str], tags: dict[str, str] | None = None,
                 version_tags: dict[str, dict] | None = None):
        self._name = name
        self._versions = {str(v): dict((version_tags or {}).get(str(v), {})) for v in versions}
        self._aliases = {a: str(v) for a, v in aliases.items()}
        self._tags = dict(tags or {})
        self._stages = {v: "None" for v in self._versions}
        self.deleted: list[str] = []
        self.calls: list[tuple[str, tuple]] = []

    # ---- helpers
    def _model(self, name: str) -> None:
        if name != self._name:
            raise ToyRegistryError(f"Registered Model with name={name} not found (this registry holds {self._name!r})")

    def _version(self, name: str, version) -> str:
        self._model(name)
        version = str(version)
        if version not in self._versions:
            raise ToyRegistryError(f"Model Version (name={name}, version={version}) not found")
        return version

    def _record(self, method: str, *args) -> None:
        self.calls.append((method, args))

    # ---- reads
    def get_registered_model(self, name: str) -> _RegisteredModel:
        self._record("get_registered_model", name)
        self._model(name)
        return _RegisteredModel(name, dict(self._tags), dict(self._aliases))

    def get_model_version(self, name: str, version) -> _Version:
        self._record("get_model_version", name, version)
        version = self._version(name, version)
        return _Version(name, version, self._stages[version], dict(self._versions[version]),
                        sorted(a for a, v in self._aliases.items() if v == version))

    def get_model_version_by_alias(self, name: str, alias: str) -> _Version:
        self._record("get_model_version_by_alias", name, alias)
        self._model(name)
        if alias not in self._aliases:
            raise ToyRegistryError(f"Registered model alias {alias} not found.")
        version = self._aliases[alias]
        return _Version(name, version, self._stages[version], dict(self._versions[version]),
                        sorted(a for a, v in self._aliases.items() if v == version))

    def search_model_versions(self, filter_string: str | None = None, *args, **kwargs) -> list[_Version]:
        self._record("search_model_versions", filter_string)
        return [self.get_model_version(self._name, v) for v in self._versions]

    # ---- writes
    def set_registered_model_alias(self, name: str, alias: str, version) -> None:
        self._record("set_registered_model_alias", name, alias, str(version))
        self._aliases[alias] = self._version(name, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._record("delete_registered_model_alias", name, alias)
        self._model(name)
        self._aliases.pop(alias, None)

    def set_registered_model_tag(self, name: str, key: str, value) -> None:
        self._record("set_registered_model_tag", name, key, str(value))
        self._model(name)
        self._tags[key] = str(value)

    def set_model_version_tag(self, name: str, version, key: str, value) -> None:
        self._record("set_model_version_tag", name, str(version), key, str(value))
        self._versions[self._version(name, version)][key] = str(value)

    def delete_model_version(self, name: str, version) -> None:
        self._record("delete_model_version", name, str(version))
        version = self._version(name, version)
        del self._versions[version]
        self._aliases = {a: v for a, v in self._aliases.items() if v != version}
        self.deleted.append(version)

    def transition_model_version_stage(self, name: str, version, stage: str, archive_existing_versions: bool = False):
        self._record("transition_model_version_stage", name, str(version), stage)
        self._stages[self._version(name, version)] = stage

    def __getattr__(self, attribute: str):
        raise AttributeError(f"the toy registry implements only the MlflowClient methods a promotion needs "
                             f"(get_/set_/delete_ registered model aliases and tags, model version tags); "
                             f"not {attribute!r}")

    # ---- for the checks and the notebook
    def state(self) -> dict:
        return {"aliases": dict(sorted(self._aliases.items())), "tags": dict(self._tags),
                "version_tags": copy.deepcopy(self._versions), "stages": dict(self._stages), "deleted": list(self.deleted)}

    def plan(self) -> list[str]:
        """The write calls made so far (and the service's reloads), in order, one line each."""
        return [f"{method}({', '.join(repr(a) for a in args)})" for method, args in self.calls
                if not method.startswith(("get_", "search_"))]

    @classmethod
    def before_promotion(cls, name: str = "oom-risk") -> ToyRegistry:
        """Version 1 serves; version 2 was rejected by the gate; version 3 is the new challenger."""
        return cls(name, ["1", "2", "3"], {"champion": "1", "challenger": "3"},
                   version_tags={"2": {"gate": "reject"}, "3": {"gate": "promote"}})

    @classmethod
    def after_promotion(cls, name: str = "oom-risk") -> ToyRegistry:
        """Version 3 was promoted from version 1 (recorded in previous_champion); version 2 never served."""
        return cls(name, ["1", "2", "3"], {"champion": "3"}, tags={"previous_champion": "1"},
                   version_tags={"2": {"gate": "reject"}, "3": {"gate": "promote"}})


class ToyService:
    """An inference service that resolves ``champion`` when it starts and on ``reload()``, like the chapter's.

    With ``broken=True`` its reload answers but keeps serving the old version (a reload that did not take).
    """

    def __init__(self, registry: ToyRegistry, name: str, broken: bool = False):
        self._registry, self._name, self._broken = registry, name, broken
        self._version = registry._aliases["champion"]
        self.reloads: list[int] = []                     # index into registry.calls at each reload

    def reload(self) -> dict:
        self.reloads.append(len(self._registry.calls))
        self._registry.calls.append(("service.reload", ()))      # so that the plan shows it in order
        previous = self._version
        if not self._broken:
            self._version = self._registry._aliases.get("champion", previous)
        return {"model_version": self._version, "previous_version": previous}

    def serving_version(self) -> str:
        """What GET /readyz (or the model_version in any answer) says."""
        return self._version
