"""Self-checks for exercise 02, *Model artifacts*.

Each check recomputes the right answer from the files or data it is given, then diagnoses the usual
mistakes (the wrong hash function or the hash of a file *name*, trusting every type skops reports, a schema
check that lets pandas raise instead of rejecting cleanly, a format that cannot run where it must...) with a
message that says what is wrong and how to fix it.

:func:`build_exercise_files` writes the artifacts the exercise inspects, so the notebook and the tests see
the same files; it lives in the exercise's world, :mod:`coursekit.worlds.ch02`, and is re-exported here.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from coursekit.checks import CheckFailed, passed, require, require_done, require_function, require_names, require_prose
from coursekit.worlds.ch02 import build_exercise_files

__all__ = [
    "build_exercise_files",
    "check_sha256",
    "check_trust_decision",
    "check_request_validator",
    "check_format_choices",
]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------------
# Task 1: the sha256 of an artifact, checked against a manifest
# --------------------------------------------------------------------------------------------------

_HEX = re.compile(r"^[0-9a-f]+$")
_OTHER_HASHES = {32: "MD5 (32 hex digits)", 40: "SHA-1 (40 hex digits)", 56: "SHA-224 (56 hex digits)",
                 96: "SHA-384 (96 hex digits)", 128: "SHA-512 (128 hex digits)"}


def _as_hex(value: Any, name: str) -> str:
    if isinstance(value, (bytes, bytearray)):
        raise CheckFailed(f"`{name}` is {len(value)} raw bytes: that is what `.digest()` returns. Use "
                          "`.hexdigest()`, the 64-character text that manifests and `sha256sum` show.")
    if hasattr(value, "hexdigest"):
        raise CheckFailed(f"`{name}` is a hash object ({getattr(value, 'name', 'hash')}), not its value. "
                          "Call `.hexdigest()` on it.")
    if not isinstance(value, str):
        raise CheckFailed(f"`{name}` should be a hex string (64 characters), but it is a {type(value).__name__}.")
    text = value.strip().lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:"):]
    if not _HEX.match(text):
        raise CheckFailed(f"`{name}` should contain only hex digits 0-9 and a-f, but it is {value[:70]!r}.")
    if len(text) != 64:
        other = _OTHER_HASHES.get(len(text))
        what = f"that is the length of {other}" if other else "a sha256 has exactly 64"
        raise CheckFailed(f"`{name}` has {len(text)} hex digits; {what}. Use `hashlib.sha256`.")
    return text


def check_sha256(artifact_sha256, mirror_matches, release_path, mirror_path, manifest_path) -> None:
    """*artifact_sha256* is the release file's sha256; *mirror_matches* says whether the mirror copy is that file."""
    require_done(artifact_sha256, "artifact_sha256")
    release_path, mirror_path, manifest_path = Path(release_path), Path(mirror_path), Path(manifest_path)
    got = _as_hex(artifact_sha256, "artifact_sha256")
    right = _sha256(release_path.read_bytes())
    if got != right:
        names = {str(release_path), release_path.name, release_path.as_posix()}
        other_files = [  # (the hashes a mistake gives, what the mistake is)
            ({_sha256(n.encode()) for n in names},
             "`artifact_sha256` is the hash of the file's *name* (a string), not of its contents. Hash the bytes: "
             "`hashlib.sha256(path.read_bytes()).hexdigest()`."),
            ({_sha256(manifest_path.read_bytes())},
             "`artifact_sha256` is the hash of manifest.json. Hash the model file the manifest describes "
             "(disk_failure.joblib in release/)."),
            ({_sha256(mirror_path.read_bytes())},
             "`artifact_sha256` is the hash of the mirror copy. The task asks for the release file first "
             "(release/disk_failure.joblib)."),
        ]
        for hashes, message in other_files:
            if got in hashes:
                raise CheckFailed(message)
        raise CheckFailed("`artifact_sha256` is not the sha256 of release/disk_failure.joblib. Read the file in "
                          "binary mode ('rb' or `read_bytes()`), hash all of it, and take `.hexdigest()`.")
    require_done(mirror_matches, "mirror_matches")
    require(isinstance(mirror_matches, (bool, np.bool_)),
            f"`mirror_matches` should be True or False, but it is a {type(mirror_matches).__name__}: "
            f"{mirror_matches!r}. Compare two hex strings with ==.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    mirror_sha = _sha256(mirror_path.read_bytes())
    truth = mirror_sha == manifest["sha256"]
    if bool(mirror_matches) != truth:
        if not truth:
            raise CheckFailed(
                f"The mirror copy's sha256 starts {mirror_sha[:12]}…, the manifest's starts "
                f"{manifest['sha256'][:12]}…: they differ, so the mirror does not hold the released model. "
                "Compare the full hex strings with ==; the same name and a similar size prove nothing.")
        raise CheckFailed("The mirror copy's sha256 equals the manifest's: `mirror_matches` should be True.")
    passed(f"release file sha256 {right[:12]}… matches the manifest; the mirror copy ({mirror_sha[:12]}…) does not, "
           "so do not deploy from the mirror.")


# --------------------------------------------------------------------------------------------------
# Task 2: which skops types to trust
# --------------------------------------------------------------------------------------------------

# Reasons a type must never be trusted in a model file: it runs code or commands.
_NEVER = {
    "builtins.eval": "`builtins.eval` evaluates any Python expression it is given",
    "builtins.exec": "`builtins.exec` runs any Python code it is given",
    "builtins.compile": "`builtins.compile` turns text into code",
    "builtins.__import__": "`builtins.__import__` imports any module",
    "posix.system": "`posix.system` is `os.system`: it runs shell commands",
    "nt.system": "`nt.system` is `os.system` on Windows: it runs shell commands",
}
_NEVER_PREFIXES = ("subprocess.", "os.", "posix.", "nt.", "shutil.", "socket.", "importlib.", "pickle.", "marshal.")

# Types that a reviewer can trust in a model built by a known pipeline, with why.
_REVIEWABLE = {
    "sklearn.tree._tree.Tree": ("`sklearn.tree._tree.Tree` is scikit-learn's own tree storage. skops flags it "
                                "because a crafted file could make predict() read out of bounds, but the file's "
                                "trees are what the model *is*: refusing it means refusing every tree model"),
    "numpy.clip": "`numpy.clip` is a pure numeric function (it limits values to a range) and runs no code of its own",
    "numpy.dtype": "`numpy.dtype` only describes the element type of an array",
}


def _is_never(name: str) -> str | None:
    if name in _NEVER:
        return _NEVER[name]
    if name.startswith(_NEVER_PREFIXES):
        return f"`{name}` comes from a module that runs commands, touches files or loads code"
    return None


def _type_names(value: Any, name: str) -> list[str]:
    return require_names(value, f"`{name}`", example='"numpy.dtype"', kind="type names",
                         hint="Write the names as get_untrusted_types() prints them.")


def check_trust_decision(untrusted, trust, refuse, candidate_path) -> None:
    """*untrusted* is what skops reports for the file; *trust* and *refuse* split it sensibly."""
    import skops.io as sio

    require_done(untrusted, "untrusted")
    actual = sorted(sio.get_untrusted_types(file=Path(candidate_path)))
    listed = _type_names(untrusted, "untrusted")
    if sorted(listed) != actual:
        if not listed:
            raise CheckFailed("`untrusted` is empty, but this file holds types skops does not trust by default. "
                              "Call `sio.get_untrusted_types(file=...)` with the path of candidate.skops.")
        raise CheckFailed(f"`untrusted` is {sorted(listed)}, but skops reports {actual} for candidate.skops. "
                          "Use `sio.get_untrusted_types(file=candidate_path)`: do not type the list by hand.")
    require_done(trust, "trust")
    require_done(refuse, "refuse")
    trusted, refused = _type_names(trust, "trust"), _type_names(refuse, "refuse")
    both = sorted(set(trusted) & set(refused))
    require(not both, f"{both} is in both `trust` and `refuse`: decide once for each type.")
    extra = sorted(set(trusted) - set(actual))
    if extra:
        raise CheckFailed(f"`trust` holds {extra}, which this file does not even need. Every extra trusted type "
                          "widens what a crafted file could use: list only types the file contains and you reviewed.")
    for name in trusted:
        danger = _is_never(name)
        if danger:
            raise CheckFailed(f"You trust {name!r}, but {danger}. A disk-failure model has no reason to contain "
                              "it: refuse it, and stop this file from being deployed.")
    missing = sorted(set(actual) - set(trusted) - set(refused))
    if missing:
        raise CheckFailed(f"You did not decide about {missing}: put every untrusted type in `trust` or `refuse`.")
    for name in refused:
        if name in _REVIEWABLE:
            raise CheckFailed(f"You refuse {name!r}, but {_REVIEWABLE[name]}. Trust it after review; the danger in "
                              "this file is elsewhere.")
    unknown = [name for name in refused if not _is_never(name) and name not in _REVIEWABLE]
    note = f" (and refused {unknown}, which you could not review: fine)" if unknown else ""
    passed(f"trust {sorted(trusted)}; refuse {sorted(refused)}{note}. While a refused type is in the file, "
           "skops will not load it: block the pull request and ask why the model needs it.")


# --------------------------------------------------------------------------------------------------
# Task 3: a schema check for requests
# --------------------------------------------------------------------------------------------------

def _request_cases(schema: dict, good_request) -> list[tuple[str, Any, str | None]]:
    """(description, request, column that must be named or None if the request is valid)."""
    numeric = [c for c, rule in schema.items() if "min" in rule]
    categorical = [c for c, rule in schema.items() if "allowed" in rule]
    first, second = numeric[0], numeric[-1]
    cases: list[tuple[str, Any, str | None]] = [("a valid request", good_request.copy(), None)]

    with_gap = good_request.copy()
    with_gap[first] = np.nan
    cases.append((f"a valid request whose `{first}` is missing (NaN)", with_gap, None))

    missing = good_request.drop(columns=[second])
    cases.append((f"a request without the column `{second}`", missing, second))

    as_text = good_request.copy().astype({first: object})
    as_text[first] = "hot"
    cases.append((f"a request with the text 'hot' in `{first}`", as_text, first))

    too_high = good_request.copy()
    too_high[first] = schema[first]["max"] * 1000
    cases.append((f"a request with `{first}` = {schema[first]['max'] * 1000:g} (above its max)", too_high, first))

    too_low = good_request.copy()
    too_low[second] = schema[second]["min"] - 1
    cases.append((f"a request with `{second}` = {schema[second]['min'] - 1:g} (below its min)", too_low, second))

    if categorical:
        cat = categorical[0]
        unknown = good_request.copy()
        unknown[cat] = "UNKNOWN-MODEL-X"
        cases.append((f"a request with `{cat}` = 'UNKNOWN-MODEL-X' (not an allowed value)", unknown, cat))
    return cases


def check_request_validator(validate_request: Callable | None, schema: dict, good_request) -> None:
    """*validate_request(request, schema)* accepts valid requests and raises ValueError naming the bad column."""
    require_function(validate_request, "validate_request", shape="def validate_request(request, schema): ...")
    for description, request, column in _request_cases(schema, good_request):
        try:
            result = validate_request(request.copy(), schema)
        except ValueError as exc:
            if column is None and "NaN" in description:
                raise CheckFailed(f"Your check rejects {description} ({exc}). The pipeline imputes missing numbers, "
                                  "so a NaN must pass. A NaN compares False with everything, so "
                                  "`~series.between(lo, hi)` flags it: only test values that are present, e.g. "
                                  "`series.notna() & ~series.between(lo, hi)`.") from None
            if column is None:
                raise CheckFailed(f"Your check rejects {description} ({exc}). Compare each rule with the schema: "
                                  "a request that follows it must pass.") from None
            message = str(exc)
            require(column in message,
                    f"For {description} you raise ValueError({message!r}), but the message does not name the column "
                    f"`{column}`. Say which column is wrong and why, so the caller can fix the request.")
            continue
        except KeyError as exc:
            raise CheckFailed(f"For {description}, your function let pandas raise KeyError({exc}). Check for missing "
                              "columns first and raise ValueError naming them: a KeyError looks like a server bug "
                              "(HTTP 500), not a bad request (HTTP 400/422).") from None
        except TypeError as exc:
            raise CheckFailed(f"For {description}, your function crashed with TypeError: {exc}. Check that the "
                              "column is numeric (`pd.api.types.is_numeric_dtype`) before comparing it with min and "
                              "max, and raise ValueError if it is not.") from None
        except Exception as exc:  # noqa: BLE001 - any other crash is a bug in the learner's function
            raise CheckFailed(f"For {description}, your function raised {type(exc).__name__}: {exc}. Raise "
                              "ValueError with a clear message instead.") from None
        if column is not None:
            if result is False or (isinstance(result, (list, tuple, str)) and result):
                raise CheckFailed(f"For {description} your function returned {result!r} instead of raising. A caller "
                                  "that forgets to look at the return value serves the bad request anyway: raise "
                                  "ValueError.")
            raise CheckFailed(f"Your check accepts {description}. It must raise ValueError naming `{column}`.")
    passed("validate_request accepts valid requests (missing numbers included) and rejects missing columns, text in "
           "numeric columns, out-of-range values and unknown categories with a ValueError that names the column.")


# --------------------------------------------------------------------------------------------------
# Task 4: a format for each deployment scenario, justified
# --------------------------------------------------------------------------------------------------

FORMATS = ("pickle", "joblib", "skops", "onnx", "safetensors")

_ACCEPTED = {
    "java_service": {"onnx"},
    "shared_bucket": {"skops"},
    "public_weights": {"safetensors"},
    "nightly_batch": {"pickle", "joblib", "skops", "onnx"},
}

_WHY_NOT = {
    ("java_service", "pickle"): "pickle needs a Python interpreter with the same scikit-learn to rebuild the object; "
                                "the service is Java. ONNX Runtime has an official Java API",
    ("java_service", "joblib"): "joblib is pickle underneath: it needs Python and the same scikit-learn; the service "
                                "is Java. ONNX Runtime has an official Java API",
    ("java_service", "skops"): "skops rebuilds a Python object, so it needs Python and scikit-learn; the service is "
                               "Java. ONNX Runtime has an official Java API",
    ("java_service", "safetensors"): "safetensors holds named tensors only: a random forest with an imputer and an "
                                     "encoder is not a set of tensors, and nothing in the file says how to compute",
    ("shared_bucket", "pickle"): "anyone who can write to the bucket (the contractors too) can swap in a file that "
                                 "runs code when your colleague loads it",
    ("shared_bucket", "joblib"): "joblib loads through pickle: anyone who can write to the bucket can swap in a file "
                                 "that runs code on load",
    ("shared_bucket", "onnx"): "ONNX gives back a graph to run, not the Python pipeline: no get_params(), no "
                               "feature_importances_, no refit, which is what your colleague needs",
    ("shared_bucket", "safetensors"): "safetensors holds tensors only; a scikit-learn pipeline cannot be rebuilt from "
                                      "it",
    ("public_weights", "pickle"): "strangers who load your pickle run whatever is in it, and cannot check that it is "
                                  "harmless; that is why the model hubs moved to safetensors",
    ("public_weights", "joblib"): "joblib is pickle underneath: strangers who load it run whatever is in it",
    ("public_weights", "skops"): "skops serialises scikit-learn objects, not PyTorch tensors",
    ("public_weights", "onnx"): "ONNX is an inference graph; the other teams want the raw weights to load into their "
                                "own model code and keep training",
    ("nightly_batch", "safetensors"): "safetensors holds tensors only; a random forest pipeline cannot be rebuilt from "
                                      "it",
}


def check_format_choices(choices, reasons, *, min_words: int = 15) -> None:
    """One format per scenario in *choices*, each defensible, and a reason of at least *min_words* words each."""
    require_done(choices, "choices")
    require(isinstance(choices, dict), f"`choices` should be a dict (scenario → format), not a {type(choices).__name__}.")
    missing = [key for key in _ACCEPTED if key not in choices]
    require(not missing, f"`choices` has no entry for {missing}. Keep the four keys given in the cell.")
    for scenario, accepted in _ACCEPTED.items():
        value = choices[scenario]
        require_done(value, f"choices[{scenario!r}]")
        fmt = str(value).strip().lower()
        require(fmt in FORMATS, f"choices[{scenario!r}] is {value!r}; pick one of {', '.join(FORMATS)}.")
        if fmt not in accepted:
            raise CheckFailed(f"choices[{scenario!r}] = {fmt!r}: {_WHY_NOT[(scenario, fmt)]}.")
    require_done(reasons, "reasons")
    require(isinstance(reasons, dict), f"`reasons` should be a dict (scenario → text), not a {type(reasons).__name__}.")
    for scenario in _ACCEPTED:
        require_prose(reasons.get(scenario), f"reasons[{scenario!r}]", min_words,
                      f"write 1-2 sentences (at least {min_words} words): what the runtime needs, who can write the "
                      "file, and what you give up with this format.")
    chosen = {s: str(choices[s]).strip().lower() for s in _ACCEPTED}
    passed(f"java_service → {chosen['java_service']}, shared_bucket → {chosen['shared_bucket']}, public_weights → "
           f"{chosen['public_weights']}, nightly_batch → {chosen['nightly_batch']}: each fits where it runs and who "
           "can write it.")
