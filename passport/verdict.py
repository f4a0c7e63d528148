"""What a person or a machine is told about a passport: the verdict and why.

The checks in ``verify`` raise; this module collects their reasons into one
answer to three questions: is it authentic, is it current, whose is it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from schemas.trust import TrustList
from verify.compact import CompactPassport
from verify.errors import Revoked, VerificationError
from verify.passport import check_current, open_passport

# Chinese first, English beside: the words shown for each outcome.
STATUS_TEXT = {
    "valid": ("有效", "valid"),
    "malformed": ("二维码内容无效或被改动", "QR content invalid or altered"),
    "qr_not_found": ("未找到二维码", "no QR code found"),
    "unknown_signer": ("签发方不在信任列表中", "signer not on the trust list"),
    "key_compromised": ("签发密钥已泄露", "signed by a compromised key"),
    "bad_signature": ("签名无效，内容可能被篡改", "signature invalid; content altered"),
    "not_current": ("签发时密钥不在有效期内", "key not valid when issued"),
    "expired": ("已过期", "expired"),
    "not_yet_valid": ("尚未生效", "not yet valid"),
    "revoked": ("已撤销", "revoked"),
    "holder_erased": ("持证人个人信息已删除", "holder data erased"),
    "unknown_passport": ("系统中无此护照", "passport unknown to the service"),
    "log_inconsistent": ("账本记录不一致", "the ledger no longer matches"),
    "status_unknown": ("状态暂时无法核实", "status could not be checked"),
}


@dataclass(frozen=True)
class Finding:
    """One reason, with a stable code and a message naming the value."""

    code: str
    message: str
    facts: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, error: VerificationError) -> Finding:
        """The finding a verification error stands for, with its facts if any."""
        facts: tuple[tuple[str, str], ...] = ()
        if isinstance(error, Revoked):
            facts = (("revoked_on", error.revoked_on), ("why", error.why))
        return cls(error.reason, str(error), facts)


@dataclass
class Verdict:
    """The answer about one passport."""

    authentic: bool
    current: bool | None
    passport: CompactPassport | None
    trust_list_version: int
    trust_list_issued_at: dt.datetime
    findings: list[Finding] = field(default_factory=list)
    online: bool = False

    @classmethod
    def refused(cls, trust_list: TrustList, error: VerificationError) -> Verdict:
        """The verdict on something that is not an authentic passport at all."""
        return cls(
            authentic=False,
            current=None,
            passport=None,
            trust_list_version=trust_list.version,
            trust_list_issued_at=trust_list.issued_at,
            findings=[Finding.of(error)],
        )

    def refute(self, error: VerificationError) -> None:
        """Add a reason against a passport that was authentic and current."""
        self.current = False
        self.findings.append(Finding.of(error))

    def undecided(self, error: VerificationError) -> None:
        """Add a reason why currency could not be decided at all."""
        self.current = None
        self.findings.append(Finding.of(error))

    @property
    def valid(self) -> bool:
        """Authentic and current with nothing against it."""
        return self.authentic and bool(self.current) and not self.findings

    @property
    def status(self) -> str:
        """``valid`` or the code of the first reason against it."""
        return "valid" if self.valid else self.findings[0].code

    def to_json(self, *, now: dt.datetime) -> dict[str, Any]:
        """A machine-readable form for ``--json`` and the API."""
        passport = self.passport
        return {
            "valid": self.valid,
            "status": self.status,
            "authentic": self.authentic,
            "current": self.current,
            "online": self.online,
            "reasons": [
                {"code": f.code, "message": f.message, **dict(f.facts)}
                for f in self.findings
            ],
            "trust_list": {
                "version": self.trust_list_version,
                "issued_at": self.trust_list_issued_at.isoformat(),
                "age_days": (now - self.trust_list_issued_at).days,
            },
            "passport": None if passport is None else _passport_json(passport),
        }


def _passport_json(passport: CompactPassport) -> dict[str, Any]:
    return {
        "passport_id": passport.passport_id,
        "issued_at": passport.issued_at.isoformat(),
        "expires_at": passport.expires_at.isoformat(),
        "holder": {"masked_name": passport.masked_name, "id_last4": passport.id_last4},
        "tree_size": passport.tree_size,
        "certificates": [
            {
                "certificate_type": str(c.certificate_type),
                "code": c.code,
                "skill_level": c.skill_level,
                "certificate_no": c.certificate_no,
                "issued_on": c.issued_on.isoformat(),
            }
            for c in passport.certificates
        ],
    }


def verify_offline(qr_text: str, trust_list: TrustList, *, now: dt.datetime) -> Verdict:
    """Check authenticity, then currency, collecting every reason."""
    # TODO: an issuer key marked compromised after the passport was issued
    # is not seen here: the QR does not say which key signed each
    # certificate. The online check (passport/verification.py) sees it.
    try:
        opened = open_passport(qr_text, trust_list)
    except VerificationError as exc:
        return Verdict.refused(trust_list, exc)
    verdict = Verdict(
        authentic=True,
        current=True,
        passport=opened.passport,
        trust_list_version=trust_list.version,
        trust_list_issued_at=trust_list.issued_at,
    )
    try:
        check_current(opened.passport, now=now)
    except VerificationError as exc:
        verdict.refute(exc)
    return verdict
