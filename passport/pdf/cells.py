"""Building blocks of the passport layout: page geometry, styles, cells, grids.

Every cell's text goes through ``fonts.markup``, so each character is set in
a font that has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors, textsplit
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle, paragraph

from passport.pdf.fonts import markup

MARGIN = 18 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN
CELL_SIZE = 8.5
CELL_PADDING = 4
MUTED = colors.HexColor("#52606d")
GRID = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e6ebf0")
CHINESE_CANNOT_START = "，。、；：？！）」』】〕〉》…·～％’”"
"""Chinese punctuation that may not begin a line (GB/T 15834, 标点符号用法)."""

# TODO: reportlab's CJK wrap (wordWrap="CJK") knows the Japanese line-start
# rules but not the full-width Chinese comma, colon, semicolon, question and
# exclamation marks, so a line could begin with "，"; this adds them to its
# list process-wide, in both places that read it (one run of text or several).
# Drop it once reportlab's list has them.
if CHINESE_CANNOT_START not in textsplit.ALL_CANNOT_START:
    textsplit.ALL_CANNOT_START += CHINESE_CANNOT_START
paragraph.ALL_CANNOT_START = textsplit.ALL_CANNOT_START


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of a passport, all set in the chain's first font."""

    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    cell: ParagraphStyle
    word: ParagraphStyle
    code: ParagraphStyle
    latin: ParagraphStyle
    english_first: bool = False


def make_styles(font: str, *, english_first: bool = False) -> Styles:
    """Styles whose base font is ``font``; Chinese text wraps between characters."""
    body = ParagraphStyle(
        "body", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK"
    )
    cell = ParagraphStyle("cell", body, fontSize=CELL_SIZE, leading=11)
    return Styles(
        title=ParagraphStyle("title", body, fontSize=20, leading=26, spaceAfter=6),
        heading=ParagraphStyle(
            "heading", body, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=4
        ),
        body=body,
        cell=cell,
        # no wrapping at all: certificate numbers and dates stay on one line
        word=ParagraphStyle("word", cell, wordWrap=None, splitLongWords=0),
        code=ParagraphStyle("code", body, fontSize=15, leading=19, alignment=1),
        # Latin text wraps between words, not inside them
        latin=ParagraphStyle("latin", cell, wordWrap=None),
        english_first=english_first,
    )


def bilingual(zh: str, en: str, size: float, styles: Styles) -> str:
    """Markup of the passport's first language, the other after it, smaller."""
    first, second = (en, zh) if styles.english_first else (zh, en)
    return f"{markup(first)} {_english(second, size)}"


def cell(text: str, styles: Styles) -> Paragraph:
    """A table cell that wraps: Chinese between characters, Latin between words."""
    style = styles.latin if text.isascii() else styles.cell
    return Paragraph(markup(text), style)


def word(text: str, styles: Styles) -> Paragraph:
    """A table cell that is never broken: a number, a date, an identifier."""
    return Paragraph(markup(text), styles.word)


def label_cell(zh: str, en: str, styles: Styles) -> Paragraph:
    """A cell with the label in the first language above the other."""
    first, second = (en, zh) if styles.english_first else (zh, en)
    return Paragraph(f"{markup(first)}<br/>{_english(second, 7)}", styles.cell)


def detail_cell(lines: Sequence[str], detail: str, styles: Styles) -> Paragraph:
    """A cell of one or more lines with a small muted line under them."""
    latin = all(line.isascii() for line in lines)
    return Paragraph(
        "<br/>".join([*(markup(line) for line in lines), _english(detail, 7)]),
        styles.latin if latin else styles.cell,
    )


def grid(
    header: Sequence[tuple[str, str]],
    rows: list[list[Flowable]],
    widths: Sequence[float | None],
    styles: Styles,
) -> Table:
    """A ruled table whose header row repeats on each page; None takes the rest."""
    rest = FRAME_WIDTH - sum(width for width in widths if width is not None)
    col_widths = [rest if width is None else width for width in widths]
    data = [[label_cell(zh, en, styles) for zh, en in header], *rows]
    table = Table(data, colWidths=col_widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                # cells hold paragraphs, but a table sets its own font anyway
                ("FONTNAME", (0, 0), (-1, -1), styles.cell.fontName),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _english(text: str, size: float) -> str:
    return f'<font size="{size}" color="{MUTED.hexval()}">{markup(text)}</font>'
