"""The progress report laid out as an A4 PDF with reportlab: platypus for the text and tables,
``reportlab.graphics.charts`` for the pain chart, and a TrueType font that has Turkish letters
(the PDF base-14 fonts have no ş, ğ or ı)."""

from __future__ import annotations

import functools
import io
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from flask import current_app
from reportlab.graphics.charts.legends import LineLegend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from server.errors import ServiceUnavailable
from server.reports import rules
from server.reports.rules import number, percent, word

FONT, BOLD = "ReportSans", "ReportSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
# Where DejaVu lives on Debian/Ubuntu (fonts-dejavu-core), Fedora and Alpine; REPORT_FONT_DIR first.
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
)
WIDTH = A4[0] - 36 * mm
MAX_COLOUR, MEAN_COLOUR, BASELINE_COLOUR = (
    colors.HexColor("#c0392b"),
    colors.HexColor("#2471a3"),
    colors.grey,
)


@functools.cache
def font_dir(configured: str | None, candidates: tuple[str, ...] = FONT_DIRS) -> Path:
    """The first of ``configured`` and ``candidates`` holding DejaVu Sans, or 503."""
    for directory in (configured, *candidates):
        if directory and all((Path(directory) / f).is_file() for f in FONT_FILES.values()):
            return Path(directory)
    raise ServiceUnavailable("The report's font (DejaVu Sans) is not installed on the server.")


def register_fonts() -> None:
    """Register DejaVu Sans once per process; 503 when the server has no copy of it."""
    directory = font_dir(current_app.config.get("REPORT_FONT_DIR") or None)
    for name, filename in FONT_FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(directory / filename)))


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=16, leading=20),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, textColor=colors.grey),
    }


def _day(value: date | None) -> str:
    return value.isoformat() if value else "–"


def pain_chart(content: rules.ReportContent) -> Drawing:
    """Daily maximum and mean pain over the range, days on x, 0–10 on y, with the baseline."""
    text = rules.TEXTS[content.language]
    height = 150
    drawing = Drawing(WIDTH, height)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 28, 30, WIDTH - 40, height - 50
    first = content.start.toordinal()
    series = [
        [(d.day.toordinal() - first, d.max_pain) for d in content.pain if d.max_pain is not None],
        [(d.day.toordinal() - first, d.mean_pain) for d in content.pain if d.mean_pain is not None],
    ]
    span = max((content.end - content.start).days, 1)
    plot.data = [s or [(0, None)] for s in series] if any(series) else [[(0, 0)]]
    plot.lines[0].strokeColor, plot.lines[1].strokeColor = MAX_COLOUR, MEAN_COLOUR
    for index in (0, 1):
        plot.lines[index].strokeWidth = 1.5
    plot.joinedLines = True
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, span
    plot.xValueAxis.valueStep = max(span // 6, 1)
    plot.xValueAxis.labelTextFormat = lambda v: date.fromordinal(first + int(v)).strftime("%d.%m")
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = 0, 10, 2
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize = FONT, 7
    drawing.add(plot)
    if content.baseline is not None:
        y = plot.y + plot.height * content.baseline / 10
        drawing.add(
            Line(
                plot.x,
                y,
                plot.x + plot.width,
                y,
                strokeColor=BASELINE_COLOUR,
                strokeDashArray=[3, 2],
            )
        )
        label = text["baseline"].format(value=number(content.baseline))
        drawing.add(
            String(
                plot.x + plot.width - 2,
                y + 2,
                label,
                fontName=FONT,
                fontSize=7,
                textAnchor="end",
                fillColor=BASELINE_COLOUR,
            )
        )
    legend = LineLegend()
    legend.x, legend.y, legend.fontName, legend.fontSize = plot.x, 8, FONT, 7
    legend.alignment, legend.columnMaximum, legend.deltax = "right", 1, 110
    legend.colorNamePairs = [(MAX_COLOUR, text["daily_max"]), (MEAN_COLOUR, text["daily_mean"])]
    drawing.add(legend)
    return drawing


def _flag_line(flag: rules.FlagLine, language: str) -> str:
    text = rules.TEXTS[language]
    severity = rules.SEVERITY_NAMES.get(language, {}).get(flag.severity, flag.severity)
    action = text["action"].format(action=word(language, flag.action)) if flag.action else ""
    closed = text["closed"].format(closed=_day(flag.closed_on)) if flag.closed_on else ""
    return text["flag_line"].format(
        type=word(language, flag.type),
        severity=severity,
        opened=_day(flag.opened_on),
        status=word(language, flag.status),
        action=action,
        closed=closed,
    )


def _measure_line(measure: rules.MeasureLine, language: str) -> str:
    text = rules.TEXTS[language]
    if measure.interpretation is None:
        return text["measure_single"].format(
            name=measure.name,
            latest=number(measure.latest),
            day=_day(measure.latest_on),
            responses=measure.responses,
        )
    change = "–" if measure.change is None else f"{measure.change:+g}"
    return text["measure_line"].format(
        name=measure.name,
        baseline=number(measure.baseline),
        latest=number(measure.latest),
        day=_day(measure.latest_on),
        change=change,
        mcid=number(measure.mcid),
        verdict=word(language, measure.interpretation),
    )


def _lines(items: list[str], empty: str, style: ParagraphStyle) -> list[Paragraph]:
    return [Paragraph("• " + escape(i), style) for i in items] or [Paragraph(escape(empty), style)]


def _story(content: rules.ReportContent) -> list:
    text, style, lang = rules.TEXTS[content.language], _styles(), content.language
    body, heading = style["body"], style["heading"]
    period = f"{_day(content.start)} – {_day(content.end)}"
    header = [
        f"<b>{text['patient']}:</b> {escape(content.patient_name)}",
        f"<b>{text['period']}:</b> {period}",
        f"<b>{text['generated']}:</b> {_day(content.generated_on)}",
    ]
    if content.therapist_name:
        header.insert(1, f"<b>{text['therapist']}:</b> {escape(content.therapist_name)}")
    story = [
        Paragraph(escape(content.clinic_name), style["small"]),
        Paragraph(text["title"], style["title"]),
        Paragraph(" · ".join(header), body),
        Paragraph(text["programme"], heading),
    ]
    if content.programme_start is None:
        story.append(Paragraph(text["no_programme"], body))
    else:
        dates = text["started"].format(start=_day(content.programme_start))
        if content.programme_end:
            dates += ", " + text["ended"].format(end=_day(content.programme_end))
        schedule = f" · {text['schedule']}: {escape(content.schedule)}" if content.schedule else ""
        story.append(Paragraph(dates + schedule, body))
        story += _lines(content.exercises, "", body)
    story.append(Paragraph(text["changes"], heading))
    changes = [
        text["revision"].format(
            number=c.number, kind=word(lang, c.kind), day=_day(c.day), reason=c.reason
        )
        for c in content.changes
    ]
    story += _lines(changes, text["no_changes"], body)
    a = content.adherence
    story += [
        Paragraph(text["adherence"], heading),
        Paragraph(
            text["sessions"].format(
                prescribed=a.prescribed,
                completed=a.completed,
                partial=a.partial,
                skipped=a.skipped,
                missing=a.missing,
                ratio=percent(a.ratio),
            ),
            body,
        ),
        Paragraph(
            text["breaks"].format(prescribed=a.breaks_prescribed, logged=a.breaks_logged), body
        ),
    ]
    figures = rules.pain_figures(content.pain)
    baseline = (
        text["baseline"].format(value=number(content.baseline))
        if content.baseline is not None
        else text["no_baseline"]
    )
    story += [
        Paragraph(text["pain"], heading),
        Paragraph(
            text["pain_figures"].format(
                days=figures.days_with_data,
                mean_max=number(figures.mean_of_max),
                mean_mean=number(figures.mean_of_mean),
                highest=number(figures.highest),
                first=number(figures.first_week_max),
                last=number(figures.last_week_max),
            )
            + f" {baseline}.",
            body,
        ),
        Spacer(1, 4),
        pain_chart(content),
        Paragraph(text["measures"], heading),
    ]
    measures = [_measure_line(m, lang) for m in content.measures]
    story += _lines(measures, text["no_measures"], body)
    story.append(Paragraph(text["flags"], heading))
    story += _lines([_flag_line(f, lang) for f in content.flags], text["no_flags"], body)
    story += [
        Spacer(1, 8),
        Paragraph(escape(text["footer"].format(clinic=content.clinic_name)), style["small"]),
    ]
    return story


def render_pdf(content: rules.ReportContent) -> bytes:
    """The report as PDF bytes: A4, one or two pages."""
    register_fonts()
    buffer = io.BytesIO()
    text = rules.TEXTS[content.language]
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{text['title']}: {content.patient_name}",
        author=content.clinic_name,
        lang=content.language,
    )
    document.build(_story(content))
    return buffer.getvalue()
