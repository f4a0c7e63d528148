"""The KPI report as JSON, CSV, HTML (SVG charts) or PDF (reportlab charts)."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
from pathlib import Path

from passport.reports.kpi import Breakdown, Figure, KpiReport

TITLE_ZH = "重庆市养老服务职业技能提升行动主要指标完成情况"
TITLE_EN = "Elderly-care skills plan: KPIs against the plan's targets"


def shown(figure: Figure) -> str:
    """A figure's value as printed: a percentage or a count."""
    return f"{figure.value:.1%}" if figure.unit == "%" else f"{figure.value:,.0f}"


def shown_target(figure: Figure) -> str:
    """The target as printed, or a dash."""
    if figure.target is None:
        return "-"
    return f"{figure.target:.0%}" if figure.unit == "%" else f"{figure.target:,.0f}"


def to_json(report: KpiReport) -> str:
    """Everything, definitions included, as JSON."""
    data = dataclasses.asdict(report)
    data["definitions"] = report.definitions.model_dump(mode="json")
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_csv(report: KpiReport) -> str:
    """One table: figures, then trainings by item, then by system."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "table",
            "key",
            "name_zh",
            "name_en",
            "value",
            "target",
            "numerator",
            "denominator",
            "evaluations",
            "definition",
        ]
    )
    for f in report.figures:
        writer.writerow(
            [
                "kpi",
                f.key,
                f.name_zh,
                f.name_en,
                _number(f.value),
                _number(f.target),
                f.numerator,
                f.denominator,
                "",
                f.definition,
            ]
        )
    for table, rows in (("by_item", report.by_item), ("by_system", report.by_system)):
        for b in rows:
            writer.writerow(
                [
                    table,
                    b.key,
                    b.label_zh,
                    b.label_en,
                    b.trainings,
                    b.target,
                    "",
                    "",
                    b.evaluations if table == "by_item" else "",
                    _annex2(report),
                ]
            )
    return buffer.getvalue()


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}"


def _annex2(report: KpiReport) -> str:
    only = report.definitions.trainings.annex2_subsidised_only
    return "annex 2 policy trainings (subsidised only)" if only else "all trainings"


def to_html(report: KpiReport) -> str:
    """A page with the figures, their definitions and bar charts in SVG."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(f.name_zh)}<br><small>{e(f.name_en)}</small></td>"
        f"<td>{shown(f)}</td><td>{shown_target(f)}</td>"
        f"<td>{_bar(f.value / f.target if f.target else 0)}</td>"
        f"<td><small>{e(f.definition)}</small></td></tr>"
        for f in report.figures
    )
    return (
        "<!doctype html><html lang='zh-CN'><meta charset='utf-8'>"
        f"<title>{TITLE_ZH} {report.year}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;"
        "padding:4px 8px;text-align:left}table{border-collapse:collapse}</style>"
        f"<h1>{TITLE_ZH}（{report.year}年）</h1><p>{TITLE_EN}, {report.year}. "
        f"{report.entries:,} entries counted.</p>"
        "<table><tr><th>指标 indicator</th><th>完成 actual</th><th>目标 target</th>"
        f"<th>完成率 of target</th><th>口径 definition</th></tr>{rows}</table>"
        f"<h2>按行业系统 by system</h2>{_breakdown_html(report.by_system)}"
        f"<h2>按职业 by occupation</h2>{_breakdown_html(report.by_item)}"
        f"<p><small>{e(_annex2(report))}</small></p></html>\n"
    )


def _breakdown_html(rows: list[Breakdown]) -> str:
    e = html.escape
    body = "".join(
        f"<tr><td>{e(b.label_zh)}<br><small>{e(b.label_en)}</small></td>"
        f"<td>{b.trainings:,}</td><td>{'-' if b.target is None else f'{b.target:,}'}"
        f"</td><td>{_bar(b.trainings / b.target if b.target else 0)}</td></tr>"
        for b in rows
    )
    return (
        "<table><tr><th></th><th>培训 trainings</th><th>目标 target</th>"
        f"<th>完成率 of target</th></tr>{body}</table>"
    )


def _bar(share: float) -> str:
    width = max(0.0, min(share, 1.5)) * 200
    return (
        f"<svg width='310' height='14' role='img' aria-label='{share:.0%}'>"
        "<rect width='200' height='14' fill='#eee'/>"
        f"<rect width='{width:.1f}' height='14' fill='#3a7'/>"
        f"<text x='{min(width, 300) + 4:.1f}' y='11' font-size='11'>{share:.0%}</text>"
        "</svg>"
    )


def write_pdf(report: KpiReport, path: Path) -> None:
    """A PDF with the figures, definitions, and bar charts against the targets."""
    # Imported here: reportlab and the fonts are needed only for the PDF.
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    from passport.pdf.fonts import markup, primary_font

    font = primary_font()
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10)
    heading = ParagraphStyle("heading", fontName=font, fontSize=13, leading=17)

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(markup(text), style)

    def chart(labels: list[str], shares: list[float]) -> Drawing:
        drawing = Drawing(480, 16 * len(labels) + 30)
        bars = HorizontalBarChart()
        bars.x, bars.y, bars.width = 170, 15, 280
        bars.height = 16 * len(labels)
        bars.data = [[100 * s for s in shares]]
        bars.valueAxis.valueMin = 0
        bars.valueAxis.valueMax = max(100, *(100 * s for s in shares))
        bars.valueAxis.labels.fontName = font
        bars.categoryAxis.categoryNames = labels
        bars.categoryAxis.labels.fontName = font
        bars.categoryAxis.labels.fontSize = 7
        bars.bars[0].fillColor = colors.HexColor("#33aa77")
        drawing.add(bars)
        return drawing

    story = [
        para(f"{TITLE_ZH}（{report.year}年）", heading),
        para(f"{TITLE_EN}, {report.year}. {report.entries:,} entries counted."),
        Spacer(0, 8),
    ]
    table = [
        [
            para("指标 indicator"),
            para("完成 actual"),
            para("目标 target"),
            para("口径 definition"),
        ]
    ]
    table += [
        [
            para(f"{f.name_zh} {f.name_en}"),
            para(shown(f)),
            para(shown_target(f)),
            para(f.definition),
        ]
        for f in report.figures
    ]
    story += [
        Table(table, colWidths=[120, 60, 50, 260], style=_GRID),
        Spacer(0, 8),
        para("完成率（%，目标 = 100） share of target (%)"),
        chart(
            [f.name_zh for f in report.figures],
            [f.value / f.target if f.target else 0 for f in report.figures],
        ),
        para("按行业系统 by system: " + _annex2(report)),
        chart(
            [f"{b.label_zh} {b.trainings}/{b.target}" for b in report.by_system],
            [b.trainings / b.target if b.target else 0 for b in report.by_system],
        ),
        para("按职业 by occupation"),
        Table(
            [
                [
                    para("职业 item"),
                    para("培训 trainings"),
                    para("目标 target"),
                    para("评价 evaluations"),
                ]
            ]
            + [
                [
                    para(b.label_zh),
                    para(f"{b.trainings:,}"),
                    para("-" if b.target is None else f"{b.target:,}"),
                    para(f"{b.evaluations:,}"),
                ]
                for b in report.by_item
            ],
            colWidths=[200, 80, 80, 80],
            style=_GRID,
        ),
    ]
    SimpleDocTemplate(str(path), pagesize=A4, title=f"{TITLE_EN} {report.year}").build(
        story
    )


_GRID = [
    ("GRID", (0, 0), (-1, -1), 0.25, "#999999"),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
]
