"""Exercise 13's self-checks: each known mistake gets its specific message; right answers pass.

The checks build their own inputs (pickles they never load, a release they tamper with, feature tables). The
wrong scanners below are the ones learners write on the way to a right one.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import pickletools
import re

import pandas as pd
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coursekit.checks import NotDoneYet, ch13
from coursekit.exports.ch13 import pickle_imports
from tests.support.checks import fails, passes

# ------------------------------------------------------------------------------------------ task 1: scanner

def right_scanner(data, allowlist):
    """A correct learner's scanner: chapter 13's own stack replay, minus the allowlist."""
    return sorted(set(pickle_imports(data)) - set(allowlist))


def global_only(data, allowlist):
    return sorted({arg.replace(" ", ".") for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL"}
                  - set(allowlist))


def ignores_allowlist(data, allowlist):
    return right_scanner(data, frozenset())


def last_two_strings(data, allowlist):
    strings, found = [], []
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            found.append(arg.replace(" ", "."))
        elif isinstance(arg, str) and "UNICODE" in op.name:
            strings.append(arg)
        elif op.name == "STACK_GLOBAL":
            found.append(".".join(strings[-2:]))
    return sorted(set(found) - set(allowlist))


def last_two_strings_with_memo(data, allowlist):
    strings, memo, found = [], {}, []
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            found.append(arg.replace(" ", "."))
        elif isinstance(arg, str) and "UNICODE" in op.name:
            strings.append(arg)
        elif op.name in ("MEMOIZE", "BINPUT", "LONG_BINPUT"):
            memo[len(memo) if op.name == "MEMOIZE" else arg] = strings[-1] if strings else None
        elif op.name in ("BINGET", "LONG_BINGET"):
            strings.append(memo[arg])
        elif op.name == "STACK_GLOBAL":
            found.append(f"{strings[-2]}.{strings[-1]}")
    return sorted(set(found) - set(allowlist))


def loads_it(data, allowlist):
    pickle.loads(data)  # what a scanner must never do; the payload only writes a marker in a temp dir
    return []


def test_samples_are_as_described(tmp_path):
    samples = ch13.make_pickle_samples(tmp_path / "marker.txt")
    imports = {name: set(pickle_imports(data)) for name, data in samples.items()}
    allow = ch13.exercise_allowlist(samples)
    assert imports["exec_p0.pkl"] == {"__builtin__.exec"}
    assert imports["numpy_p4.pkl"] == {"numpy.testing._private.utils.runstring"}
    assert {n.split(".")[1] for n in imports["refs_p4.pkl"]} == {"getcwd", "system"}
    assert imports["tidy_p4.pkl"] == {"builtins.exec"}
    assert not any(imports[n] - allow for n in ("model_p2.pkl", "model_p4.pkl", "model_p5.pkl"))
    assert not (tmp_path / "marker.txt").exists()


def test_scanner_not_done():
    with pytest.raises(NotDoneYet):
        ch13.check_scanner(None)


@pytest.mark.parametrize("wrong, words", [
    ("not a function", "should be a function"),
    (loads_it, "LOADED the pickle"),
    (global_only, "`STACK_GLOBAL` has no argument"),
    (ignores_allowlist, "which are in the allowlist"),
    (last_two_strings, "Probably a memo problem"),
    (last_two_strings_with_memo, "written by hand"),
    (lambda data, allow: bool(right_scanner(data, allow)), "so the gate can say"),
    (lambda data, allow: None, "returned None"),
    (lambda data, allow: "builtins.exec", "one string"),
    (lambda data, allow: [n.split(".")[-1] for n in right_scanner(data, allow)], "but it imports"),
    (lambda data, allow: [][0], "raised IndexError on model_p2.pkl: list index out of range. An IndexError usually"),
    (lambda data: [], r"Keep the signature `scan_pickle\(data, allowlist\)`"),
])
def test_scanner_diagnoses(wrong, words):
    fails(ch13.check_scanner, wrong, match=words)


def test_scanner_right(capsys):
    passes(ch13.check_scanner, capsys, right_scanner)


def test_scanner_accepts_python3_module_names(capsys):
    def modern_names(data, allowlist):
        return [name.replace("__builtin__.", "builtins.") for name in right_scanner(data, allowlist)]
    passes(ch13.check_scanner, capsys, modern_names)


# ------------------------------------------------------------------------------------------ task 2: signing

@pytest.fixture(scope="module")
def release():
    return ch13.make_release()


def right_sign(key, artifact, manifest):
    return {"artifact": key.sign(hashlib.sha256(artifact).digest()), "manifest": key.sign(ch13.canonical_json(manifest))}


def right_verify(public, artifact, manifest, signatures):
    public.verify(signatures["manifest"], ch13.canonical_json(manifest))
    digest = hashlib.sha256(artifact).digest()
    public.verify(signatures["artifact"], digest)
    if manifest["sha256"] != digest.hex():
        raise ValueError("manifest names another artifact")


def test_release_manifest_names_artifact(release):
    artifact, manifest = release
    assert manifest["sha256"] == hashlib.sha256(artifact).hexdigest()
    assert ch13.canonical_json({"b": 1, "a": [1, 2]}) == b'{"a":[1,2],"b":1}'


def test_signing_not_done(release):
    with pytest.raises(NotDoneYet):
        ch13.check_signing(None, None, *release)
    with pytest.raises(NotDoneYet):
        ch13.check_signing(right_sign, None, *release)


@pytest.mark.parametrize("sign, words", [
    (lambda k, a, m: {"artifact": k.sign(hashlib.sha256(a).hexdigest().encode()),
                      "manifest": k.sign(ch13.canonical_json(m))}, "hex\\* text of the hash"),
    (lambda k, a, m: {"artifact": k.sign(a), "manifest": k.sign(ch13.canonical_json(m))}, "signs the whole artifact"),
    (lambda k, a, m: {"artifact": k.sign(ch13.canonical_json(m)), "manifest": k.sign(hashlib.sha256(a).digest())},
     "swapped"),
    (lambda k, a, m: {"artifact": k.sign(hashlib.sha256(a).digest()), "manifest": k.sign(json.dumps(m).encode())},
     "json.dumps\\(manifest\\)"),
    (lambda k, a, m: {"artifact": k.sign(hashlib.sha256(a).digest()),
                      "manifest": k.sign(json.dumps(m, indent=2).encode())}, "with whitespace"),
    (lambda k, a, m: {key: value.hex() for key, value in right_sign(k, a, m).items()}, "is text"),
    (lambda k, a, m: [k.sign(a)], "should return a dict"),
    (lambda k, a, m: {"art": b"", "man": b""}, "has no key"),
])
def test_signing_diagnoses_sign(release, sign, words):
    fails(ch13.check_signing, sign, right_verify, *release, match=words)


def verify_returns_false(public, artifact, manifest, signatures):
    try:
        right_verify(public, artifact, manifest, signatures)
    except Exception:  # noqa: BLE001
        return False
    return True


def verify_manifest_only(public, artifact, manifest, signatures):
    public.verify(signatures["manifest"], ch13.canonical_json(manifest))


def verify_no_binding(public, artifact, manifest, signatures):
    public.verify(signatures["manifest"], ch13.canonical_json(manifest))
    public.verify(signatures["artifact"], hashlib.sha256(artifact).digest())


def verify_plain_dumps(public, artifact, manifest, signatures):
    public.verify(signatures["manifest"], json.dumps(manifest).encode())


def verify_crashes(public, artifact, manifest, signatures):
    raise KeyError("sha")


def test_sign_with_plain_dumps_is_caught_before_verify(release):
    fails(ch13.check_signing, right_sign, verify_plain_dumps, *release, match="rejects a correct release")


@pytest.mark.parametrize("verify, words", [
    (verify_returns_false, "returned False instead of raising"),
    (verify_manifest_only, "accepts an artifact with one bit flipped"),
    (verify_no_binding, "mix of two genuine releases|Both signatures are genuine"),
    (verify_crashes, "rejects a correct release"),
    ("nope", "should be a function"),
])
def test_signing_diagnoses_verify(release, verify, words):
    fails(ch13.check_signing, right_sign, verify, *release, match=words)


def test_signing_right(release, capsys):
    passes(ch13.check_signing, capsys, right_sign, right_verify, *release)


def test_signing_right_with_own_exception_types(release, capsys):
    def verify(public, artifact, manifest, signatures):
        try:
            right_verify(public, artifact, manifest, signatures)
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError("release rejected") from exc
    passes(ch13.check_signing, capsys, right_sign, verify, *release)


# ------------------------------------------------------------------------------------------ task 3: sensitive columns

PATTERNS = [r"[\w.+-]+@[\w-]+\.[\w.-]+", r"\+?\d[\d ()-]{8,}\d", r"(?:AKIA|sk_live_|ghp_)[A-Za-z0-9]{12,}"]
HINTS = r"(?i)mail|phone|mobile|name|address|postcode|zip|birth|dob"


def detector(*, names=True, values=True, cardinality=True, head=None, floats=False):
    def find(df):
        flagged = []
        for column in df.columns:
            series = df[column] if head is None else df[column].head(head)
            textual = pd.api.types.is_string_dtype(series) or series.dtype == object
            hit = names and re.search(HINTS, column) is not None
            hit = hit or (values and textual and any(series.astype(str).str.contains(p).any() for p in PATTERNS))
            id_like = textual or pd.api.types.is_integer_dtype(series) or (floats and pd.api.types.is_float_dtype(series))
            hit = hit or (cardinality and id_like and series.nunique() >= 0.9 * len(series))
            if hit:
                flagged.append(column)
        return flagged
    return find


def test_feature_tables_are_as_described():
    table = ch13.make_feature_table()
    assert set(ch13.SENSITIVE) <= set(table.columns) and len(table.columns) == 12
    renamed = ch13.make_feature_table(1, renamed=True)
    assert not set(ch13.SENSITIVE) & set(renamed.columns)
    leaky = table["comment"].str.contains("@|AKIA").sum()
    assert 10 <= leaky <= 30 and leaky < 0.02 * len(table)


def test_sensitive_not_done():
    with pytest.raises(NotDoneYet):
        ch13.check_sensitive_columns(None)


@pytest.mark.parametrize("wrong, words", [
    (detector(values=False, cardinality=False), "missed `account_ref`: it has a distinct value"),
    (detector(cardinality=False, names=True, values=False, head=None), "missed `account_ref`"),
    (detector(head=500), "missed `comment`: it is free text"),
    (detector(floats=True), "also flag `avg_download_mbps`: a float measurement"),
    (lambda df: list(ch13.SENSITIVE), "second table .* missed|not columns of a second table"),
    (lambda df: [c for c in df.columns if c in ch13.SENSITIVE], "second table whose sensitive columns are renamed you missed `ref`"),
    (lambda df: list(df.columns), "also flag `plan`|also flag"),
    (lambda df: pd.DataFrame({"findings": ["x"]}), "returned a DataFrame"),
    (lambda df: None, "returned None"),
    (lambda df: [c for c in df.columns if df[c].str.contains("@").any()], "crashed"),
])
def test_sensitive_diagnoses(wrong, words):
    fails(ch13.check_sensitive_columns, wrong, match=words)


def test_sensitive_right(capsys):
    passes(ch13.check_sensitive_columns, capsys, detector())


# ------------------------------------------------------------------------------------------ task 4: plan

RIGHT_PLAN = {"account_ref": "pseudonymise", "email_addr": "drop", "contact": "drop", "comment": "drop",
              "birth_date": "generalise", "postcode": "generalise"}


def test_plan_not_done():
    with pytest.raises(NotDoneYet):
        ch13.check_minimisation_plan(None)


@pytest.mark.parametrize("change, words", [
    ({"account_ref": "drop"}, "join key"),
    ({"comment": "generalise"}, "free text cannot be generalised"),
    ({"birth_date": "drop"}, "the model uses age"),
    ({"email_addr": "pseudonymise"}, "nothing joins on it"),
    ({"postcode": "encrypt"}, "use one of"),
    ({"plan": "drop"}, "not sensitive columns"),
])
def test_plan_diagnoses(change, words):
    fails(ch13.check_minimisation_plan, RIGHT_PLAN | change, match=words)


def test_plan_missing_column():
    fails(ch13.check_minimisation_plan, {k: v for k, v in RIGHT_PLAN.items() if k != "contact"}, match="no action for")


def test_plan_right_in_either_spelling(capsys):
    passes(ch13.check_minimisation_plan, capsys, RIGHT_PLAN)
    passes(ch13.check_minimisation_plan, capsys, RIGHT_PLAN | {"account_ref": "Pseudonymize", "postcode": "generalize"})


# ------------------------------------------------------------------------------------------ task 5: risk classes

RIGHT_CLASSES = {"cv_screening": "high-risk", "support_chatbot": "transparency", "gpu_forecast": "minimal"}
REASONS = {system: ("This justification names the relevant part of the Act and one duty for the team that runs the "
                    "system, in enough words to mean something.") for system in ch13.SYSTEMS}


def test_risk_not_done():
    with pytest.raises(NotDoneYet):
        ch13.check_risk_classes(None, None)
    with pytest.raises(NotDoneYet):
        ch13.check_risk_classes(RIGHT_CLASSES, None)


@pytest.mark.parametrize("change, words", [
    ({"cv_screening": "minimal"}, "Annex III"),
    ({"cv_screening": "prohibited"}, "not one of the practices Article 5 bans"),
    ({"support_chatbot": "minimal"}, "Article 50"),
    ({"support_chatbot": "high-risk"}, "not an Annex III use"),
    ({"gpu_forecast": "high-risk"}, "safety component"),
    ({"gpu_forecast": "low"}, "pick one of"),
])
def test_risk_diagnoses_classes(change, words):
    fails(ch13.check_risk_classes, RIGHT_CLASSES | change, REASONS, match=words)


def test_risk_short_justification():
    fails(ch13.check_risk_classes, RIGHT_CLASSES, REASONS | {"gpu_forecast": "Minimal, no duties."}, match="3 words")


def test_risk_missing_system():
    fails(ch13.check_risk_classes, {"cv_screening": "high-risk"}, REASONS, match="no entry for")


def test_risk_right_with_aliases(capsys):
    passes(ch13.check_risk_classes, capsys, RIGHT_CLASSES, REASONS)
    passes(ch13.check_risk_classes, capsys, {"cv_screening": "High risk", "support_chatbot": "limited",
                                             "gpu_forecast": "Minimal"}, REASONS)


def test_key_sizes_match_the_quiz():
    key = Ed25519PrivateKey.generate()
    assert len(key.sign(b"x")) == 64
