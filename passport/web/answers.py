"""The three answers of the verification page, in words, each with its reason.

Authentic? Current? Whose? A verdict's findings become one sentence per
question in the reader's language (zh first, en on the switch); every
outcome other than "valid" says what is wrong, so no finding ever reads as
a plain "valid".
"""

from __future__ import annotations

from dataclasses import dataclass

from passport.timefmt import LABEL, LABEL_EN, china_minute
from passport.verdict import STATUS_TEXT, Finding, Verdict

# Why a passport is not authentic, by finding code.
NOT_AUTHENTIC = {
    "unknown_signer": (
        "签发方不在信任列表中，无法确认来源",
        "the signer is not on the trust list, so its origin cannot be confirmed",
    ),
    "key_compromised": (
        "签发密钥已被宣布泄露，此后签发的护照不可信",
        "the signing key was declared compromised; passports signed since "
        "then cannot be trusted",
    ),
    "bad_signature": (
        "签名无效，内容可能被篡改",
        "the signature does not verify; the content may have been altered",
    ),
    "not_current": (
        "签发时签名密钥不在有效期内",
        "the signing key was not valid when the passport was issued",
    ),
    "malformed": ("二维码内容无效或被改动", "the QR content is invalid or altered"),
}
NOT_AUTHENTIC_FALLBACK = ("无法确认真实性", "authenticity cannot be confirmed")


@dataclass(frozen=True)
class Answer:
    """One question's answer: a tone (ok, warn, bad), a short word, a reason."""

    tone: str
    word: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Answers:
    """The headline and the three answers for one verdict."""

    tone: str
    headline: str
    authentic: Answer
    current: Answer
    whose: Answer


def answers(verdict: Verdict, *, english: bool) -> Answers:
    """The headline and the answers to authentic, current and whose."""
    pick = int(english)
    words = {code: pair[pick] for code, pair in STATUS_TEXT.items()}
    authentic = _authentic(verdict, pick)
    current = _current(verdict, pick)
    whose = _whose(verdict, pick)
    if verdict.valid:
        tone, headline = "ok", words["valid"]
    else:
        code = verdict.status
        tone = "warn" if code == "status_unknown" else "bad"
        headline = words.get(code, code)
    return Answers(tone, headline, authentic, current, whose)


def _authentic(verdict: Verdict, pick: int) -> Answer:
    if verdict.passport is not None:
        reason = (
            f"签名有效，签发方在信任列表（第 {verdict.trust_list_version} 版）中",
            f"the signature is valid and the signer is on the trust list "
            f"(version {verdict.trust_list_version})",
        )[pick]
        return Answer("ok", ("是", "Yes")[pick], (reason,))
    reasons = tuple(
        NOT_AUTHENTIC.get(f.code, NOT_AUTHENTIC_FALLBACK)[pick]
        for f in verdict.findings
    )
    return Answer("bad", ("否", "No")[pick], reasons)


def _current(verdict: Verdict, pick: int) -> Answer:
    passport = verdict.passport
    if passport is None:
        reason = ("护照未通过真实性核验", "the passport is not authentic")[pick]
        return Answer("bad", ("无法判断", "Cannot tell")[pick], (reason,))
    until = f"{china_minute(passport.expires_at)} ({(LABEL, LABEL_EN)[pick]})"
    if verdict.valid:
        reason = (
            f"未撤销，有效期至 {until}",
            f"nothing revoked; valid until {until}",
        )[pick]
        return Answer("ok", ("是", "Yes")[pick], (reason,))
    reasons = tuple(_not_current(f, verdict, pick) for f in verdict.findings)
    if verdict.current is None:
        return Answer("warn", ("无法确认", "Unknown")[pick], reasons)
    return Answer("bad", ("否", "No")[pick], reasons)


def _not_current(finding: Finding, verdict: Verdict, pick: int) -> str:
    """The sentence for one reason against currency."""
    assert verdict.passport is not None
    passport = verdict.passport
    facts = dict(finding.facts)
    texts = {
        "expired": (
            f"已于 {china_minute(passport.expires_at)} ({LABEL}) 过期",
            f"expired on {china_minute(passport.expires_at)} ({LABEL_EN})",
        ),
        "not_yet_valid": (
            f"尚未生效：签发时间为 {china_minute(passport.issued_at)} ({LABEL})",
            f"not yet valid: issued for {china_minute(passport.issued_at)} "
            f"({LABEL_EN})",
        ),
        "revoked": (
            f"所载证书已于 {facts.get('revoked_on', '')} 撤销，"
            f"原因：{facts.get('why', '')}",
            f"a certificate it shows was revoked on {facts.get('revoked_on', '')}; "
            f"reason: {facts.get('why', '')}",
        ),
        "holder_erased": (
            "持证人已申请删除个人信息，此护照不再有效",
            "the holder had their personal data erased; the passport is void",
        ),
        "unknown_passport": (
            "本系统没有签发此护照的记录",
            "this service has no record of issuing the passport",
        ),
        "log_inconsistent": (
            "账本记录与签发时不一致",
            "the ledger no longer holds what it held at issue",
        ),
        "status_unknown": (
            "状态服务暂时无法访问：签名核验通过，但无法确认是否已撤销，请稍后重试",
            "the status service is unreachable: the signature checks, but "
            "revocation cannot be checked; try again later",
        ),
    }
    pair = texts.get(finding.code, STATUS_TEXT.get(finding.code, (finding.code,) * 2))
    return pair[pick]


def _whose(verdict: Verdict, pick: int) -> Answer:
    passport = verdict.passport
    if passport is None:
        reason = ("护照未通过真实性核验", "the passport is not authentic")[pick]
        return Answer("bad", ("无法判断", "Cannot tell")[pick], (reason,))
    if any(f.code == "holder_erased" for f in verdict.findings):
        reason = (
            "持证人个人信息已删除，无法核对身份",
            "the holder's personal data was erased; identity cannot be compared",
        )[pick]
        return Answer("bad", ("无法核对", "Cannot compare")[pick], (reason,))
    reason = (
        "请与身份证上的姓名和号码后四位核对",
        "compare with the name and the last 4 digits on the ID card",
    )[pick]
    tone = "ok" if verdict.valid else "warn"
    return Answer(tone, passport.masked_name, (reason,))
