"""The world of exercise 13, *Security and governance*: pickles that are never loaded, a release, feature tables.

- :func:`make_pickle_samples` (task 1): three honest model pickles and four payloads, as bytes. Nothing in the
  course loads them; whoever did would run a line that writes a marker file, which is how the check notices a
  scanner that loads what it scans. :func:`exercise_allowlist` is the reviewed allowlist: every name the honest
  pickles import, found with chapter 13's own scanner (:mod:`coursekit.exports.ch13`).
- :func:`canonical_json` and :func:`make_release` (task 2): the bytes to sign for a JSON document, and a model
  artifact with its manifest.
- :func:`make_release_dir` and :func:`write_key_pair` (task 3): the same release as a model directory (the artifact
  and its manifest as files), and an ECDSA P-256 key pair as PEM files, the key type model-signing's key signer takes.
- :func:`make_feature_table` (task 4): a churn feature table with six sensitive columns and six harmless ones;
  ``renamed=True`` gives the sensitive columns names that say nothing (:data:`RENAMED`).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from coursekit.exports.ch13 import pickle_imports


def _short_text(text: str) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text.encode()


class _WritesMarker:
    """A payload: whoever loads it runs exec(code), which writes a marker file. Never loaded by the course."""

    def __init__(self, code: str):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


class _RunsThroughNumpy:
    """The same payload, routed through numpy.testing._private.utils.runstring (its body is exec)."""

    def __init__(self, code: str):
        self.code = code

    def __reduce__(self):
        from numpy.testing._private.utils import runstring

        return (runstring, (self.code, {}))


def make_pickle_samples(marker: Path | None = None) -> dict[str, bytes]:
    """The exercise's pickles, as bytes. The payloads would write *marker* if anyone loaded them.

    - ``model_p2.pkl``, ``model_p4.pkl``, ``model_p5.pkl``: one fitted scikit-learn pipeline, three protocols;
    - ``exec_p0.pkl``: protocol 0, imports the function with ``GLOBAL`` (``__builtin__ exec``);
    - ``numpy_p4.pkl``: protocol 4, ``STACK_GLOBAL`` of ``numpy.testing._private.utils.runstring``;
    - ``refs_p4.pkl``: protocol 4, a tuple of ``os.getcwd`` and ``os.system``: the second import takes its module
      name from the memo (``BINGET``);
    - ``tidy_p4.pkl``: written by hand; pushes ``builtins``/``exec``, then ``numpy``/``dtype``, pops those two, and
      imports what is left on the stack.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    marker = Path(marker) if marker is not None else Path(tempfile.gettempdir()) / "ch13_pickle_was_here.txt"
    # The payload names the marker through an environment variable, not its path, so the pickles are the
    # same bytes wherever the course is checked out (their sizes and offsets are printed and compared).
    os.environ["COURSEKIT_PICKLE_MARKER"] = str(marker)
    code = "import os; open(os.environ['COURSEKIT_PICKLE_MARKER'], 'w').write('code ran during load')"
    rng = np.random.default_rng(13)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)
    model = Pipeline([("scale", StandardScaler()), ("classifier", LogisticRegression())]).fit(X, y)
    payload = code.encode()
    tidy = (b"\x80\x04" + _short_text("builtins") + _short_text("exec") + _short_text("numpy") + _short_text("dtype")
            + b"00" + b"\x93" + b"X" + len(payload).to_bytes(4, "little") + payload + b"\x85R.")
    return {
        "model_p2.pkl": pickle.dumps(model, protocol=2),
        "model_p4.pkl": pickle.dumps(model, protocol=4),
        "model_p5.pkl": pickle.dumps(model, protocol=5),
        "exec_p0.pkl": pickle.dumps(_WritesMarker(code), protocol=0),
        "numpy_p4.pkl": pickle.dumps(_RunsThroughNumpy(code), protocol=4),
        "refs_p4.pkl": pickle.dumps((os.getcwd, os.system), protocol=4),
        "tidy_p4.pkl": tidy,
    }


SAFE_SAMPLES = ("model_p2.pkl", "model_p4.pkl", "model_p5.pkl")


def exercise_allowlist(samples: dict[str, bytes] | None = None) -> frozenset[str]:
    """The reviewed allowlist for the exercise: every name the three honest model pickles import."""
    samples = samples if samples is not None else make_pickle_samples()
    return frozenset().union(*(pickle_imports(samples[name]) for name in SAFE_SAMPLES))


def canonical_json(obj: Any) -> bytes:
    """The exact bytes to sign for a JSON document: sorted keys, no whitespace, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def make_release(seed: int = 0) -> tuple[bytes, dict]:
    """A model artifact (pickle bytes of a small fitted model) and its manifest, which names the artifact's sha256."""
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    artifact = pickle.dumps(DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y), protocol=5)
    manifest = {
        "artifact": "churn_tree.pkl",
        "sha256": hashlib.sha256(artifact).hexdigest(),
        "bytes": len(artifact),
        "libraries": {"scikit-learn": __import__("sklearn").__version__},
        "metrics": {"accuracy": 0.91},
        "version": 7 + seed,
    }
    return artifact, manifest


def make_release_dir(folder: Path, seed: int = 0) -> Path:
    """Task 3: *folder* (emptied first) holding :func:`make_release`'s artifact, ``churn_tree.pkl``, and its manifest,
    ``manifest.json``: a model directory to sign with model-signing."""
    folder = Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    artifact, manifest = make_release(seed)
    (folder / manifest["artifact"]).write_bytes(artifact)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def write_key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """Task 3: a fresh ECDSA P-256 key pair as PEM files, ``name.pem`` (private, readable by its owner only) and
    ``name.pub``. In production the private key stays in a KMS or HSM; these files exist for the exercise."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    key = ec.generate_private_key(ec.SECP256R1())
    private, public = Path(folder) / f"{name}.pem", Path(folder) / f"{name}.pub"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    private.chmod(0o600)
    public.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return private, public


#: Task 4's second table: the sensitive columns under names that say nothing.
RENAMED = {"account_ref": "ref", "email_addr": "login", "contact": "c_2", "comment": "free_text",
           "birth_date": "dob", "postcode": "pc"}


def make_feature_table(seed: int = 0, n: int = 3000, renamed: bool = False):
    """A synthetic churn feature table with six sensitive columns and six harmless ones.

    With ``renamed=True`` the sensitive columns get names that say nothing (``ref``, ``login``, ``c_2``,
    ``free_text``, ``dob``, ``pc``), so only their values and cardinality give them away.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    first = rng.choice(["ann", "bo", "cai", "dev", "eli", "fay", "gus", "hana"], n)
    last = rng.choice(["reid", "shah", "li", "okafor", "moreau", "novak"], n)
    areas = rng.choice(["LS", "M", "B", "G", "EH", "CF"], n)
    comments = np.full(n, "", dtype=object)
    leaky = rng.choice(np.arange(n // 3, n), 30, replace=False)     # recent rows only: df.head() sees none
    for k, i in enumerate(leaky):
        comments[i] = [f"please e-mail {first[i]}@example.org", "router reset done",
                       f"gave us key AKIA{''.join(rng.choice(list('ABCDEFGHJKLMNPQRSTUVWXYZ234567'), 16))}"][k % 3]
    birth = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 24_000, n), unit="D")
    table = pd.DataFrame({
        "account_ref": [f"AC-{v}" for v in rng.permutation(900_000)[:n] + 100_000],
        "email_addr": [f"{a}.{b}{rng.integers(10, 9999)}@example.com" for a, b in zip(first, last, strict=True)],
        "contact": [f"+44 7700 9{rng.integers(0, 100_000):05d}" for _ in range(n)],
        "comment": comments,
        "birth_date": birth.strftime("%Y-%m-%d"),
        "postcode": [f"{a}{rng.integers(1, 30)} {rng.integers(1, 10)}{''.join(rng.choice(list('ABDEFGHJLNPQRSTUWXYZ'), 2))}"
                     for a in areas],
        "plan": rng.choice(["basic", "fibre100", "fibre500", "business"], n),
        "router_model": rng.choice(["HX-1", "HX-2", "ZR-5", "ZR-7"], n),
        "tenure_months": rng.integers(1, 120, n),
        "support_tickets": rng.poisson(1.2, n),
        "avg_download_mbps": rng.gamma(3, 40, n).round(3),
        "churned": rng.integers(0, 2, n),
    })
    return table.rename(columns=RENAMED) if renamed else table
