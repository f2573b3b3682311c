"""The world of exercise 02, *Model artifacts*: the files the exercise inspects.

:func:`build_exercise_files` writes them, so the notebook and its checks (and the tests) look at the same bytes:
a released model with its manifest, a copy in a mirror that is not the released model, and a pipeline from a
pull request that references a function no model should contain.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np


def disks(n: int, seed: int):
    """A small synthetic disk fleet like chapter 02's: (features DataFrame, labels Series ``failed_within_7d``)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "temperature_c": rng.normal(38, 6, n).round(1),
        "reallocated_sectors": rng.poisson(2, n),
        "power_on_hours": rng.integers(100, 50_000, n),
        "read_error_rate": rng.gamma(2.0, 0.5, n).round(3),
    })
    risk = (-6.5 + 0.18 * (X.temperature_c - 38) + 0.9 * X.reallocated_sectors + 0.00005 * X.power_on_hours
            + 1.3 * X.read_error_rate)
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int), name="failed_within_7d")
    return X, y


def build_exercise_files(folder: Path) -> dict[str, Path]:
    """Write the exercise's artifacts below *folder* (overwriting) and return their paths by name.

    - ``release``: ``release/disk_failure.joblib``, the model CI built;
    - ``manifest``: ``release/manifest.json``, with that file's sha256;
    - ``mirror``: ``mirror/disk_failure.joblib``, a copy in a mirror that is *not* the released model
      (a model retrained with another seed, under the same name);
    - ``candidate``: ``candidate.skops``, a pipeline from a pull request whose first steps reference
      ``numpy.clip`` and ``builtins.eval``. Nothing ever calls them: the file is only inspected.
    """
    import joblib
    import sklearn
    import skops.io as sio
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.tree import DecisionTreeClassifier

    folder = Path(folder)
    (folder / "release").mkdir(parents=True, exist_ok=True)
    (folder / "mirror").mkdir(parents=True, exist_ok=True)
    X, y = disks(1500, seed=2)
    paths = {"release": folder / "release" / "disk_failure.joblib", "manifest": folder / "release" / "manifest.json",
             "mirror": folder / "mirror" / "disk_failure.joblib", "candidate": folder / "candidate.skops"}

    release = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X, y)
    joblib.dump(release, paths["release"])
    mirror = DecisionTreeClassifier(max_depth=5, random_state=0).fit(*disks(1500, seed=3))
    joblib.dump(mirror, paths["mirror"])
    manifest = {
        "artifact": paths["release"].name,
        "sha256": hashlib.sha256(paths["release"].read_bytes()).hexdigest(),
        "bytes": paths["release"].stat().st_size,
        "libraries": {"scikit-learn": sklearn.__version__, "joblib": joblib.__version__},
        "params": {"max_depth": 5, "random_state": 0},
    }
    paths["manifest"].write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    X_arr = X.to_numpy(dtype=float)
    clip = FunctionTransformer(np.clip, kw_args={"a_min": 0, "a_max": 60_000}).fit(X_arr)
    hidden = FunctionTransformer(eval).fit(X_arr)  # fit() does not call the function; nothing here ever does
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X_arr, y)
    candidate = Pipeline([("clip", clip), ("debug", hidden), ("tree", tree)])
    sio.dump(candidate, paths["candidate"])
    return paths
