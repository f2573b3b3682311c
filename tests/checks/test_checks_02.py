"""Exercise 02's self-checks: each known mistake gets its specific message; right answers pass.

The files are built by the same function the exercise calls (ch02.build_exercise_files), in a temp folder.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from coursekit.checks import NotDoneYet, ch02
from tests.support.checks import fails, passes


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return ch02.build_exercise_files(tmp_path_factory.mktemp("ex02"))


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------ the files


def test_files_are_as_the_exercise_describes(files):
    manifest = json.loads(files["manifest"].read_text())
    assert manifest["sha256"] == sha(files["release"])
    assert sha(files["mirror"]) != manifest["sha256"]
    assert abs(files["mirror"].stat().st_size - files["release"].stat().st_size) < 1000  # "almost the same size"
    assert sio.get_untrusted_types(file=files["candidate"]) == ["builtins.eval", "numpy.clip", "sklearn.tree._tree.Tree"]


def test_building_twice_overwrites(files):
    again = ch02.build_exercise_files(files["release"].parent.parent)
    assert sha(again["release"]) == sha(files["release"])


# ------------------------------------------------------------------------------------------ task 1


def sha_args(files):
    return files["release"], files["mirror"], files["manifest"]


def test_sha256_not_done(files):
    with pytest.raises(NotDoneYet):
        ch02.check_sha256(None, None, *sha_args(files))
    with pytest.raises(NotDoneYet):
        ch02.check_sha256(sha(files["release"]), None, *sha_args(files))


@pytest.mark.parametrize("wrong, words", [
    (lambda f: hashlib.sha256(f["release"].read_bytes()).digest(), r"\.digest\(\)"),
    (lambda f: hashlib.sha256(f["release"].read_bytes()), r"Call `\.hexdigest\(\)`"),
    (lambda f: hashlib.md5(f["release"].read_bytes()).hexdigest(), "MD5"),
    (lambda f: hashlib.sha1(f["release"].read_bytes()).hexdigest(), "SHA-1"),
    (lambda f: hashlib.sha512(f["release"].read_bytes()).hexdigest(), "SHA-512"),
    (lambda f: hashlib.sha256(str(f["release"]).encode()).hexdigest(), "file's \\*name\\*"),
    (lambda f: hashlib.sha256(f["release"].name.encode()).hexdigest(), "file's \\*name\\*"),
    (lambda f: sha(f["manifest"]), "hash of manifest.json"),
    (lambda f: sha(f["mirror"]), "hash of the mirror copy"),
    (lambda f: "z" * 64, "only hex digits"),
    (lambda f: 42, "should be a hex string"),
    (lambda f: hashlib.sha256(f["release"].read_bytes()[:-10]).hexdigest(), "hash all of it"),
])
def test_sha256_wrong_hash(files, wrong, words):
    fails(ch02.check_sha256, wrong(files), False, *sha_args(files), match=words)


def test_sha256_mirror_verdict(files):
    right = sha(files["release"])
    message = fails(ch02.check_sha256, right, True, *sha_args(files), match="they differ")
    assert "same name and a similar size prove nothing" in message
    fails(ch02.check_sha256, right, "no", *sha_args(files), match="should be True or False")


def test_sha256_right(files, capsys):
    out = passes(ch02.check_sha256, capsys, sha(files["release"]), False, *sha_args(files))
    assert "do not deploy from the mirror" in out
    passes(ch02.check_sha256, capsys, sha(files["release"]).upper(), np.bool_(False), *sha_args(files))
    passes(ch02.check_sha256, capsys, "sha256:" + sha(files["release"]), False, *sha_args(files))


# ------------------------------------------------------------------------------------------ task 2

UNTRUSTED = ["builtins.eval", "numpy.clip", "sklearn.tree._tree.Tree"]


def test_trust_not_done(files):
    with pytest.raises(NotDoneYet):
        ch02.check_trust_decision(None, None, None, files["candidate"])
    with pytest.raises(NotDoneYet):
        ch02.check_trust_decision(UNTRUSTED, None, None, files["candidate"])


@pytest.mark.parametrize("untrusted, words", [
    ([], "is empty"),
    (["sklearn.tree._tree.Tree"], "but skops reports"),
    ("builtins.eval", "not one string"),
    ([1, 2, 3], "as strings"),
])
def test_trust_wrong_untrusted(files, untrusted, words):
    fails(ch02.check_trust_decision, untrusted, [], [], files["candidate"], match=words)


@pytest.mark.parametrize("trust, refuse, words", [
    (UNTRUSTED, [], r"You trust 'builtins\.eval'.*evaluates any Python expression"),
    (["numpy.clip", "sklearn.tree._tree.Tree", "posix.system"], ["builtins.eval"], "does not even need"),
    (["numpy.clip"], ["builtins.eval", "sklearn.tree._tree.Tree"], "scikit-learn's own tree storage"),
    (["sklearn.tree._tree.Tree"], ["builtins.eval", "numpy.clip"], "pure numeric function"),
    (["numpy.clip"], ["builtins.eval"], r"did not decide about \['sklearn\.tree\._tree\.Tree'\]"),
    (["numpy.clip", "sklearn.tree._tree.Tree"], ["builtins.eval", "numpy.clip"], "in both"),
])
def test_trust_wrong_decision(files, trust, refuse, words):
    fails(ch02.check_trust_decision, UNTRUSTED, trust, refuse, files["candidate"], match=words)


def test_trust_right(files, capsys):
    out = passes(ch02.check_trust_decision, capsys, list(reversed(UNTRUSTED)),
                 ["sklearn.tree._tree.Tree", "numpy.clip"], ("builtins.eval",), files["candidate"])
    assert "block the pull request" in out


# ------------------------------------------------------------------------------------------ task 3

SCHEMA = {
    "temperature_c": {"type": "number", "min": 0, "max": 90},
    "reallocated_sectors": {"type": "number", "min": 0, "max": 100_000},
    "power_on_hours": {"type": "number", "min": 0, "max": 200_000},
    "read_error_rate": {"type": "number", "min": 0, "max": 100},
    "disk_model": {"type": "category", "allowed": ["HGST-A", "SEAG-B", "WDC-C"]},
}
GOOD = pd.DataFrame({"temperature_c": [41.5], "reallocated_sectors": [3], "power_on_hours": [23_000],
                     "read_error_rate": [0.8], "disk_model": ["SEAG-B"]})


def right_validator(request, schema):
    missing = [c for c in schema if c not in request.columns]
    if missing:
        raise ValueError(f"missing columns: {missing}")
    for column, rule in schema.items():
        values = request[column]
        if rule["type"] == "number":
            if not pd.api.types.is_numeric_dtype(values):
                raise ValueError(f"{column}: expected numbers")
            if (values.notna() & ~values.between(rule["min"], rule["max"])).any():
                raise ValueError(f"{column}: out of range")
        elif not values.isin(rule["allowed"]).all():
            raise ValueError(f"{column}: unknown value")


def nan_rejecting(request, schema):
    right_validator(request, schema)
    for column, rule in schema.items():
        if rule["type"] == "number" and not request[column].between(rule["min"], rule["max"]).all():
            raise ValueError(f"{column}: out of range")


def keyerror_on_missing(request, schema):
    for column in schema:
        request[column]  # pandas raises KeyError
    right_validator(request, schema)


def compares_text(request, schema):
    for column, rule in schema.items():
        if column not in request.columns:
            raise ValueError(f"missing {column}")
        if rule["type"] == "number" and ((request[column] < rule["min"]) | (request[column] > rule["max"])).any():
            raise ValueError(f"{column}: out of range")
        if rule["type"] == "category" and not request[column].isin(rule["allowed"]).all():
            raise ValueError(f"{column}: unknown")


def returns_false(request, schema):
    try:
        right_validator(request, schema)
    except ValueError:
        return False
    return None


def ignores_categories(request, schema):
    right_validator(request, {c: r for c, r in schema.items() if r["type"] == "number"})


def vague_message(request, schema):
    try:
        right_validator(request, schema)
    except ValueError:
        raise ValueError("bad request") from None


def rejects_everything(request, schema):
    raise ValueError("no")


def crashes(request, schema):
    raise RuntimeError("oops")


@pytest.mark.parametrize("validator, words", [
    (nan_rejecting, "NaN must pass"),
    (keyerror_on_missing, "KeyError"),
    (compares_text, "TypeError"),
    (returns_false, "returned False instead of raising"),
    (ignores_categories, "accepts a request with `disk_model` = 'UNKNOWN-MODEL-X'"),
    (vague_message, "does not name the column `reallocated_sectors`|does not name the column `read_error_rate`"),
    (rejects_everything, "rejects a valid request"),
    (crashes, "raised RuntimeError"),
    ("validate_request", "should be a function"),
])
def test_validator_mistakes(validator, words):
    fails(ch02.check_request_validator, validator, SCHEMA, GOOD, match=words)


def test_validator_not_done():
    with pytest.raises(NotDoneYet):
        ch02.check_request_validator(None, SCHEMA, GOOD)


def test_validator_right(capsys):
    passes(ch02.check_request_validator, capsys, right_validator, SCHEMA, GOOD)


def test_validator_does_not_see_the_callers_frame():
    """The check passes copies: a validator that fills NaN in place cannot change the good request."""
    def fills_in_place(request, schema):
        request.fillna(0, inplace=True)
        right_validator(request, schema)

    before = GOOD.copy()
    ch02.check_request_validator(fills_in_place, SCHEMA, GOOD)
    pd.testing.assert_frame_equal(GOOD, before)


# ------------------------------------------------------------------------------------------ task 4

RIGHT = {"java_service": "onnx", "shared_bucket": "skops", "public_weights": "safetensors", "nightly_batch": "joblib"}
REASON = "This format fits because of where the model runs, who can write the file, and what we give up with it."
REASONS = dict.fromkeys(RIGHT, REASON)


def test_formats_not_done():
    with pytest.raises(NotDoneYet):
        ch02.check_format_choices(None, None)
    with pytest.raises(NotDoneYet):
        ch02.check_format_choices(RIGHT, None)
    with pytest.raises(NotDoneYet):
        ch02.check_format_choices({**RIGHT, "java_service": None}, REASONS)


@pytest.mark.parametrize("change, words", [
    ({"java_service": "pickle"}, "the service is Java"),
    ({"java_service": "skops"}, "official Java API"),
    ({"java_service": "safetensors"}, "named tensors only"),
    ({"shared_bucket": "joblib"}, "anyone who can write to the bucket"),
    ({"shared_bucket": "onnx"}, "no get_params"),
    ({"public_weights": "onnx"}, "inference graph"),
    ({"public_weights": "pickle"}, "strangers who load your pickle"),
    ({"public_weights": "skops"}, "not PyTorch tensors"),
    ({"nightly_batch": "safetensors"}, "tensors only"),
    ({"nightly_batch": "parquet"}, "pick one of"),
])
def test_formats_wrong_choice(change, words):
    fails(ch02.check_format_choices, {**RIGHT, **change}, REASONS, match=words)


def test_formats_structure():
    fails(ch02.check_format_choices, ["onnx"], REASONS, match="should be a dict")
    fails(ch02.check_format_choices, {"java_service": "onnx"}, REASONS, match="has no entry for")


def test_formats_reasons():
    fails(ch02.check_format_choices, RIGHT, {**REASONS, "java_service": "It runs in Java."}, match="has 4 words")
    fails(ch02.check_format_choices, RIGHT, {**REASONS, "nightly_batch": 12}, match="should be text")
    with pytest.raises(NotDoneYet):
        ch02.check_format_choices(RIGHT, {k: v for k, v in REASONS.items() if k != "public_weights"})


@pytest.mark.parametrize("batch", ["pickle", "joblib", "skops", "onnx", " ONNX "])
def test_formats_right(capsys, batch):
    passes(ch02.check_format_choices, capsys, {**RIGHT, "nightly_batch": batch}, REASONS)
