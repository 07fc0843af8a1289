"""The PDF itself: the longest report still fits two A4 pages, and the fonts are explained."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from flask import Flask
from pypdf import PdfReader

from server.errors import ServiceUnavailable
from server.reports import document, rules

START = date(2027, 1, 1)


def _longest(language: str) -> rules.ReportContent:
    """Every list at its longest, with long names: what a busy year would show."""
    days = 366
    return rules.ReportContent(
        language=language,
        clinic_name="Şişli Ağrı ve Fizik Tedavi Merkezi " * 2,
        patient_name="Ayşegül Çağrı Işıktaş-Öztürkoğlu",
        therapist_name="Dr. Gökçe Ilgaz",
        start=START,
        end=START + timedelta(days=days - 1),
        generated_on=START + timedelta(days=days),
        programme_start=START,
        programme_end=None,
        exercises=[
            f"Kranio-servikal fleksiyon egzersizi, varyasyon {n}, L3, 3 × 10" for n in range(12)
        ],
        schedule=rules.schedule_text(
            {"days": [1, 3, 5], "slots": [{"slot": "m", "time": "08:00"}]}, language
        ),
        changes=[
            rules.Change(START + timedelta(days=30 * n), n + 1, "progress", "İki iyi hafta: " * 6)
            for n in range(8)
        ],
        adherence=rules.Adherence(1098, 900, 100, 50, 48, 0.87, 2000, 1500),
        pain=[rules.PainDay(START + timedelta(days=n), n % 11, (n % 11) / 2) for n in range(days)],
        baseline=6.5,
        measures=[
            rules.MeasureLine("Boyun Disabilite İndeksi", 24, 14, START, 10, "improved", 7.5, 9)
            for _ in range(8)
        ],
        flags=[
            rules.FlagLine("flare_up", "normal", START, "resolved", "regressed", START)
            for _ in range(8)
        ],
    )


@pytest.mark.parametrize("language", ["tr", "en"])
def test_the_longest_report_fits_two_pages(app: Flask, language: str) -> None:
    with app.app_context():
        pdf = document.render_pdf(_longest(language))
    reader = PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Ayşegül Çağrı Işıktaş-Öztürkoğlu" in text
    assert reader.metadata.title.endswith("Ayşegül Çağrı Işıktaş-Öztürkoğlu")


def test_a_server_without_the_font_answers_503_with_the_reason(tmp_path) -> None:
    with pytest.raises(ServiceUnavailable, match="DejaVu Sans") as refused:
        document.font_dir(str(tmp_path), ())
    assert refused.value.status == 503
    (tmp_path / "DejaVuSans.ttf").write_bytes(b"")
    (tmp_path / "DejaVuSans-Bold.ttf").write_bytes(b"")
    assert document.font_dir(str(tmp_path), ()) == tmp_path
