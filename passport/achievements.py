"""Certificates and awards as Open Badges 3.0 AchievementCredentials (unsigned).

One credential per ledger entry of kind ``certificate.issued`` or
``competition.awarded``. The entry stays the source of truth: the
credential's ``id`` names the entry's log index, its evidence carries the
entry's RFC 9162 leaf hash, and its status entry is the entry's bit in the
Bitstring Status List that mirrors the ledger's revocations.

Identifiers that no public register resolves are URNs under
``urn:skillpass:``: the worker (by pseudonymous id, never a name or ID
number), the achievement (occupation code and level) and the levels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from passport.archive import Record
from schemas.catalogue import load_catalogue
from schemas.events import CertificateIssued, CertificateType, CompetitionAwarded
from schemas.trust import TrustedIssuer
from verify.jsonld import CREDENTIALS_V2, OB_V3P0
from verify.statuslist import MIN_ENTRIES

STATUS_LIST_SIZE = MIN_ENTRIES
"""Entries per status list: list ``n`` holds log indexes n·size to (n+1)·size − 1."""
CHINA = dt.timezone(dt.timedelta(hours=8))
OCCUPATION_FRAMEWORK = (
    "中华人民共和国职业分类大典（2022年版） "
    "Occupational Classification of the People's Republic of China (2022)"
)
ABILITY_FRAMEWORK = "专项职业能力考核规范 Special vocational ability specifications"
CONTEST_CLASS = {
    "national": "国家级 national",
    "provincial_1": "省级一类 provincial, class 1",
    "provincial_2": "省级二类 provincial, class 2",
    "enterprise": "企业级 enterprise",
}


@dataclass(frozen=True)
class Links:
    """Where the service publishes what a credential points at."""

    base_url: str

    def credential(self, log_index: int) -> str:
        """The URL that serves the credential of the entry at ``log_index``."""
        return f"{self.base_url}/api/v1/credentials/{log_index}"

    def status_list(self, number: int) -> str:
        """The URL of status list ``number``."""
        return f"{self.base_url}/api/v1/credentials/status/{number}"

    def entry(self, log_index: int) -> str:
        """The URL of the ledger entry at global position ``log_index``."""
        return f"{self.base_url}/api/v1/log/positions/{log_index}"


def status_position(log_index: int) -> tuple[int, int]:
    """The status list number and the index in it of an entry's bit."""
    return divmod(log_index, STATUS_LIST_SIZE)


def achievement_credential(
    record: Record,
    *,
    issuer: dict[str, Any],
    creator: TrustedIssuer,
    creator_did: str,
    links: Links,
) -> dict[str, Any]:
    """The unsigned OB 3.0 AchievementCredential of a certificate or award entry."""
    event = record.event
    number: str | None = None
    if isinstance(event, CertificateIssued):
        achievement = _certificate(event)
        day, number = event.issued_on, event.certificate_no
        result = _level_result(achievement)
    elif isinstance(event, CompetitionAwarded):
        achievement, day = _award(event), event.awarded_on
        result = _rank_result(achievement, event.rank)
    else:
        raise ValueError(f"credential: entry {record.log_index} is a {event.kind}")
    achievement["creator"] = _profile(creator, creator_did)
    subject: dict[str, Any] = {
        "id": f"urn:skillpass:worker:{event.worker_id}",
        "type": ["AchievementSubject"],
        "achievement": achievement,
    }
    if result:
        subject["result"] = result
    if number is not None:
        subject["licenseNumber"] = number
    awarded = dt.datetime.combine(day, dt.time(), CHINA).isoformat()
    number_list, index = status_position(record.log_index)
    status_url = links.status_list(number_list)
    return {
        "@context": [CREDENTIALS_V2, OB_V3P0],
        "id": links.credential(record.log_index),
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": achievement["name"],
        "description": achievement["description"],
        "issuer": issuer,
        "validFrom": awarded,
        "awardedDate": awarded,
        "credentialSubject": subject,
        "evidence": [
            {
                "id": links.entry(record.log_index),
                "type": ["Evidence"],
                "name": "账本记录 Ledger entry",
                "description": (
                    f"log_index {record.log_index}; "
                    f"RFC 9162 leaf hash {record.leaf_hash}"
                ),
                "genre": "skillpass ledger entry",
            }
        ],
        "credentialStatus": {
            "id": f"{status_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": status_url,
        },
    }


def _certificate(event: CertificateIssued) -> dict[str, Any]:
    catalogue = load_catalogue()
    code = event.occupation_code
    zh = catalogue.display_name(code, event.work_type)
    en = catalogue.display_name(code, event.work_type, english=True)
    # a work type (工种) is free text: percent-encoded into the URN
    kind = f"{code}:{quote(event.work_type, safe='')}" if event.work_type else code
    if event.certificate_type is CertificateType.SKILL_LEVEL:
        assert event.skill_level is not None
        level = event.skill_level
        level_zh, level_en = catalogue.level_name(level), catalogue.level_name_en(level)
        return {
            "id": f"urn:skillpass:achievement:skill-level:{kind}:{level}",
            "type": ["Achievement"],
            "achievementType": "Certificate",
            "name": f"职业技能等级证书 {zh} {level_zh}",
            "description": (
                f"职业技能等级证书：{zh}，{level_zh}。"
                f"Vocational skill level certificate: {en}, {level_en}."
            ),
            "criteria": {
                "narrative": (
                    f"经备案的评价机构按{zh}国家职业技能标准评价合格，"
                    f"认定为{level_zh}。Assessed by an accredited evaluation "
                    f"institution against the national skill standard for {en} "
                    f"and certified at {level_en}."
                )
            },
            "alignment": [_alignment(code, zh, en, OCCUPATION_FRAMEWORK)],
            "resultDescription": [_levels(kind, level)],
        }
    return {
        "id": f"urn:skillpass:achievement:special-ability:{kind}",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": f"专项职业能力证书 {zh}",
        "description": (
            f"专项职业能力证书：{zh}。Special vocational ability certificate: {en}."
        ),
        "criteria": {
            "narrative": (
                f"按{zh}专项职业能力考核规范考核合格。Passed the assessment "
                f"of the special vocational ability specification for {en}."
            )
        },
        "alignment": [_alignment(code, zh, en, ABILITY_FRAMEWORK)],
    }


def _award(event: CompetitionAwarded) -> dict[str, Any]:
    catalogue = load_catalogue()
    code = event.occupation_code
    zh, en = catalogue.display_name(code), catalogue.display_name(code, english=True)
    contest_class = CONTEST_CLASS[event.contest_class]
    return {
        "id": f"urn:skillpass:achievement:competition:{code}:{event.contest_class}",
        "type": ["Achievement"],
        "achievementType": "Award",
        "name": f"职业技能竞赛获奖 {event.contest} 第{event.rank}名",
        "description": (
            f"{event.contest}（{contest_class}，{zh}）第{event.rank}名。"
            f"Rank {event.rank} in {event.contest} ({contest_class}, {en})."
        ),
        "criteria": {
            "narrative": (
                f"在{contest_class}职业技能竞赛中获得名次。Placed in a "
                f"skills competition of class {contest_class}."
            )
        },
        "alignment": [_alignment(code, zh, en, OCCUPATION_FRAMEWORK)],
        "resultDescription": [
            {
                "id": f"urn:skillpass:achievement:competition:{code}:rank",
                "type": ["ResultDescription"],
                "name": "名次 Rank",
                "resultType": "ext:Rank",
                "valueMin": "1",
            }
        ],
    }


def _alignment(code: str, zh: str, en: str, framework: str) -> dict[str, Any]:
    # TODO: targetUrl is a URN because no public register gives each
    # occupation code a URL of its own; use one when the ministry publishes it.
    return {
        "type": ["Alignment"],
        "targetName": f"{zh} {en}",
        "targetCode": code,
        "targetFramework": framework,
        "targetType": "ext:OccupationCode",
        "targetUrl": f"urn:skillpass:occupation:{code}",
    }


def _level_id(grade: int) -> str:
    return f"urn:skillpass:skill-level:{grade}"


def _levels(code: str, level: int) -> dict[str, Any]:
    catalogue = load_catalogue()
    return {
        "id": f"urn:skillpass:achievement:skill-level:{code}:{level}:result",
        "type": ["ResultDescription"],
        "name": "职业技能等级 Vocational skill level",
        "resultType": "RubricCriterionLevel",
        "rubricCriterionLevel": [
            {
                "id": _level_id(grade),
                "type": ["RubricCriterionLevel"],
                "name": (
                    f"{catalogue.level_name(grade)} {catalogue.level_name_en(grade)}"
                ),
                "level": str(grade),
            }
            for grade in (5, 4, 3, 2, 1)
        ],
        "requiredLevel": _level_id(level),
    }


def _level_result(achievement: dict[str, Any]) -> list[dict[str, Any]] | None:
    descriptions = achievement.get("resultDescription")
    if not descriptions:
        return None
    [levels] = descriptions
    return [
        {
            "type": ["Result"],
            "resultDescription": levels["id"],
            "achievedLevel": levels["requiredLevel"],
        }
    ]


def _rank_result(achievement: dict[str, Any], rank: int) -> list[dict[str, Any]]:
    [ranks] = achievement["resultDescription"]
    return [{"type": ["Result"], "resultDescription": ranks["id"], "value": str(rank)}]


def _profile(institution: TrustedIssuer, did: str) -> dict[str, Any]:
    return {
        "id": did,
        "type": ["Profile"],
        "name": institution.name,
        "otherIdentifier": [
            {
                "type": "IdentifierEntry",
                "identifier": institution.uscc,
                "identifierType": "ext:USCC",
            }
        ],
    }
