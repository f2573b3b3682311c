"""Exercise 13's self-checks: each known mistake gets its specific message; right answers pass.

The checks build their own inputs (pickles they never load, releases they tamper with, feature tables). The
wrong scanners below are the ones learners write on the way to a right one; task 3's wrong signers and verifiers
are judged by model-signing itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pickle
import pickletools
import re
from pathlib import Path

import model_signing
import pandas as pd
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coursekit.checks import NotDoneYet, ch13
from coursekit.checks._answers.ch13 import SENSITIVE
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
        except Exception as exc:
            raise RuntimeError("release rejected") from exc
    passes(ch13.check_signing, capsys, right_sign, verify, *release)


# ------------------------------------------------------------------------------------------ task 3: model-signing

def right_sign_dir(model_dir, private_key, signature):
    model_signing.signing.Config().use_elliptic_key_signer(private_key=private_key).sign(model_dir, signature)


def right_verify_dir(model_dir, signature, public_key):
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(model_dir, signature)


def statement_of(signature):
    return json.loads(base64.b64decode(json.loads(Path(signature).read_text())["dsseEnvelope"]["payload"]))


def right_signed_files(signature):
    return sorted(r["name"] for r in statement_of(signature)["predicate"]["resources"])


def test_release_dir_and_keys_are_as_described(tmp_path):
    folder = ch13.make_release_dir(tmp_path / "release")
    artifact, manifest = ch13.make_release()
    assert sorted(p.name for p in folder.iterdir()) == ["churn_tree.pkl", "manifest.json"]
    assert (folder / "churn_tree.pkl").read_bytes() == artifact
    assert json.loads((folder / "manifest.json").read_text()) == manifest
    private, public = ch13.write_key_pair(tmp_path, "k")
    assert private.stat().st_mode & 0o077 == 0, "the private key file is readable by others"
    right_sign_dir(folder, private, tmp_path / "s.sig")
    right_verify_dir(folder, tmp_path / "s.sig", public)


def test_model_signing_not_done():
    with pytest.raises(NotDoneYet):
        ch13.check_model_signing(None, None, None)
    with pytest.raises(NotDoneYet):
        ch13.check_model_signing(right_sign_dir, None, None)
    with pytest.raises(NotDoneYet):
        ch13.check_model_signing(right_sign_dir, None, right_signed_files)


def sign_keyless(model_dir, private_key, signature):
    model_signing.signing.sign(model_dir, signature)        # the default: Sigstore keyless (browser, network)


def sign_one_file(model_dir, private_key, signature):
    right_sign_dir(Path(model_dir) / "churn_tree.pkl", private_key, signature)


def sign_without_manifest(model_dir, private_key, signature):
    hashing = model_signing.hashing.Config().set_ignored_paths(paths=["manifest.json"])
    model_signing.signing.Config().use_elliptic_key_signer(private_key=private_key).set_hashing_config(
        hashing).sign(model_dir, signature)


def sign_with_own_key(model_dir, private_key, signature):
    own, _ = ch13.write_key_pair(Path(signature).parent, "own")
    right_sign_dir(model_dir, own, signature)


def sign_nothing(model_dir, private_key, signature):
    model_signing.hashing.hash(model_dir)                     # hashes, but never writes a signature


def sign_text(model_dir, private_key, signature):
    Path(signature).write_text("signed")


@pytest.mark.parametrize("sign, words", [
    (sign_keyless, "Sigstore keyless"),
    (sign_one_file, r"covers one file \(churn_tree.pkl\)"),
    (sign_without_manifest, r"does not cover \['manifest.json'\]"),
    (sign_with_own_key, "did you sign with another key"),
    (sign_nothing, "wrote no file at `signature`"),
    (sign_text, "not a model-signing bundle"),
    (lambda model_dir, private_key: None, r"Keep the signature `sign_model_dir\(model_dir, private_key, signature\)`"),
])
def test_model_signing_diagnoses_sign(sign, words):
    fails(ch13.check_model_signing, sign, right_verify_dir, right_signed_files, match=words)


@pytest.mark.parametrize("files, words", [
    (lambda sig: [statement_of(sig)["subject"][0]["name"]], "the statement's subject"),
    (lambda sig: [r["digest"] for r in statement_of(sig)["predicate"]["resources"]], "returned digests"),
    (lambda sig: list(json.loads(Path(sig).read_text())), "but the signature covers"),
    (lambda sig: json.loads(json.loads(Path(sig).read_text())["dsseEnvelope"]["payload"]), "payload' is base64"),
    (lambda sig: json.loads(Path(sig).read_text())["predicate"], "KeyError.*top-level keys"),
    (lambda sig: "manifest.json", "not one string"),
])
def test_model_signing_diagnoses_signed_files(files, words):
    fails(ch13.check_model_signing, right_sign_dir, right_verify_dir, files, match=words)


def verify_swallows(model_dir, signature, public_key):
    try:
        right_verify_dir(model_dir, signature, public_key)
    except Exception as error:  # noqa: BLE001 - the mistake under test
        print("verification failed:", error)


def verify_returns_false(model_dir, signature, public_key):
    try:
        right_verify_dir(model_dir, signature, public_key)
    except Exception:  # noqa: BLE001
        return False
    return True


def verify_ignoring_unsigned(model_dir, signature, public_key):
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=public_key).set_ignore_unsigned_files(
        True).verify(model_dir, signature)


def verify_hashes_only(model_dir, signature, public_key):
    """Recompute each file's sha256 and compare with the statement: no signature check at all."""
    listed = {r["name"]: r["digest"] for r in statement_of(signature)["predicate"]["resources"]}
    actual = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(model_dir).iterdir()}
    if listed != actual:
        raise ValueError("files do not match the statement")


def verify_without_verifier(model_dir, signature, public_key):
    model_signing.verifying.Config().verify(model_dir, signature)


def verify_keyless(model_dir, signature, public_key):
    model_signing.verifying.Config().use_sigstore_verifier(
        identity="release@example.com", oidc_issuer="https://accounts.google.com").verify(model_dir, signature)


def verify_artifact_only(model_dir, signature, public_key):
    """Checks the artifact's hash against the statement, and nothing else."""
    listed = {r["name"]: r["digest"] for r in statement_of(signature)["predicate"]["resources"]}
    data = (Path(model_dir) / "churn_tree.pkl").read_bytes()
    if listed["churn_tree.pkl"] != hashlib.sha256(data).hexdigest():
        raise ValueError("artifact changed")


def verify_with_key_next_to_signature(model_dir, signature, public_key):
    """Trusts the public key that travels with the release (lying next to the signature), not the caller's."""
    right_verify_dir(model_dir, signature, Path(signature).parent / "release-key.pub")


@pytest.mark.parametrize("verify, words", [
    (verify_swallows, "accepts an artifact with one bit flipped, which model-signing rejects. Let model-signing's"),
    (verify_returns_false, "returned False instead of raising"),
    (verify_artifact_only, "accepts a manifest whose accuracy was edited"),
    (verify_ignoring_unsigned, r"accepts a directory with a file added .*set_ignore_unsigned_files"),
    (verify_hashes_only, "accepts a changed artifact that the attacker re-signed"),
    (verify_without_verifier, "rejects the release you just signed.*Configure a verifier first"),
    (verify_keyless, "verifies a Sigstore keyless signature"),
    (verify_with_key_next_to_signature, "accepts the genuine release, checked against another public key"),
    ("nope", "should be a function"),
])
def test_model_signing_diagnoses_verify(verify, words):
    fails(ch13.check_model_signing, right_sign_dir, verify, right_signed_files, match=words)


def test_model_signing_right(capsys):
    out = passes(ch13.check_model_signing, capsys, right_sign_dir, right_verify_dir, right_signed_files)
    assert "churn_tree.pkl, manifest.json" in out


def test_model_signing_right_with_the_command_line_and_own_errors(capsys):
    """A learner may drive model-signing's CLI (the same library) and raise their own exception."""
    import subprocess
    import sys

    cli = [sys.executable, "-m", "model_signing"]

    def sign(model_dir, private_key, signature):
        subprocess.run([*cli, "sign", "key", str(model_dir), "--private_key", str(private_key), "--signature",
                        str(signature)], check=True, capture_output=True)

    def verify(model_dir, signature, public_key):
        run = subprocess.run([*cli, "verify", "key", str(model_dir), "--signature", str(signature), "--public_key",
                              str(public_key)], capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"model_signing verify failed: {run.stdout[-200:]}")

    passes(ch13.check_model_signing, capsys, sign, verify, lambda sig: set(right_signed_files(sig)))


def test_keyless_guard_is_removed_after_the_check():
    saved = model_signing.signing.Config.use_sigstore_signer
    fails(ch13.check_model_signing, sign_keyless, right_verify_dir, right_signed_files, match="keyless")
    assert model_signing.signing.Config.use_sigstore_signer is saved


# ------------------------------------------------------------------------------------------ task 4: sensitive columns

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
    assert set(SENSITIVE) <= set(table.columns) and len(table.columns) == 12
    renamed = ch13.make_feature_table(1, renamed=True)
    assert not set(SENSITIVE) & set(renamed.columns)
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
    (lambda df: list(SENSITIVE), "second table .* missed|not columns of a second table"),
    (lambda df: [c for c in df.columns if c in SENSITIVE], "second table whose sensitive columns are renamed you missed `ref`"),
    (lambda df: list(df.columns), "also flag `plan`|also flag"),
    (lambda df: pd.DataFrame({"findings": ["x"]}), "returned a DataFrame"),
    (lambda df: None, "returned None"),
    (lambda df: [c for c in df.columns if df[c].str.contains("@").any()], "crashed"),
])
def test_sensitive_diagnoses(wrong, words):
    fails(ch13.check_sensitive_columns, wrong, match=words)


def test_sensitive_right(capsys):
    passes(ch13.check_sensitive_columns, capsys, detector())


# ------------------------------------------------------------------------------------------ task 5: plan

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


# ------------------------------------------------------------------------------------------ task 6: risk classes

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


def test_answer_key_is_not_public():
    assert not hasattr(ch13, "SENSITIVE") and "SENSITIVE" not in ch13.__all__


def test_key_sizes_match_the_quiz():
    key = Ed25519PrivateKey.generate()
    assert len(key.sign(b"x")) == 64
