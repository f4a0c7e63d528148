"""Roster headers as institutions write them, mapped to the fields we import.

A header is compared after folding full-width characters, dropping spaces,
required-field marks (``*``, ``（必填）``) and units in brackets, so that
``* 身份证号码（必填）`` and ``身份证号`` name the same column.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class ImportKind(StrEnum):
    """What a roster lists: certificates issued, or trainings held."""

    CERTIFICATE = "certificate"
    TRAINING = "training"


ALIASES: dict[str, tuple[str, ...]] = {
    "id_number": (
        "身份证号",
        "身份证号码",
        "身份证",
        "公民身份号码",
        "证件号码",
        "证件号",
        "idnumber",
    ),
    "name": ("姓名", "学员姓名", "人员姓名", "考生姓名", "name"),
    "certificate_no": ("证书编号", "证书号", "证书号码", "certificateno"),
    "issued_on": ("发证日期", "发证时间", "颁证日期", "证书日期", "issuedon"),
    "occupation": (
        "职业",
        "职业名称",
        "职业(工种)",
        "职业工种",
        "工种",
        "职业编码",
        "项目名称",
        "培训项目",
        "occupation",
    ),
    "level": ("等级", "级别", "职业技能等级", "技能等级", "培训等级", "level"),
    "start_on": ("培训开始", "培训开始日期", "开班日期", "开始日期", "开训日期"),
    "end_on": ("培训结束", "培训结束日期", "结业日期", "结束日期", "结训日期"),
    "hours": ("学时", "培训学时", "课时", "hours"),
    "course": ("课程", "课程名称", "班级名称", "培训班名称", "班级"),
    "class_no": ("班级编号", "开班编号", "班期", "期次"),
    "subsidised": ("是否补贴", "补贴", "补贴性培训"),
    "passed": ("是否合格", "结业考核", "考核结果"),
}

REQUIRED: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.CERTIFICATE: (
        "id_number",
        "name",
        "certificate_no",
        "issued_on",
        "occupation",
    ),
    ImportKind.TRAINING: ("id_number", "name", "occupation", "start_on", "hours"),
}

_NOISE = re.compile(r"[\s*＊]|[（(](必填|选填|可选|单位[^）)]*)[）)]")
_LOOKUP = {
    _NOISE.sub("", unicodedata.normalize("NFKC", alias)).lower(): field
    for field, aliases in ALIASES.items()
    for alias in aliases
}


class HeaderError(ValueError):
    """A header row that lacks a column the kind needs, or names one twice."""


def header_key(header: str) -> str:
    """A header reduced to what identifies it."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", header)).lower()


def map_header(header: list[str], kind: ImportKind) -> dict[str, int]:
    """The position of each known field in ``header``; raise HeaderError."""
    found: dict[str, int] = {}
    for position, title in enumerate(header):
        field = _LOOKUP.get(header_key(title))
        if field is None:
            continue
        if field in found:
            raise HeaderError(
                f"header: columns {found[field] + 1} and {position + 1} "
                f"both give {field}"
            )
        found[field] = position
    missing = [f for f in REQUIRED[kind] if f not in found]
    if missing:
        wanted = ", ".join(ALIASES[f][0] for f in missing)
        raise HeaderError(f"header: no column for {wanted} (a {kind} roster needs it)")
    return found
