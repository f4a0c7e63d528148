"""Render a ``PassportView`` as an A4 PDF, Chinese first with English beside it.

Every string goes through the font-run splitter (``fonts.markup``), so a
name that needs several fonts renders and extracts back unchanged, and a
name that no font can draw is refused with ``GlyphMissing``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from passport.pdf.cells import (
    CELL_PADDING,
    CELL_SIZE,
    FRAME_WIDTH,
    GRID,
    MARGIN,
    MUTED,
    Styles,
    bilingual,
    cell,
    detail_cell,
    grid,
    label_cell,
    make_styles,
    word,
)
from passport.pdf.fonts import markup, primary_font, string_width
from passport.pdf.pages import FooterCanvas
from passport.qr import qr_drawing
from passport.timefmt import LABEL, LABEL_EN, china_minute
from schemas.events import CertificateType
from schemas.passport import (
    AwardLine,
    CertificateLine,
    EmploymentSummary,
    GuidanceLine,
    LevelLine,
    PassportView,
    TrainingLine,
)

QR_WIDTH = 45 * mm
NAME_SIZE = 18
LABEL_WIDTH = 24 * mm
SECTION_MIN_SPACE = 35 * mm
ID_MASK_LENGTH = 18
CERTIFICATE_TYPES = {
    CertificateType.SKILL_LEVEL: ("职业技能等级", "Skill level"),
    CertificateType.SPECIAL_ABILITY: ("专项职业能力", "Special ability"),
}


def render_passport(view: PassportView, out: Path | BinaryIO) -> None:
    """Write the passport PDF of ``view`` to a path or a binary file."""
    styles = make_styles(primary_font(), english_first=view.language == "en")
    doc = SimpleDocTemplate(
        str(out) if isinstance(out, Path) else out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=f"职业技能护照 Skills Passport {view.passport_id}",
        subject="职业技能护照 Skills Passport",
        author="skillpass",
        creator="skillpass",
        lang="zh-CN",
        displayDocTitle=1,
        # otherwise every page also names Helvetica, a font it never embeds
        initialFontName=styles.body.fontName,
        # fixed dates and document id: the same view gives the same bytes
        invariant=1,
    )
    canvas = functools.partial(FooterCanvas, view=view)
    doc.build(_story(view, styles), canvasmaker=canvas)


def mask_id_number(last4: str) -> str:
    """The 18-character ID number with all but its last four characters hidden."""
    return "*" * (ID_MASK_LENGTH - len(last4)) + last4


def _story(view: PassportView, styles: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(
            bilingual("职业技能护照", "Skills Passport", 12, styles), styles.title
        ),
        _holder_block(view, styles),
    ]
    if view.levels:
        story += _section("当前等级", "Current levels", styles)
        story.append(_levels_table(view.levels, styles))
    if view.certificates:
        story += _section("证书", "Certificates", styles)
        story.append(_certificates_table(view.certificates, styles))
    if view.trainings:
        story += _section("培训", "Training", styles)
        story.append(_trainings_table(view.trainings, styles))
    employment = view.employment
    if employment.spells or employment.months_worked:
        story += _section("就业", "Employment", styles)
        story += _employment(employment, styles)
    if employment.months_insured is not None:
        # one line: it needs room for the heading and that line only
        story += _section("社会保险", "Social insurance", styles, 15 * mm)
        story += _insurance(employment.months_insured, styles)
    if view.awards:
        story += _section("竞赛获奖", "Competition awards", styles)
        story.append(_awards_table(view.awards, styles))
    if view.guidance:
        story += _section("晋升指引", "Promotion guidance", styles)
        story += _guidance(view.guidance, styles)
    return story


def _section(
    zh: str, en: str, styles: Styles, room: float = SECTION_MIN_SPACE
) -> list[Flowable]:
    # a page break rather than keepWithNext, which moves a long table whole
    return [
        CondPageBreak(room),
        Paragraph(bilingual(zh, en, 9.5, styles), styles.heading),
    ]


def _holder_block(view: PassportView, styles: Styles) -> Table:
    left_width = FRAME_WIDTH - QR_WIDTH - 8 * mm
    value_width = left_width - LABEL_WIDTH
    holder = view.holder
    # the name is shrunk to fit one line, so it is never broken in two; the
    # 2% spare keeps rounding from wrapping its last character
    room = 0.98 * (value_width - 2 * CELL_PADDING)
    name_size = min(NAME_SIZE, room / (string_width(holder.name, 1) or 1))
    name_style = ParagraphStyle(
        "name", styles.word, fontSize=name_size, leading=name_size * 1.3
    )
    facts = [
        ("姓名", "Name", Paragraph(markup(holder.name), name_style)),
        ("证件号码", "ID number", word(mask_id_number(holder.id_last4), styles)),
        ("护照编号", "Passport ID", word(view.passport_id, styles)),
        ("签发时间", "Issued", _china(view.issued_at, styles)),
        ("有效期至", "Valid until", _china(view.expires_at, styles)),
        (
            "账本记录数",
            "Records in the ledger when issued",
            detail_cell([str(view.tree_size)], "log tree size", styles),
        ),
    ]
    rows = [[label_cell(zh, en, styles), value] for zh, en, value in facts]
    facts_table = Table(rows, colWidths=[LABEL_WIDTH, value_width])
    facts_table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), styles.cell.fontName),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, GRID),
            ]
        )
    )
    qr = qr_drawing(view.qr_text, QR_WIDTH)
    # the drawing sets a font even without text; Helvetica would be named
    # on the page without being embedded
    qr.initialFontName = styles.body.fontName
    verification = [
        qr,
        Paragraph(
            bilingual("核验码", "Verification code", 8, styles),
            ParagraphStyle("caption", styles.cell, alignment=1),
        ),
        Paragraph(markup(view.verification_code), styles.code),
    ]
    block = Table([[facts_table, verification]], colWidths=[left_width, None])
    block.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), styles.cell.fontName),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
            ]
        )
    )
    return block


def _levels_table(levels: Sequence[LevelLine], styles: Styles) -> Table:
    rows = [
        [
            _occupation(line.occupation_name, line.occupation_code, styles),
            cell(line.level_name, styles),
            word(line.since.isoformat(), styles),
        ]
        for line in levels
    ]
    header = [("职业", "Occupation"), ("等级", "Level"), ("取得日期", "Since")]
    return grid(header, rows, [None, 60 * mm, 30 * mm], styles)


def _certificates_table(
    certificates: Sequence[CertificateLine], styles: Styles
) -> Table:
    rows = [
        [
            _certificate_type(line.certificate_type, styles),
            _occupation(line.occupation_name, line.occupation_code, styles),
            cell(line.level_name or "—", styles),
            word(line.certificate_no, styles),
            word(line.issued_on.isoformat(), styles),
            cell(line.issuer_name, styles),
        ]
        for line in certificates
    ]
    widest = max(string_width(line.certificate_no, CELL_SIZE) for line in certificates)
    number_width = max(widest, string_width("Certificate no.", 7)) + 2 * CELL_PADDING
    header = [
        ("类型", "Type"),
        ("职业", "Occupation"),
        ("等级", "Level"),
        ("证书编号", "Certificate no."),
        ("发证日期", "Issued on"),
        ("发证机构", "Issuer"),
    ]
    # English level names ("Level 4/Intermediate Worker") need a wider column
    level_width = (27 if styles.english_first else 20) * mm
    widths = [22 * mm, 32 * mm, level_width, number_width + 1, 20 * mm, None]
    return grid(header, rows, widths, styles)


def _trainings_table(trainings: Sequence[TrainingLine], styles: Styles) -> Table:
    rows = [
        [
            cell(line.course, styles),
            cell(line.occupation_name, styles),
            cell(line.institution, styles),
            _period(line.start_on, line.completed_on, styles),
            word(str(line.hours), styles),
            label_cell(
                *(("合格", "Passed") if line.passed else ("未通过", "Failed")), styles
            ),
        ]
        for line in trainings
    ]
    header = [
        ("课程", "Course"),
        ("职业", "Occupation"),
        ("培训机构", "Institution"),
        ("培训期间", "Period"),
        ("学时", "Hours"),
        ("结果", "Result"),
    ]
    widths = [None, 30 * mm, 40 * mm, 22 * mm, 13 * mm, 16 * mm]
    return grid(header, rows, widths, styles)


def _employment(summary: EmploymentSummary, styles: Styles) -> list[Flowable]:
    totals = f"累计从业 {summary.months_worked} 个月"
    english = f"Months worked: {summary.months_worked}"
    story: list[Flowable] = [
        Paragraph(bilingual(totals, english, 8.5, styles), styles.body),
        Spacer(0, 2 * mm),
    ]
    if summary.spells:
        rows = [
            [
                cell(spell.employer_name, styles),
                cell(spell.position, styles),
                word(spell.started_on.isoformat(), styles),
                word(spell.ended_on.isoformat(), styles)
                if spell.ended_on
                else label_cell("至今", "present", styles),
            ]
            for spell in summary.spells
        ]
        header = [
            ("用人单位", "Employer"),
            ("岗位", "Position"),
            ("起", "From"),
            ("止", "To"),
        ]
        story.append(grid(header, rows, [None, 45 * mm, 22 * mm, 22 * mm], styles))
    return story


def _insurance(months: int, styles: Styles) -> list[Flowable]:
    # months only: never amounts, contribution bases or account numbers
    text = bilingual(
        f"累计缴纳社会保险 {months} 个月", f"Months insured: {months}", 8.5, styles
    )
    return [Paragraph(text, styles.body)]


def _awards_table(awards: Sequence[AwardLine], styles: Styles) -> Table:
    rows = [
        [
            cell(line.contest, styles),
            cell(line.contest_class, styles),
            cell(line.occupation_name, styles),
            word(str(line.rank), styles),
            word(line.awarded_on.isoformat(), styles),
            cell(line.issuer_name, styles),
        ]
        for line in awards
    ]
    header = [
        ("竞赛", "Contest"),
        ("类别", "Class"),
        ("职业", "Occupation"),
        ("名次", "Rank"),
        ("获奖日期", "Awarded on"),
        ("主办单位", "Organiser"),
    ]
    widths = [None, 26 * mm, 28 * mm, 12 * mm, 20 * mm, 36 * mm]
    return grid(header, rows, widths, styles)


def _guidance(lines: Sequence[GuidanceLine], styles: Styles) -> list[Flowable]:
    second = ParagraphStyle("guidance_2", styles.body, textColor=MUTED, spaceAfter=4)
    story: list[Flowable] = []
    for line in lines:
        texts = (line.text_zh, line.text_en)
        first, other = texts[::-1] if styles.english_first else texts
        # a line and its translation stay on one page
        pair = [Paragraph(markup(first), styles.body), Paragraph(markup(other), second)]
        story.append(KeepTogether(pair))
    return story


def _certificate_type(value: CertificateType, styles: Styles) -> Paragraph:
    zh, en = CERTIFICATE_TYPES[value]
    return label_cell(zh, en, styles)


def _occupation(name: str, code: str, styles: Styles) -> Paragraph:
    # the name already carries the work type (see sections.occupation_name)
    return detail_cell([name], code, styles)


def _period(start: dt.date | None, end: dt.date, styles: Styles) -> Paragraph:
    first = f"{start.isoformat()} 至" if start else "至"
    return Paragraph(f"{markup(first)}<br/>{markup(end.isoformat())}", styles.word)


def _china(value: dt.datetime, styles: Styles) -> Paragraph:
    label = bilingual(LABEL, LABEL_EN, 7, styles)
    return Paragraph(f"{markup(china_minute(value))} {label}", styles.cell)
