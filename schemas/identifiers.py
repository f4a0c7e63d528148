"""Identifiers of the field and their check characters.

- 居民身份证号 per GB 11643-1999 (ISO 7064 MOD 11-2 check character);
- 统一社会信用代码 per GB 32100-2015 (MOD 31 check character);
- 职业技能等级证书编号 per 人社鉴发〔2019〕2号 (no check character).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata
from collections.abc import Iterator

WORKER_ID_PATTERN = r"^[0-9a-f]{32}$"
ISSUER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
OCCUPATION_CODE_PATTERN = r"^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$"
ABILITY_CODE_PATTERN = r"^[0-9]{16}$"
CERTIFICATE_NO_PATTERN = r"^[A-Z0-9]{8,32}$"

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
# The two-digit province prefixes of GB/T 2260 (incl. 71 台湾, 81 香港, 82 澳门);
# full six-digit codes change over time, so only the prefix is checked.
_PROVINCES = frozenset(
    {
        *("11", "12", "13", "14", "15", "21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65", "71", "81", "82"),
    }
)
EARLIEST_BIRTH = dt.date(1900, 1, 1)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_CERTIFICATE_NO = re.compile(r"[YS][0-9]{12}([0-9]{2})([1-5])[0-9]{6}")


class IdentifierError(ValueError):
    """An identifier that is malformed or fails its check character."""


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    if len(first17) != len(_ID_WEIGHTS):
        raise ValueError(f"expected {len(_ID_WEIGHTS)} digits, got {len(first17)}")
    total = sum(map(operator.mul, map(int, first17), _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def normalize_id_number(raw: str) -> str:
    """Give the 18-character form of a resident ID number, or raise.

    Accepts full-width characters and a lowercase ``x``, and upgrades a
    15-digit number (century 19).
    """
    value = unicodedata.normalize("NFKC", raw).strip().upper()
    if re.fullmatch(r"[0-9]{15}", value):
        first17 = value[:6] + "19" + value[6:]
        value = first17 + id_check_char(first17)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise IdentifierError(
            f"id number: expected 18 characters (17 digits and a digit or X) "
            f"or 15 digits, got {len(value)} characters"
        )
    if value[:2] not in _PROVINCES:
        raise IdentifierError(f"id number: {value[:2]} is not a province code")
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdentifierError(
            f"id number: birth date {value[6:14]} is not a date"
        ) from None
    if not EARLIEST_BIRTH <= born <= dt.date.today():
        raise IdentifierError(
            f"id number: birth date {born} is not between {EARLIEST_BIRTH} and today"
        )
    expected = id_check_char(value[:17])
    if value[17] != expected:
        raise IdentifierError(
            f"id number: check character is {value[17]}, expected {expected}"
        )
    return value


# A run of digit groups, as ID numbers are also written: grouped 6-8-4 or
# 6-4-4-4 with spaces, hyphens or dots between the groups.
_DIGIT_RUN = re.compile(r"[0-9]+[Xx]?(?:[\s.\-\u2010-\u2015]{1,3}[0-9]+[Xx]?)*")
_DIGIT_GROUP = re.compile(r"[0-9]+[Xx]?")
_ALNUM = re.compile(r"[0-9A-Za-z]")


def find_id_number(text: str) -> str | None:
    """A valid resident ID number written inside ``text``, if there is one.

    The number may be full-width, 15 or 18 characters, with a lowercase
    ``x``, and split into groups by spaces, hyphens or dots; it is given
    back without the separators.
    """
    for candidate in _candidates(unicodedata.normalize("NFKC", text)):
        try:
            normalize_id_number(candidate)
        except IdentifierError:
            continue
        return candidate
    return None


def _candidates(text: str) -> Iterator[str]:
    """Whole digit groups joined to 15 or 18 characters.

    A digit before or after, or a letter right after (as in a hash), makes
    the digits part of something else.
    """
    for run in _DIGIT_RUN.finditer(text):
        groups = list(_DIGIT_GROUP.finditer(text, run.start(), run.end()))
        for first in range(len(groups)):
            digits = ""
            for group in groups[first:]:
                digits += group.group()
                after = text[group.end() : group.end() + 1]
                if len(digits) in (15, 18) and not _ALNUM.fullmatch(after):
                    yield digits
                if len(digits) >= 18 or not digits[-1].isdigit():
                    break  # too long, or a check character ended it


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    values = [USCC_ALPHABET.index(c) for c in first17]
    total = sum(v * w for v, w in zip(values, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(code: str) -> None:
    """Raise unless ``code`` is a well-formed 统一社会信用代码 with a valid check."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        raise IdentifierError(
            f"unified social credit code: expected 18 characters of "
            f"{USCC_ALPHABET}, got {code!r}"
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise IdentifierError(
            f"unified social credit code: check character is {code[17]}, "
            f"expected {expected}"
        )


def certificate_no_parts(certificate_no: str) -> tuple[int, int] | None:
    """The year (two digits) and skill level printed in a 22-character number.

    None when the number is not in the 2019 national layout, which other
    numbering schemes (legacy, special ability) are not.
    """
    match = _CERTIFICATE_NO.fullmatch(certificate_no)
    return (int(match.group(1)), int(match.group(2))) if match else None
