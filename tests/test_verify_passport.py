"""Every way a passport QR fails offline verification, and the page's refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from issuers.keys import key_id, raw_public
from passport.service import Service
from passport.web.app import create_app
from schemas.events import CertificateType
from schemas.trust import Authority, LogInfo, TrustList
from tests import kit
from verify.compact import CompactCertificate, CompactPassport, sign_compact
from verify.cose import sign1
from verify.errors import (
    BadSignature,
    Expired,
    KeyCompromised,
    MalformedInput,
    NotCurrent,
    NotYetValid,
    UntrustedSigner,
    VerificationError,
)
from verify.passport import (
    CLOCK_SKEW,
    MAX_PASSPORT_DAYS,
    check_current,
    open_passport,
)
from verify.qrtext import to_qr_text

VERIFY_URL = "HTTPS://SKILLPASS.EXAMPLE.CN"
SIGNER = Ed25519PrivateKey.generate()
SIGNER_KID = bytes.fromhex(key_id(raw_public(SIGNER.public_key())))
STRANGER = Ed25519PrivateKey.generate()
STRANGER_KID = bytes.fromhex(key_id(raw_public(STRANGER.public_key())))
AUTHORITY = kit.trusted_key(Ed25519PrivateKey.generate())
ISSUED = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)


def make_passport(lifetime: dt.timedelta = 90 * DAY) -> CompactPassport:
    return CompactPassport(
        passport_id="0a1b2c3d4e5f6071",
        issued_at=ISSUED,
        expires_at=ISSUED + lifetime,
        masked_name="张*明",
        id_last4="002X",
        tree_size=4_096,
        certificates=(
            CompactCertificate(
                CertificateType.SKILL_LEVEL,
                "4-10-01-05",
                4,
                "S000050123456254000321",
                dt.date(2025, 4, 3),
            ),
        ),
    )


def make_trust_list(**window: dt.datetime) -> TrustList:
    """A trust list whose only passport signer is SIGNER, with ``window``."""
    return TrustList(
        version=3,
        issued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        authority=Authority(
            name="测试人社局", key_id=AUTHORITY.key_id, public_key=AUTHORITY.public_key
        ),
        log=LogInfo(origin=kit.ORIGIN, verifier_key="test+00000000+AAAA"),
        verify_url=VERIFY_URL,
        passport_signers=[kit.trusted_key(SIGNER, **window)],
        issuers=[],
    )


def make_qr(
    passport: CompactPassport | None = None,
    *,
    key: Ed25519PrivateKey = SIGNER,
    kid: bytes = SIGNER_KID,
    url: str = VERIFY_URL,
) -> str:
    cose = sign_compact(passport or make_passport(), private_key=key, key_id=kid)
    return to_qr_text(cose, url)


def lowercase_payload(text: str) -> str:
    url, payload = text.split("/V/")
    return f"{url}/V/{payload.lower()}"


# each case: QR text, trust-list window of SIGNER, error raised, message
OPEN_REFUSALS: dict[
    str, tuple[Callable[[], str], dict[str, dt.datetime], type[Exception], str]
] = {
    "unknown signer kid": (
        lambda: make_qr(key=STRANGER, kid=STRANGER_KID),
        {},
        UntrustedSigner,
        rf"^kid: {STRANGER_KID.hex()} is not a passport signer on trust list "
        r"version 3$",
    ),
    "bad signature": (
        lambda: make_qr(key=STRANGER),
        {},
        BadSignature,
        r"^signature: does not verify with the signer's key$",
    ),
    "forged unreadable claims": (
        # bytes no encoder writes, under a trusted kid: forged, not malformed
        lambda: to_qr_text(
            sign1(b"\xff forged", private_key=STRANGER, kid=SIGNER_KID), VERIFY_URL
        ),
        {},
        BadSignature,
        r"^signature: does not verify with the signer's key$",
    ),
    "signer key not yet valid at iat": (
        make_qr,
        {"valid_from": ISSUED + SECOND},
        NotCurrent,
        rf"^iat: issued 2026-03-02 outside the validity of signer key "
        rf"{SIGNER_KID.hex()}$",
    ),
    "signer key retired at iat": (
        make_qr,
        {"valid_until": ISSUED},
        NotCurrent,
        rf"^iat: issued 2026-03-02 outside the validity of signer key "
        rf"{SIGNER_KID.hex()}$",
    ),
    "signer key compromised before iat": (
        make_qr,
        {"compromised_since": ISSUED - DAY},
        KeyCompromised,
        rf"^kid: signer key {SIGNER_KID.hex()} is compromised since 2026-03-01$",
    ),
    "signer key compromised at iat": (
        make_qr,
        {"compromised_since": ISSUED},
        KeyCompromised,
        rf"^kid: signer key {SIGNER_KID.hex()} is compromised since 2026-03-02$",
    ),
    "lifetime too long": (
        lambda: make_qr(make_passport(MAX_PASSPORT_DAYS * DAY + SECOND)),
        {},
        MalformedInput,
        r"^exp: 3660 days, 0:00:01 after iat, more than the 3660 days a passport "
        r"may last$",
    ),
    "lifetime too long from a key stolen later": (
        # dated before compromised_since, so only the lifetime limit catches it
        lambda: make_qr(make_passport(50 * 365 * DAY)),
        {"compromised_since": ISSUED + DAY},
        MalformedInput,
        r"^exp: 18250 days, 0:00:00 after iat, more than the 3660 days",
    ),
    "url pointing elsewhere": (
        lambda: make_qr(url="HTTPS://SKILLPASS.EXAMPLE.COM"),
        {},
        MalformedInput,
        r"^verify url: HTTPS://SKILLPASS\.EXAMPLE\.COM, expected "
        r"HTTPS://SKILLPASS\.EXAMPLE\.CN$",
    ),
    "lowercase payload": (
        lambda: lowercase_payload(make_qr()),
        {},
        MalformedInput,
        r"^base32: character '[a-z]' at offset \d+ is lowercase, expected A-Z 2-7$",
    ),
}


@pytest.mark.parametrize("case", OPEN_REFUSALS)
def test_open_passport_refuses_with_reason(case: str) -> None:
    make, window, error, message = OPEN_REFUSALS[case]
    with pytest.raises(VerificationError, match=message) as caught:
        open_passport(make(), make_trust_list(**window))
    assert type(caught.value) is error


@pytest.mark.parametrize(
    ("text", "window"),
    [
        (make_qr(), {}),
        # the unsigned URL and its marker in any case, as a browser copies them
        (make_qr().replace(VERIFY_URL, VERIFY_URL.lower()).replace("/V/", "/v/"), {}),
        (make_qr(make_passport(MAX_PASSPORT_DAYS * DAY)), {}),
        (make_qr(), {"valid_from": ISSUED, "valid_until": ISSUED + SECOND}),
        (make_qr(), {"compromised_since": ISSUED + SECOND}),
    ],
)
def test_open_passport_accepts_at_the_limits(
    text: str, window: dict[str, dt.datetime]
) -> None:
    opened = open_passport(text, make_trust_list(**window))
    assert opened.passport.passport_id == "0a1b2c3d4e5f6071"
    assert opened.signer.key_id == SIGNER_KID.hex()
    assert opened.verify_url == VERIFY_URL


@pytest.mark.parametrize(
    ("now", "error", "message"),
    [
        (
            ISSUED - CLOCK_SKEW - SECOND,
            NotYetValid,
            r"^iat: issued 2026-03-02 06:00 UTC$",
        ),
        (ISSUED + 90 * DAY, Expired, r"^exp: expired 2026-05-31 06:00 UTC$"),
        (ISSUED + 9_999 * DAY, Expired, r"^exp: expired 2026-05-31 06:00 UTC$"),
    ],
)
def test_check_current_refuses_outside_the_dates(
    now: dt.datetime, error: type[NotCurrent], message: str
) -> None:
    with pytest.raises(NotCurrent, match=message) as caught:
        check_current(make_passport(), now=now)
    assert type(caught.value) is error


@pytest.mark.parametrize(
    "now", [ISSUED - CLOCK_SKEW, ISSUED, ISSUED + 90 * DAY - SECOND]
)
def test_check_current_accepts_inside_the_dates(now: dt.datetime) -> None:
    check_current(make_passport(), now=now)


def test_page_refuses_a_lowercased_payload(service: Service) -> None:
    # signed by a key the service does not trust: read as far as the signer
    # when intact, refused before that when lowercased
    payload = make_qr().split("/V/")[1]
    with TestClient(create_app(service)) as client:
        for prefix in ("/V/", "/v/"):
            page = client.get(prefix + payload)
            assert page.status_code == 200
            assert 'data-status="unknown_signer"' in page.text
        refused = client.get("/v/" + payload.lower())
    assert refused.status_code == 200
    assert 'data-status="malformed"' in refused.text and "✗" in refused.text
    assert "is lowercase, expected A-Z 2-7" in refused.text
