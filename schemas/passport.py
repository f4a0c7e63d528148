"""What a passport shows: the snapshot a worker chose to disclose.

The PDF renders a ``PassportView``; its QR carries the signed compact form
(``verify.compact``) of the same facts.
"""

from __future__ import annotations

import base64
import datetime as dt

from pydantic import BaseModel, ConfigDict

from schemas.events import CertificateType

SECTIONS = (
    "certificates",
    "training",
    "employment",
    "awards",
    "insurance",
    "guidance",
)
"""What a worker may choose to show on a passport; insurance only as months."""

LANGUAGES = ("zh", "en")
"""The languages a passport may be printed in first; the other stands beside."""

DEFAULT_SECTIONS = ("certificates", "training", "employment", "awards", "insurance")
"""What a passport shows unless the worker chooses: guidance only when asked for."""

MAX_PASSPORT_DAYS = 3660
"""The longest a passport may last; verifiers refuse longer ones."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HolderView(_Frozen):
    """The holder as printed: full name on paper, masked forms for the QR."""

    name: str
    masked_name: str
    id_last4: str


class LevelLine(_Frozen):
    """The highest current skill level held in one occupation."""

    occupation_code: str
    occupation_name: str
    skill_level: int
    level_name: str
    since: dt.date


class CertificateLine(_Frozen):
    """One certificate as shown on the passport."""

    certificate_type: CertificateType
    occupation_code: str
    occupation_name: str
    work_type: str | None
    skill_level: int | None
    level_name: str | None
    certificate_no: str
    issued_on: dt.date
    issuer_name: str
    log_index: int


class TrainingLine(_Frozen):
    """One completed training class."""

    course: str
    occupation_name: str
    institution: str
    start_on: dt.date | None
    completed_on: dt.date
    hours: int
    passed: bool


class EmploymentLine(_Frozen):
    """One employment spell; ``ended_on`` is None while it lasts."""

    employer_name: str
    position: str
    started_on: dt.date
    ended_on: dt.date | None


class EmploymentSummary(_Frozen):
    """Employment spells with their merged length, and months insured.

    ``months_insured`` is None unless the worker chose to show it; it is a
    count of months, never amounts, bases or account numbers.
    """

    spells: list[EmploymentLine]
    months_worked: int
    months_insured: int | None = None


class AwardLine(_Frozen):
    """One placing in a skills competition."""

    contest: str
    contest_class: str
    rank: int
    awarded_on: dt.date
    occupation_name: str
    issuer_name: str


class GuidanceLine(_Frozen):
    """Promotion guidance in one line per language, for the optional section."""

    text_zh: str
    text_en: str


class PassportView(_Frozen):
    """Everything printed on one passport."""

    passport_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    holder: HolderView
    levels: list[LevelLine]
    certificates: list[CertificateLine]
    trainings: list[TrainingLine]
    employment: EmploymentSummary
    awards: list[AwardLine] = []
    guidance: list[GuidanceLine] = []
    language: str = "zh"
    tree_size: int
    qr_text: str

    @property
    def verification_code(self) -> str:
        """The passport id in base32, in groups of four, to read aloud."""
        code = base64.b32encode(bytes.fromhex(self.passport_id)).decode().rstrip("=")
        return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
