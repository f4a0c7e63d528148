"""Verifying a passport QR offline, with nothing but the trust list.

Checking a passport takes these steps:

1. Parse the QR text into the verification URL (which must be the trust
   list's) and the COSE_Sign1 bytes.
2. Find the signing key by its kid, read unverified, among the trust
   list's passport signers.
3. Verify the Ed25519 signature; only then read the claims.
4. The key was valid when the passport was issued, and not marked
   compromised before then.
5. The passport lasts at most ``MAX_PASSPORT_DAYS``, so a stolen key that
   dates a passport before its ``compromised_since`` cannot make it last
   for ever.
6. The passport is current: issued no later than now, not yet expired.

Steps 1–5 decide whether it is authentic; step 6 whether it is current.
Revocation and erasure need the online status service (``passport.verdict``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schemas.passport import MAX_PASSPORT_DAYS
from schemas.trust import TrustedKey, TrustList
from verify.compact import CompactPassport, peek_kid, verify_compact
from verify.errors import (
    Expired,
    KeyCompromised,
    MalformedInput,
    NotCurrent,
    NotYetValid,
    UntrustedSigner,
)
from verify.qrtext import parse_qr_text
from verify.trust import key_window_contains, public_key

CLOCK_SKEW = dt.timedelta(minutes=5)
# the longest passport issuance may write (about ten years); verification
# refuses longer ones, so both must read it from here


@dataclass(frozen=True)
class AuthenticPassport:
    """A passport whose signature checks against a trusted passport signer."""

    passport: CompactPassport
    signer: TrustedKey
    verify_url: str


def open_passport(qr_text: str, trust_list: TrustList) -> AuthenticPassport:
    """Steps 1–5: raise a VerificationError unless the QR is authentic.

    A lifetime over ``MAX_PASSPORT_DAYS`` raises MalformedInput, not
    NotCurrent: NotCurrent is about when (the key's window, today's date) and
    is shown to people that way, whereas this breaks a rule of the format
    that no issuer of ours breaks and no date of checking mends.
    """
    # The URL is outside the signature: one that points elsewhere is refused.
    verify_url, cose = parse_qr_text(qr_text, expected_url=trust_list.verify_url)

    kid = peek_kid(cose)
    signer = next(
        (k for k in trust_list.passport_signers if k.key_id == kid.hex()), None
    )
    if signer is None:
        raise UntrustedSigner(
            f"kid: {kid.hex()} is not a passport signer on trust list "
            f"version {trust_list.version}"
        )

    passport = verify_compact(cose, public_key(signer.public_key))

    if not key_window_contains(signer, passport.issued_at):
        raise NotCurrent(
            f"iat: issued {passport.issued_at:%Y-%m-%d} outside the validity of "
            f"signer key {signer.key_id}"
        )
    if signer.compromised_since and passport.issued_at >= signer.compromised_since:
        raise KeyCompromised(
            f"kid: signer key {signer.key_id} is compromised since "
            f"{signer.compromised_since:%Y-%m-%d}"
        )

    lifetime = passport.expires_at - passport.issued_at
    if lifetime > dt.timedelta(days=MAX_PASSPORT_DAYS):
        raise MalformedInput(
            f"exp: {lifetime} after iat, more than the {MAX_PASSPORT_DAYS} days "
            "a passport may last"
        )
    return AuthenticPassport(passport, signer, verify_url)


def check_current(passport: CompactPassport, *, now: dt.datetime) -> None:
    """Step 6: raise NotYetValid or Expired unless ``now`` is inside its dates."""
    if now + CLOCK_SKEW < passport.issued_at:
        raise NotYetValid(f"iat: issued {passport.issued_at:%Y-%m-%d %H:%M} UTC")
    if now >= passport.expires_at:
        raise Expired(f"exp: expired {passport.expires_at:%Y-%m-%d %H:%M} UTC")
