"""W3C Data Integrity proofs with the EdDSA cryptosuites (vc-di-eddsa v1.0).

Two suites, one signature scheme: ``eddsa-rdfc-2022`` canonicalises with
RDFC-1.0 (JSON-LD to N-Quads, what Open Badges validators and learner
wallets check), ``eddsa-jcs-2022`` with RFC 8785. Both sign, with pure
Ed25519, SHA-256(canonical proof configuration) ‖ SHA-256(canonical
document), per vc-di-eddsa §3.3 and §3.4. A document may carry several
independent proofs (a proof set); chains (``previousProof``) are refused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from verify.errors import BadSignature, MalformedInput
from verify.jsonld import canonical_nquads
from verify.multikey import proof_value, signature_from_proof_value

logger = logging.getLogger(__name__)

RDFC = "eddsa-rdfc-2022"
JCS = "eddsa-jcs-2022"
CRYPTOSUITES = (RDFC, JCS)
PROOF_TYPE = "DataIntegrityProof"

KeyResolver = Callable[[str], bytes]
"""Gives the raw Ed25519 public key of a verification method id, or raises."""


@dataclass(frozen=True)
class VerifiedProof:
    """A proof whose signature verified, and what it was made with."""

    cryptosuite: str
    verification_method: str
    proof_purpose: str
    created: str | None


def hash_data(
    document: dict[str, Any], proof_config: dict[str, Any], cryptosuite: str
) -> bytes:
    """The 64 bytes that are signed: proof configuration hash, then document hash."""
    if cryptosuite == RDFC:
        config = canonical_nquads(proof_config).encode("utf-8")
        doc = canonical_nquads(document).encode("utf-8")
    elif cryptosuite == JCS:
        config, doc = _jcs(proof_config), _jcs(document)
    else:
        raise MalformedInput(
            f"proof: cryptosuite {cryptosuite!r} is not one of "
            f"{', '.join(CRYPTOSUITES)}"
        )
    return hashlib.sha256(config).digest() + hashlib.sha256(doc).digest()


def create_proof(
    document: dict[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    cryptosuite: str,
    created: str,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """A proof over ``document`` (which must hold no proof), per vc-di-eddsa §3.

    The ``eddsa-jcs-2022`` proof carries the document's ``@context``, as its
    proof configuration must (§3.3.5).
    """
    if "proof" in document:
        raise MalformedInput("proof: the document to sign already has a proof")
    options: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": cryptosuite,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if cryptosuite == JCS:
        options["@context"] = document["@context"]
    config = {**options, "@context": document["@context"]}
    signature = private_key.sign(hash_data(document, config, cryptosuite))
    return {**options, "proofValue": proof_value(signature)}


def verify_proofs(
    document: dict[str, Any], resolve_key: KeyResolver
) -> list[VerifiedProof]:
    """Verify every proof of a secured document; raise at the first that fails.

    1. The document carries a proof or a proof set, every one a
       ``DataIntegrityProof`` of a supported cryptosuite with no
       ``previousProof``.
    2. For each, the unsecured document is the document without ``proof``; a
       proof's own ``@context`` must begin the document's.
    3. The signature verifies, over ``hash_data``, with the key that
       ``resolve_key`` gives for its verification method.
    """
    proofs = document.get("proof")
    if proofs is None:
        raise MalformedInput("proof: the document carries no proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    if not proofs:
        raise MalformedInput("proof: the document's proof set is empty")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return [
        _verify_one(unsecured, proof, i, resolve_key) for i, proof in enumerate(proofs)
    ]


def _verify_one(
    unsecured: dict[str, Any], proof: Any, i: int, resolve_key: KeyResolver
) -> VerifiedProof:
    where = f"proof[{i}]"
    if not isinstance(proof, dict):
        raise MalformedInput(f"{where}: not a JSON object")
    if proof.get("type") != PROOF_TYPE:
        raise MalformedInput(
            f"{where}: type is {proof.get('type')!r}, expected {PROOF_TYPE!r}"
        )
    cryptosuite = proof.get("cryptosuite")
    if cryptosuite not in CRYPTOSUITES:
        raise MalformedInput(
            f"{where}: cryptosuite {cryptosuite!r} is not one of "
            f"{', '.join(CRYPTOSUITES)}"
        )
    if "previousProof" in proof:
        raise MalformedInput(f"{where}: proof chains (previousProof) are not supported")
    method, value = proof.get("verificationMethod"), proof.get("proofValue")
    if not isinstance(method, str) or not isinstance(value, str):
        raise MalformedInput(f"{where}: verificationMethod and proofValue are needed")

    # 2. The proof's @context, where it has one, must begin the document's.
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    context = unsecured.get("@context")
    if "@context" in options:
        own = _as_list(options["@context"])
        if _as_list(context)[: len(own)] != own:
            raise BadSignature(
                f"{where}: its @context {own} does not begin the document's {context}"
            )
        unsecured = {**unsecured, "@context": options["@context"]}
    config = {**options, "@context": unsecured.get("@context")}

    # 3. The signature over the two hashes.
    signature = signature_from_proof_value(value)
    public_key = Ed25519PublicKey.from_public_bytes(resolve_key(method))
    try:
        public_key.verify(signature, hash_data(unsecured, config, cryptosuite))
    except InvalidSignature:
        raise BadSignature(
            f"{where}: {cryptosuite} signature by {method} does not verify"
        ) from None
    logger.debug("%s: %s proof by %s verified", where, cryptosuite, method)
    return VerifiedProof(
        cryptosuite=cryptosuite,
        verification_method=method,
        proof_purpose=str(proof.get("proofPurpose")),
        created=proof.get("created"),
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _jcs(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise MalformedInput(f"JCS: cannot canonicalise: {exc}") from exc
