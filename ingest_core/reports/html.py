"""A report as one self-contained HTML page (jinja2), charts embedded as base64 PNG.

The same page, with ``for_print``, is what ``pdf`` lays out: A4 pages, the
footer (database, data credit) and page numbers in the page margins. Tables
show their first ``page_rows`` rows (a note says how many there are; the
spreadsheet has them all); numbers are formatted by their column's kind.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ingest_core.reports.model import Report, Table, show

_TEMPLATES = Path(__file__).parent / "templates"
_NUMERIC = {"units", "count", "money", "pct", "days"}


@dataclass
class _PageTable:
    title: str
    headings: list[tuple[str, bool]]
    rows: list[list[tuple[str, bool]]]
    shown: int
    total: int
    note: str


def _page_table(table: Table) -> _PageTable:
    shown = table.frame.head(table.page_rows)
    if table.page_columns:
        shown = shown[table.page_columns]
    numeric = [table.kind(column) in _NUMERIC for column in shown.columns]
    rows = [[(show(value, table.kind(column)), number)
             for value, column, number in zip(row, shown.columns, numeric, strict=True)]
            for row in shown.itertuples(index=False, name=None)]
    return _PageTable(table.title, list(zip(shown.columns, numeric, strict=True)), rows,
                      len(shown), len(table.frame), table.note)


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES),
                                     autoescape=True, undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)
    environment.filters["show"] = show
    environment.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    return environment


def render(report: Report, for_print: bool = False) -> str:
    """The report as an HTML document."""
    sections = [{"title": section.title, "text": section.text, "charts": section.charts,
                 "tables": [_page_table(table) for table in section.tables]}
                for section in report.sections]
    return _environment().get_template("report.html.j2").render(
        report=_View(report, sections), for_print=for_print)


class _View:
    """The report with its sections' tables made ready for the page."""

    def __init__(self, report: Report, sections: list[dict]) -> None:
        self._report = report
        self.sections = sections

    def __getattr__(self, name: str):
        return getattr(self._report, name)


def write(report: Report, path: Path) -> None:
    path.write_text(render(report), encoding="utf-8")
