"""Self-checks for exercise 13, *Security and governance*.

Each check builds its own inputs with the exercise's world, :mod:`coursekit.worlds.ch13` (pickles it never loads, a
release it tampers with, feature tables; re-exported here so the notebook shows exactly what the checks use), runs
the learner's function or answer on them, and diagnoses the usual mistakes with a message that says what is wrong
and how to fix it. The scanner's reference is chapter 13's own ``pickle_imports`` (:mod:`coursekit.exports.ch13`).

Where a check judges a signature, a real tool is the arbiter wherever one fits: task 3's check verifies the learner's
model-signing signature with model-signing itself. Task 2's check is hand-written on purpose: that task is to build
the from-scratch Ed25519 version, so the check verifies with ``cryptography`` directly. The answer key of task 4 is
private (:mod:`coursekit.checks._answers.ch13`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import pickle
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from coursekit.checks import (
    CheckFailed,
    call_learner,
    passed,
    require,
    require_done,
    require_function,
    require_names,
    require_prose,
)
from coursekit.exports.ch13 import pickle_imports
from coursekit.worlds.ch13 import (
    RENAMED,
    SAFE_SAMPLES,
    canonical_json,
    exercise_allowlist,
    make_feature_table,
    make_pickle_samples,
    make_release,
    make_release_dir,
    write_key_pair,
)

__all__ = [
    "make_pickle_samples",
    "exercise_allowlist",
    "check_scanner",
    "canonical_json",
    "make_release",
    "check_signing",
    "make_release_dir",
    "write_key_pair",
    "check_model_signing",
    "make_feature_table",
    "check_sensitive_columns",
    "check_minimisation_plan",
    "SYSTEMS",
    "check_risk_classes",
]


# --------------------------------------------------------------------------------------------------
# Task 1: a pickle scanner, run on samples that are never loaded
# --------------------------------------------------------------------------------------------------

_MISS_HINTS = {
    "exec_p0.pkl": "This is protocol 0: the import is a `GLOBAL` opcode whose argument is the module and the name "
                   "separated by a space ('__builtin__ exec'). Turn it into 'module.name' and record it.",
    "numpy_p4.pkl": "This is protocol 4: `STACK_GLOBAL` has no argument; it imports the module and the name that are "
                    "the top two items on the stack (pushed just before by SHORT_BINUNICODE).",
    "refs_p4.pkl": "The second import takes its module name from the memo: the pickle stored 'posix' (or 'nt') with "
                   "MEMOIZE and pushes it again with BINGET. Keep a memo dict: on MEMOIZE store the top of the stack "
                   "under the next index, on BINGET push memo[arg].",
    "tidy_p4.pkl": "This file was written by hand: it pushes 'builtins' and 'exec', then 'numpy' and 'dtype', POPs "
                   "those two, and only then runs STACK_GLOBAL, which imports builtins.exec. Reading 'the last two "
                   "strings' is fooled; replay each opcode's stack effect instead (op.stack_before and op.stack_after, "
                   "as in the chapter's pickle_imports).",
}


def _normalise(names) -> set[str]:
    out = set()
    for name in names:
        name = str(name)
        for old, new in (("__builtin__.", "builtins."), ("copy_reg.", "copyreg.")):
            if name.startswith(old):
                name = new + name[len(old):]
        out.add(name)
    return out


def _as_names(result: Any, sample: str) -> set[str]:
    if result is None:
        raise CheckFailed(f"`scan_pickle` returned None for {sample}. Return a list of the names outside the allowlist "
                          "(an empty list when there are none).")
    if isinstance(result, bool):
        raise CheckFailed(f"`scan_pickle` returned {result} for {sample}. Return the list of names outside the "
                          "allowlist, so the gate can say *what* it blocked; an empty list means 'pass'.")
    return _normalise(require_names(result, f"What `scan_pickle` returned for {sample}", example="'builtins.exec'",
                                    kind="'module.name' strings"))


_CRASH_HINTS = {
    IndexError: "An IndexError usually means reading stack[-2] when fewer items are on your stack: push every "
                "string opcode's argument (and a placeholder for other pushes).",
    KeyError: "A KeyError usually means a BINGET of a memo index you never stored: handle MEMOIZE/BINPUT.",
    (pickle.UnpicklingError, AttributeError, ModuleNotFoundError):
        "Did you call pickle.loads? Never load a sample: read it with pickletools.genops.",
}


def check_scanner(scan_pickle: Callable | None) -> None:
    """*scan_pickle(data, allowlist)* returns the imports outside *allowlist*, for every sample, without loading any."""
    require_function(scan_pickle, "scan_pickle")
    with tempfile.TemporaryDirectory() as folder:
        marker = Path(folder) / "pickle_was_here.txt"
        samples = make_pickle_samples(marker)
        allowlist = exercise_allowlist(samples)
        for name, data in samples.items():
            result = call_learner(scan_pickle, data, allowlist, name="scan_pickle", where=f"on {name}",
                                  signature="scan_pickle(data, allowlist)", hints=_CRASH_HINTS)
            if marker.exists():
                raise CheckFailed(f"The marker file appeared while scanning {name}: your function LOADED the pickle "
                                  "(pickle.loads, joblib.load...). A scanner must only read opcodes with "
                                  "pickletools.genops; loading is exactly what it protects against.")
            got = _as_names(result, name)
            want = _normalise(set(pickle_imports(data)) - allowlist)
            if name in SAFE_SAMPLES:
                if got & _normalise(allowlist):
                    raise CheckFailed(f"For {name} you report {sorted(got & _normalise(allowlist))}, which are in the "
                                      "allowlist. Return only the imports that are *not* in `allowlist`.")
                if got:
                    raise CheckFailed(f"For {name}, an honest scikit-learn model, you report {sorted(got)}, which it "
                                      "does not import. Probably a memo problem: in protocols 4-5 module names are "
                                      "stored with MEMOIZE and reused with BINGET, so push memo[arg] on BINGET, and "
                                      "let STACK_GLOBAL use the top two stack items.")
                continue
            if not got:
                raise CheckFailed(f"`scan_pickle` finds nothing wrong with {name}, which imports {sorted(want)}. "
                                  f"{_MISS_HINTS[name]}")
            if got != want:
                raise CheckFailed(f"For {name} you report {sorted(got)}, but it imports {sorted(want)} outside the "
                                  f"allowlist. {_MISS_HINTS[name]}")
    passed("your scanner passes the three honest model pickles and blocks all four payloads (GLOBAL, STACK_GLOBAL, "
           "memo and the hand-written stack trick), without loading any of them.")


# --------------------------------------------------------------------------------------------------
# Task 2: sign and verify a release, from scratch. The check is hand-written on purpose: the task is to build the
# from-scratch version, so it verifies with cryptography's Ed25519 directly (task 3's check uses model-signing).
# --------------------------------------------------------------------------------------------------

def _call_verify(verify_release, public_key, artifact, manifest, signatures) -> tuple[bool, str]:
    """(accepted?, how it rejected). A verify that returns False is reported separately by the caller."""
    try:
        result = verify_release(public_key, artifact, manifest, signatures)
    except Exception as exc:  # noqa: BLE001 - any exception counts as a rejection
        return False, f"{type(exc).__name__}: {exc}"
    if result is False:
        raise CheckFailed("`verify_release` returned False instead of raising. A caller that forgets to look at the "
                          "return value loads the model anyway: raise an exception (e.g. InvalidSignature or "
                          "ValueError) whenever anything does not check out.")
    return True, ""


def _signature_bytes(value: Any, what: str) -> bytes:
    if isinstance(value, str):
        raise CheckFailed(f"signatures[{what!r}] is text ({len(value)} characters). Keep the raw bytes that "
                          "`private_key.sign(...)` returns (64 bytes); encode them only when you write a file.")
    require(isinstance(value, (bytes, bytearray)),
            f"signatures[{what!r}] should be the bytes returned by `private_key.sign(...)`, not a "
            f"{type(value).__name__}.")
    require(len(value) == 64, f"signatures[{what!r}] is {len(value)} bytes; an Ed25519 signature is 64 bytes.")
    return bytes(value)


def check_signing(sign_release: Callable | None, verify_release: Callable | None, artifact: bytes,
                  manifest: dict) -> None:
    """*sign_release* signs the digest and the canonical manifest; *verify_release* rejects every tampered release.

    Hand-written on purpose (the task builds the from-scratch version): signatures are checked with ``cryptography``.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    require_function(sign_release, "sign_release")
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    signatures = sign_release(key, artifact, manifest)
    require_done(signatures, "sign_release(...)'s return value")
    require(isinstance(signatures, dict), f"`sign_release` should return a dict with keys 'artifact' and 'manifest', "
                                          f"not a {type(signatures).__name__}.")
    missing = [k for k in ("artifact", "manifest") if k not in signatures]
    require(not missing, f"The dict from `sign_release` has no key {missing}; use 'artifact' and 'manifest'.")
    art_sig = _signature_bytes(signatures["artifact"], "artifact")
    man_sig = _signature_bytes(signatures["manifest"], "manifest")

    def signed(sig: bytes, data: bytes) -> bool:
        try:
            public.verify(sig, data)
            return True
        except InvalidSignature:
            return False

    digest = hashlib.sha256(artifact).digest()
    if not signed(art_sig, digest):
        if signed(art_sig, hashlib.sha256(artifact).hexdigest().encode()):
            raise CheckFailed("signatures['artifact'] signs the 64-character *hex* text of the hash. Sign the 32 raw "
                              "bytes: `hashlib.sha256(artifact).digest()`.")
        if signed(art_sig, artifact):
            raise CheckFailed("signatures['artifact'] signs the whole artifact. Sign its sha256 digest "
                              "(`hashlib.sha256(artifact).digest()`): verifiers can then hash a large file in chunks.")
        if signed(art_sig, canonical_json(manifest)) or signed(man_sig, digest):
            raise CheckFailed("The two signatures are swapped: 'artifact' must sign the artifact's digest, 'manifest' "
                              "the canonical manifest.")
        raise CheckFailed("signatures['artifact'] does not verify over sha256(artifact).digest() with the key you were "
                          "given. Sign `hashlib.sha256(artifact).digest()` with `private_key.sign(...)`.")
    if not signed(man_sig, canonical_json(manifest)):
        if signed(man_sig, json.dumps(manifest).encode()):
            raise CheckFailed("signatures['manifest'] signs `json.dumps(manifest)`, whose key order and spacing can "
                              "change when the file is rewritten. Sign `ch13.canonical_json(manifest)`.")
        if signed(man_sig, json.dumps(manifest, sort_keys=True).encode()) or signed(
                man_sig, json.dumps(manifest, indent=2).encode()):
            raise CheckFailed("signatures['manifest'] signs a JSON form with whitespace. Sign exactly "
                              "`ch13.canonical_json(manifest)` (sorted keys, no spaces), so every verifier gets the "
                              "same bytes.")
        raise CheckFailed("signatures['manifest'] does not verify over ch13.canonical_json(manifest). Sign those bytes.")

    require_function(verify_release, "verify_release")
    ok, why = _call_verify(verify_release, public, artifact, manifest, signatures)
    require(ok, f"`verify_release` rejects a correct release ({why}). It must return None when both signatures "
                "verify and the manifest names the artifact's hash.")
    reordered = json.loads(json.dumps(dict(reversed(list(manifest.items())))))
    ok, why = _call_verify(verify_release, public, artifact, reordered, signatures)
    require(ok, f"`verify_release` rejects the same manifest with its keys in another order ({why}). Verify over "
                "`ch13.canonical_json(manifest)`, not over `json.dumps(manifest)`.")

    flipped = bytearray(artifact)
    flipped[len(flipped) // 2] ^= 0x01
    better = json.loads(json.dumps(manifest))
    better["metrics"]["accuracy"] = 0.99
    attacker = Ed25519PrivateKey.generate()
    other_artifact, _ = make_release(seed=1)
    other_manifest = dict(manifest, sha256=hashlib.sha256(other_artifact).hexdigest(), bytes=len(other_artifact))
    older_sigs = {"artifact": key.sign(hashlib.sha256(other_artifact).digest()), "manifest": man_sig}
    attacks = [
        ("an artifact with one bit flipped", bytes(flipped), manifest, signatures,
         "Recompute sha256 of the artifact bytes you were given and verify signatures['artifact'] over that digest."),
        ("a manifest whose accuracy was edited to 0.99", artifact, better, signatures,
         "Verify signatures['manifest'] over canonical_json of the manifest you were given."),
        ("an edited manifest re-signed by the attacker's own key", artifact, better,
         {"artifact": attacker.sign(digest), "manifest": attacker.sign(canonical_json(better))},
         "Verify with the public key you were given (the one you trust), never with a key that travels with the "
         "release."),
        ("another artifact, with the manifest's sha256 updated to match it", other_artifact, other_manifest,
         signatures, "The manifest changed, so its signature must fail: verify it before trusting its sha256."),
        ("an older artifact we really signed, shipped with the current manifest", other_artifact, manifest, older_sigs,
         "Both signatures are genuine, but for different releases. Also check that manifest['sha256'] equals the "
         "sha256 of the artifact."),
    ]
    for description, art, man, sigs, hint in attacks:
        ok, _ = _call_verify(verify_release, public, art, man, sigs)
        if ok:
            raise CheckFailed(f"`verify_release` accepts {description}. {hint}")
    passed("sign_release signs the digest and the canonical manifest; verify_release accepts the genuine release "
           "(in any key order) and rejects a flipped bit, an edited manifest, a foreign key, a swapped artifact and "
           "a mix of two genuine releases.")


# --------------------------------------------------------------------------------------------------
# Task 3: the same release with model-signing, judged by model-signing
# --------------------------------------------------------------------------------------------------

_KEYLESS_SIGN = ("`sign_model_dir` signs with Sigstore keyless, model-signing's default when no signer is configured: "
                 "it opens a browser login (OIDC) and needs the network. Sign with the key file instead: "
                 "`model_signing.signing.Config().use_elliptic_key_signer(private_key=private_key).sign(model_dir, "
                 "signature)`.")
_KEYLESS_VERIFY = ("`verify_model_dir` verifies a Sigstore keyless signature (an identity and its OIDC issuer), but "
                   "this release is signed with a key. Use `model_signing.verifying.Config().use_elliptic_key_verifier("
                   "public_key=public_key).verify(model_dir, signature)`.")


@contextlib.contextmanager
def _no_keyless() -> Iterator[None]:
    """While the learner's functions run, model-signing's keyless Sigstore flow fails at once with a diagnosis
    instead of opening a browser and reaching for the network."""
    import model_signing

    def refuse(message):
        def method(self, *args, **kwargs):
            raise CheckFailed(message)
        return method

    saved = model_signing.signing.Config.use_sigstore_signer, model_signing.verifying.Config.use_sigstore_verifier
    model_signing.signing.Config.use_sigstore_signer = refuse(_KEYLESS_SIGN)
    model_signing.verifying.Config.use_sigstore_verifier = refuse(_KEYLESS_VERIFY)
    try:
        yield
    finally:
        model_signing.signing.Config.use_sigstore_signer, model_signing.verifying.Config.use_sigstore_verifier = saved


def _statement(signature: Path) -> dict:
    """The in-toto statement inside a model-signing bundle (the base64 payload of its DSSE envelope)."""
    try:
        bundle = json.loads(signature.read_text(encoding="utf-8"))
        return json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    except Exception as exc:  # noqa: BLE001 - whatever the learner wrote there, it is not a bundle
        raise CheckFailed(f"The file `sign_model_dir` wrote at `signature` is not a model-signing bundle "
                          f"({type(exc).__name__}). Let model-signing write it: "
                          "`.sign(model_dir, signature)`.") from None


def _model_signing_verdict(model_dir: Path, signature: Path, public_key: Path) -> str:
    """'' if model-signing accepts *model_dir* against *signature* and *public_key*, else why not."""
    import model_signing
    from cryptography.exceptions import InvalidSignature

    try:
        model_signing.verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(model_dir, signature)
    except InvalidSignature:
        return "the signature does not verify"
    except Exception as exc:  # noqa: BLE001 - model-signing's ValueErrors say what mismatched
        return re.sub(r": Expected .*", "", str(exc))
    return ""


def _call_verify_dir(verify_model_dir, model_dir, signature, public_key) -> tuple[bool, str]:
    """(accepted?, how it rejected). A verify that returns False instead of raising fails the check."""
    try:
        result = verify_model_dir(model_dir, signature, public_key)
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any exception counts as a rejection
        return False, f"{type(exc).__name__}: {re.sub(r': Expected .*', '', str(exc))}"
    if result is False:
        raise CheckFailed("`verify_model_dir` returned False instead of raising. A caller that forgets to look at the "
                          "return value loads the model anyway: let model-signing's exception propagate (do not catch "
                          "it), or raise your own.")
    return True, ""


def _tampered(release: Path, signature: Path, folder: Path, change: Callable[[Path, Path], Any]) -> tuple[Path, Path]:
    """A copy of the signed release in *folder*, with *change(model_dir, signature)* applied."""
    shutil.copytree(release, folder)
    copy = folder.with_name(folder.name + ".sig")
    shutil.copy(signature, copy)
    change(folder, copy)
    return folder, copy


def _flip_signature_bit(model_dir: Path, signature: Path) -> None:
    bundle = json.loads(signature.read_text(encoding="utf-8"))
    raw = bytearray(base64.b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"]))
    raw[-1] ^= 0x01
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode()
    signature.write_text(json.dumps(bundle), encoding="utf-8")


def _flip_artifact_bit(model_dir: Path, signature: Path) -> None:
    path = model_dir / "churn_tree.pkl"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _edit_manifest(model_dir: Path, signature: Path) -> None:
    manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["metrics"]["accuracy"] = 0.99
    (model_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


_FILES_HINTS = {
    KeyError: ("The bundle's top-level keys are 'mediaType', 'verificationMaterial' and 'dsseEnvelope'; the statement "
               "is `json.loads(base64.b64decode(bundle['dsseEnvelope']['payload']))`, and its files are "
               "`statement['predicate']['resources']`, each with a 'name'."),
    (ValueError, UnicodeDecodeError): ("The envelope's 'payload' is base64: decode it with base64.b64decode before "
                                       "json.loads."),
}


def check_model_signing(sign_model_dir: Callable | None, verify_model_dir: Callable | None,
                        signed_files: Callable | None) -> None:
    """Task 3, judged by model-signing itself: the learner's signature must verify with model-signing and the public
    key, and cover every file of the directory; ``signed_files`` must read those files from the bundle; the learner's
    verifier must accept the release and reject each tampered copy (by raising)."""
    require_function(sign_model_dir, "sign_model_dir")
    with tempfile.TemporaryDirectory() as folder, _no_keyless():
        work = Path(folder)
        release = make_release_dir(work / "release")
        files = sorted(p.name for p in release.iterdir())
        private, public = write_key_pair(work, "release-key")
        attacker_private, attacker_public = write_key_pair(work, "attacker-key")
        signature = work / "release.sig"
        call_learner(sign_model_dir, release, private, signature, name="sign_model_dir", where="on a release directory",
                     signature="sign_model_dir(model_dir, private_key, signature)", let_through=(CheckFailed,))
        require(signature.exists(), "`sign_model_dir` wrote no file at `signature`. Pass that path to model-signing: "
                                    "`.sign(model_dir, signature)`.")
        statement = _statement(signature)
        covered = sorted(r.get("name") for r in statement.get("predicate", {}).get("resources", []))
        subject = (statement.get("subject") or [{}])[0].get("name")
        if covered == ["."]:
            raise CheckFailed(f"Your signature covers one file ({subject}), not the directory. Sign `model_dir` "
                              "itself, so that the manifest, and any file added to the directory later, are covered "
                              "too.")
        missing = sorted(set(files) - set(covered))
        if missing:
            raise CheckFailed(f"Your signature does not cover {missing}: model-signing was told to ignore them "
                              "(`set_ignored_paths`?). Sign every file of the directory: whatever is left out can be "
                              "edited without breaking the signature.")
        why = _model_signing_verdict(release, signature, public)
        if why:
            if "Key mismatch" in why or "does not verify" in why:
                raise CheckFailed("model-signing rejects your signature with the public key that pairs with "
                                  "`private_key`: did you sign with another key? Sign with the key file you were "
                                  "given.")
            raise CheckFailed(f"model-signing rejects the signature you made: {why}.")

        require_function(signed_files, "signed_files")
        names = require_names(call_learner(signed_files, signature, name="signed_files",
                                           signature="signed_files(signature)", hints=_FILES_HINTS),
                              "What `signed_files` returned", example="'manifest.json'", kind="file names")
        if sorted(names) != files:
            if subject in names:
                raise CheckFailed(f"`signed_files` returned {sorted(names)}: {subject!r} is the statement's subject "
                                  "(the directory as a whole). The files are "
                                  "`statement['predicate']['resources']`: return each one's 'name'.")
            if names and all(re.fullmatch(r"[0-9a-f]{64}", n) for n in names):
                raise CheckFailed("`signed_files` returned digests. Return each resource's 'name' (the file), not its "
                                  "'digest'.")
            raise CheckFailed(f"`signed_files` returned {sorted(names)}, but the signature covers {files}. Read them "
                              "from the bundle: `statement['predicate']['resources']`, each with a 'name'.")

        require_function(verify_model_dir, "verify_model_dir")
        ok, why = _call_verify_dir(verify_model_dir, release, signature, public)
        if not ok:
            hint = (" Configure a verifier first: `model_signing.verifying.Config().use_elliptic_key_verifier("
                    "public_key=public_key)`." if "no configured verifier" in why else "")
            raise CheckFailed(f"`verify_model_dir` rejects the release you just signed, which model-signing accepts "
                              f"({why}).{hint}")

        def resign(model_dir: Path, sig: Path) -> None:
            _flip_artifact_bit(model_dir, sig)
            import model_signing
            model_signing.signing.Config().use_elliptic_key_signer(private_key=attacker_private).sign(model_dir, sig)

        attacks = [
            ("an artifact with one bit flipped", _flip_artifact_bit, public,
             "Let model-signing's exception propagate: do not catch it, and do not return a value instead."),
            ("a manifest whose accuracy was edited to 0.99", _edit_manifest, public,
             "Verify the whole directory, not only the artifact: the manifest is one of the signed files."),
            ("a directory with a file added after signing (loader_patch.py)",
             lambda d, s: (d / "loader_patch.py").write_text("import os\n"), public,
             "Do not set `set_ignore_unsigned_files(True)`: a file nobody signed is exactly what an attacker adds."),
            ("a changed artifact that the attacker re-signed with their own key", resign, public,
             "Comparing the files' hashes with the statement is not enough, anyone can write a statement: verify the "
             "signature with the public key you were given, `use_elliptic_key_verifier(public_key=public_key)`."),
            ("a signature with one bit flipped", _flip_signature_bit, public,
             "Verify the signature itself with model-signing, not only the hashes listed in the statement."),
            ("the genuine release, checked against another public key", lambda d, s: None, attacker_public,
             "Verify with the `public_key` argument: the key you trust is the one the caller passes in."),
        ]
        for i, (description, change, key, hint) in enumerate(attacks):
            model_dir, sig = _tampered(release, signature, work / f"attack{i}", change)
            require(_model_signing_verdict(model_dir, sig, key) != "",
                    f"(course bug) model-signing accepts {description}")
            ok, _ = _call_verify_dir(verify_model_dir, model_dir, sig, key)
            if ok:
                raise CheckFailed(f"`verify_model_dir` accepts {description}, which model-signing rejects. {hint}")
    passed(f"sign_model_dir signs every file ({', '.join(files)}) with your key, and model-signing verifies it; "
           "signed_files reads them from the bundle; verify_model_dir accepts the release and rejects a flipped bit, "
           "an edited manifest, an added file, an attacker's re-signature, a flipped signature bit and the wrong key.")


# --------------------------------------------------------------------------------------------------
# Task 4: sensitive columns in a feature table; task 5: what to do with each (answer key private: _answers.ch13)
# --------------------------------------------------------------------------------------------------

_NOT_SENSITIVE_WHY = {
    "plan": "a category with four values: it identifies nobody",
    "router_model": "a category with a handful of values: it identifies nobody",
    "tenure_months": "a small integer (months): on its own it identifies nobody",
    "support_tickets": "a small count: on its own it identifies nobody",
    "avg_download_mbps": ("a float measurement: almost every value is distinct, but that is normal for a "
                          "measurement. Count distinct values only for text and integer columns"),
    "churned": "the label, 0 or 1",
}


_MISS_WHY = {
    "identifier": ("has a distinct value on (almost) every row: an identifier, whatever its name. Flag text and "
                   "integer columns whose nunique() is close to len(df)"),
    "e-mail": "holds an e-mail address on every row. Match values against an e-mail pattern, not only column names",
    "phone": ("holds phone numbers such as '+44 7700 900123'; its name says nothing. Match values with a phone "
              "pattern (e.g. r'\\+?\\d[\\d ()-]{8,}\\d')"),
    "free text": ("is free text in which only a few dozen rows leak an e-mail address or an API key (AKIA...). Scan "
                  "every value of text columns, not df.head(), and add a pattern for key formats"),
    "date of birth": ("holds dates of birth: nearly every value is distinct, and a name hint for 'birth'/'dob' "
                      "catches it too"),
    "postcode": ("holds full postcodes: nearly every value is distinct (and a name hint or a postcode pattern "
                 "catches it too)"),
}


def _columns_from(result: Any, table_name: str, columns) -> set[str]:
    if result is None:
        raise CheckFailed(f"`find_sensitive_columns` returned None for {table_name}; return a list of column names.")
    if isinstance(result, str):
        raise CheckFailed(f"`find_sensitive_columns` returned one string for {table_name}; return a list of column "
                          "names.")
    if hasattr(result, "index") and hasattr(result, "columns"):
        raise CheckFailed(f"`find_sensitive_columns` returned a DataFrame for {table_name}; return just the list of "
                          "flagged column names (e.g. `list(report.index[report['findings'] != '-'])`).")
    items = list(result.keys()) if isinstance(result, dict) else list(result)
    unknown = [item for item in items if item not in set(columns)]
    require(not unknown, f"`find_sensitive_columns` returned {unknown}, which are not columns of {table_name}.")
    return set(items)


def check_sensitive_columns(find_sensitive_columns: Callable | None) -> None:
    """The learner's detector finds exactly the sensitive columns, also when their names say nothing."""
    from coursekit.checks._answers.ch13 import SENSITIVE

    require_function(find_sensitive_columns, "find_sensitive_columns")
    for label, table, names in [("the exercise table", make_feature_table(0), {c: c for c in SENSITIVE}),
                                ("a second table whose sensitive columns are renamed",
                                 make_feature_table(1, renamed=True), RENAMED)]:
        try:
            found = _columns_from(find_sensitive_columns(table.copy()), label, table.columns)
        except CheckFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - a crash is a bug in the learner's function
            raise CheckFailed(f"`find_sensitive_columns` crashed on {label}: {type(exc).__name__}: {exc}. Numeric "
                              "columns have no .str accessor: only apply text patterns to text columns.") from None
        for original, kind in SENSITIVE.items():
            column = names[original]
            if column not in found:
                raise CheckFailed(f"On {label} you missed `{column}`: it {_MISS_WHY[kind]}.")
        extra = sorted(found - {names[c] for c in SENSITIVE})
        if extra:
            why = _NOT_SENSITIVE_WHY.get(extra[0], "not personal data or a secret")
            raise CheckFailed(f"On {label} you also flag `{extra[0]}`: {why}. Every false positive costs a reviewer "
                              "time and teaches people to ignore the scanner.")
    passed("find_sensitive_columns flags the six sensitive columns and nothing else, also when their names say "
           "nothing.")


_ACTIONS = {"drop": "drop", "pseudonymise": "pseudonymise", "pseudonymize": "pseudonymise", "hmac": "pseudonymise",
            "generalise": "generalise", "generalize": "generalise"}

_RIGHT_ACTION = {
    "account_ref": ("pseudonymise", "it is the join key to the label table: replace it with an HMAC-SHA256 token "
                                    "(same id, same token; nobody can compute tokens without the key)"),
    "email_addr": ("drop", "the model does not use it and nothing joins on it: drop it"),
    "contact": ("drop", "the model does not use phone numbers and nothing joins on them: drop them"),
    "comment": ("drop", "free text cannot be generalised or joined on, and it leaks e-mail addresses and keys: drop "
                        "it (and rotate the leaked keys)"),
    "birth_date": ("generalise", "the model uses age: turn the date into an age band instead of dropping the signal"),
    "postcode": ("generalise", "the model uses location: keep only the postcode area (the letters before the "
                               "digits)"),
}


def check_minimisation_plan(plan: dict | None) -> None:
    """One action per sensitive column: drop, pseudonymise or generalise, each the right one."""
    from coursekit.checks._answers.ch13 import SENSITIVE

    require_done(plan, "plan")
    require(isinstance(plan, dict), f"`plan` should be a dict (column → action), not a {type(plan).__name__}.")
    missing = [c for c in SENSITIVE if c not in plan]
    require(not missing, f"`plan` has no action for {missing}. Decide for every sensitive column.")
    extra = [c for c in plan if c not in SENSITIVE]
    require(not extra, f"`plan` has actions for {extra}, which are not sensitive columns; leave those alone.")
    for column, raw in plan.items():
        action = _ACTIONS.get(str(raw).strip().lower())
        require(action is not None, f"plan[{column!r}] is {raw!r}; use one of 'drop', 'pseudonymise', 'generalise'.")
        right, why = _RIGHT_ACTION[column]
        if action != right:
            raise CheckFailed(f"plan[{column!r}] = {action!r}, but {why}.")
    passed("drop what nobody uses, HMAC the join key, generalise what the model needs: birth date → age band, "
           "postcode → area.")


# --------------------------------------------------------------------------------------------------
# Task 6: EU AI Act risk classes (open)
# --------------------------------------------------------------------------------------------------

SYSTEMS = {
    "cv_screening": ("Ranks incoming applications for a retailer's store-manager vacancies and automatically rejects "
                     "the lowest-scoring 60% before a recruiter sees them."),
    "support_chatbot": ("An LLM assistant in the chat window of an internet provider's website answers customers' "
                        "billing and outage questions and can open a support ticket."),
    "gpu_forecast": ("Forecasts next month's GPU-hours per team from past usage, so the platform team can plan cloud "
                     "reservations."),
}

CLASSES = ("prohibited", "high-risk", "transparency", "minimal")
_CLASS_ALIASES = {"high": "high-risk", "high risk": "high-risk", "highrisk": "high-risk", "limited": "transparency",
                  "limited-risk": "transparency", "limited risk": "transparency", "transparency-risk": "transparency",
                  "minimal-risk": "minimal", "minimal risk": "minimal", "unacceptable": "prohibited"}
_RIGHT_CLASS = {"cv_screening": "high-risk", "support_chatbot": "transparency", "gpu_forecast": "minimal"}
_WHY_NOT_CLASS = {
    ("cv_screening", "prohibited"): ("screening job applications is not one of the practices Article 5 bans (social "
                                     "scoring, manipulation, emotion recognition at work...); it is allowed, under the "
                                     "high-risk rules"),
    ("cv_screening", "transparency"): ("telling candidates is not enough: recruitment and the filtering of applications "
                                       "are listed in Annex III (point 4), which makes the system high-risk"),
    ("cv_screening", "minimal"): ("recruitment and the filtering of applications are listed in Annex III (point 4): "
                                  "high-risk, even though a recruiter sees the survivors"),
    ("support_chatbot", "prohibited"): "answering billing questions is not among the practices Article 5 bans",
    ("support_chatbot", "high-risk"): ("a billing assistant is not an Annex III use (it does not decide on credit, jobs "
                                       "or public benefits); its duty is transparency"),
    ("support_chatbot", "minimal"): ("it interacts directly with people, so Article 50(1) requires telling them they are "
                                     "talking to an AI (unless that is obvious): a transparency obligation"),
    ("gpu_forecast", "prohibited"): "forecasting GPU demand is not among the practices Article 5 bans",
    ("gpu_forecast", "high-risk"): ("it plans cloud reservations: it is not a safety component of critical "
                                    "infrastructure and decides nothing about people, so no Annex III area applies"),
    ("gpu_forecast", "transparency"): ("nobody interacts with it and it generates no synthetic content for the public: "
                                       "Article 50 does not apply"),
}


def check_risk_classes(risk_classes: dict | None, justifications: dict | None, *, min_words: int = 15) -> None:
    """One EU AI Act class per system, each right, each justified in at least *min_words* words."""
    require_done(risk_classes, "risk_classes")
    require(isinstance(risk_classes, dict),
            f"`risk_classes` should be a dict (system → class), not a {type(risk_classes).__name__}.")
    missing = [s for s in SYSTEMS if s not in risk_classes]
    require(not missing, f"`risk_classes` has no entry for {missing}. Keep the three keys given in the cell.")
    chosen = {}
    for system in SYSTEMS:
        raw = risk_classes[system]
        require_done(raw, f"risk_classes[{system!r}]")
        value = str(raw).strip().lower().replace("_", "-")
        value = _CLASS_ALIASES.get(value, value)
        require(value in CLASSES, f"risk_classes[{system!r}] is {raw!r}; pick one of {', '.join(CLASSES)}.")
        if value != _RIGHT_CLASS[system]:
            raise CheckFailed(f"risk_classes[{system!r}] = {value!r}: {_WHY_NOT_CLASS[(system, value)]}.")
        chosen[system] = value
    require_done(justifications, "justifications")
    require(isinstance(justifications, dict),
            f"`justifications` should be a dict (system → text), not a {type(justifications).__name__}.")
    for system in SYSTEMS:
        require_prose(justifications.get(system), f"justifications[{system!r}]", min_words,
                      f"write 1-3 sentences (at least {min_words} words): which part of the Act applies (Article 5, "
                      "Annex III, Article 50 or none), and one duty or consequence for the team that runs it.")
    passed(f"cv_screening → {chosen['cv_screening']}, support_chatbot → {chosen['support_chatbot']}, gpu_forecast → "
           f"{chosen['gpu_forecast']}, each with a justification.")
