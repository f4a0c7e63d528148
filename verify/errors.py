"""Why a verification failed.

Every check in ``verify`` raises one of these, carrying the offending value;
nothing returns a bare ``False``. The result a person sees is built from
these reasons at the edge (CLI, web page)::

    VerificationError
    ├── MalformedInput          the input is not what it claims to be
    │   └── QrNotFound          no QR code of ours in a PDF or image
    ├── UntrustedSigner         key or issuer not on the trust list
    │   └── KeyCompromised      signed by a key marked compromised
    ├── BadSignature            the signature does not verify
    ├── NotAccredited           the issuer may not sign this event
    ├── NotCurrent              outside its validity window
    │   ├── Expired
    │   └── NotYetValid
    ├── Revoked                 revoked by a later ledger entry
    ├── StatusUnavailable       the online status could not be checked
    ├── HolderErased            the holder's personal data was erased
    ├── NotOnRecord             the service has no record of issuing it
    └── LogInconsistent         the log no longer holds what it held
"""

from __future__ import annotations


class VerificationError(Exception):
    """Root of every verification failure; ``reason`` is a short stable code."""

    reason = "invalid"


class MalformedInput(VerificationError):
    reason = "malformed"


class QrNotFound(MalformedInput):
    reason = "qr_not_found"


class UntrustedSigner(VerificationError):
    reason = "unknown_signer"


class KeyCompromised(UntrustedSigner):
    reason = "key_compromised"


class BadSignature(VerificationError):
    reason = "bad_signature"


class NotAccredited(VerificationError):
    reason = "not_accredited"


class NotCurrent(VerificationError):
    reason = "not_current"


class Expired(NotCurrent):
    reason = "expired"


class NotYetValid(NotCurrent):
    reason = "not_yet_valid"


class Revoked(VerificationError):
    """Revoked by a later entry; ``revoked_on`` and ``why`` are what it says."""

    reason = "revoked"

    def __init__(self, message: str, *, revoked_on: str = "", why: str = "") -> None:
        super().__init__(message)
        self.revoked_on = revoked_on
        self.why = why


class StatusUnavailable(VerificationError):
    reason = "status_unknown"


class HolderErased(VerificationError):
    reason = "holder_erased"


class NotOnRecord(VerificationError):
    reason = "unknown_passport"


class LogInconsistent(VerificationError):
    reason = "log_inconsistent"


def describe_json_error(exc: ValueError) -> str:
    """Where a JSON document fails to parse, in words rather than an exception."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    lineno, colno = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if lineno is None:
        return "not a JSON document"
    return f"not a JSON document (line {lineno}, column {colno})"
