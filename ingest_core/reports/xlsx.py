"""A report as an XLSX workbook (xlsxwriter): numbers stay numbers, with number formats.

Sheets: ``Summary`` (title, period, stores, key figures, notes, the footer's
database and data credit), one sheet per table with every row (headings frozen,
autofilter, columns sized), and ``Charts`` with the report's charts as images.
"""

from __future__ import annotations

import io
import math
import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

from ingest_core.reports.model import KINDS, Report, Table

_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub(" ", title)[:31].strip() or "Sheet"
    name, number = base, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name, number = base[:31 - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def _cell(value):
    """A value xlsxwriter writes as the right cell type (None: an empty cell)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, float) and math.isinf(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


class _Writer:
    def __init__(self, path: Path) -> None:
        self.book = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
        self.formats = {kind: self.book.add_format({"num_format": number_format})
                        for kind, (_python, number_format) in KINDS.items()}
        self.bold = self.book.add_format({"bold": True})
        self.title = self.book.add_format({"bold": True, "font_size": 14,
                                           "font_color": "#1f5f8b"})
        self.heading = self.book.add_format({"bold": True, "font_color": "#ffffff",
                                             "bg_color": "#1f5f8b", "text_wrap": True,
                                             "valign": "top"})
        self.taken: set[str] = set()

    def write(self, sheet, row: int, column: int, value, kind: str) -> None:
        value = _cell(value)
        if value is None:
            sheet.write_blank(row, column, None)
        elif isinstance(value, datetime | date):
            sheet.write_datetime(row, column, value, self.formats[kind if kind in (
                "date", "datetime") else "date"])
        elif isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, int | float):
            sheet.write_number(row, column, value, self.formats.get(kind, None))
        else:
            sheet.write_string(row, column, str(value))

    def summary(self, report: Report) -> None:
        sheet = self.book.add_worksheet(_sheet_name("Summary", self.taken))
        sheet.set_column(0, 0, 42)
        sheet.set_column(1, 1, 18)
        sheet.write_string(0, 0, report.title, self.title)
        rows = [("Period", f"{report.period}"), ("Stores", report.store_label),
                ("Database", report.database),
                ("Generated", report.generated_at.strftime("%Y-%m-%d %H:%M"))]
        row = 2
        for label, text in rows:
            sheet.write_string(row, 0, label, self.bold)
            sheet.write_string(row, 1, text)
            row += 1
        row += 1
        if report.message:
            sheet.write_string(row, 0, report.message)
            row += 2
        for figure in report.figures:
            sheet.write_string(row, 0, figure.label)
            self.write(sheet, row, 1, figure.value, figure.kind)
            row += 1
        row += 1
        for note in [*report.notes, *([report.credit] if report.credit else [])]:
            sheet.write_string(row, 0, note)
            row += 1

    def table(self, table: Table) -> None:
        sheet = self.book.add_worksheet(_sheet_name(table.sheet or table.title, self.taken))
        frame = table.frame
        kinds = [table.kind(column) for column in frame.columns]
        for column, (heading, kind) in enumerate(zip(frame.columns, kinds, strict=True)):
            sheet.write_string(0, column, str(heading), self.heading)
            width = max([len(str(heading))] + [len(str(v)) for v in frame[heading].head(200)])
            sheet.set_column(column, column, min(max(width, 10 if kind != "text" else 6) + 2,
                                                 48))
        for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
            for column, (value, kind) in enumerate(zip(values, kinds, strict=True)):
                self.write(sheet, row, column, value, kind)
        sheet.freeze_panes(1, 0)
        if len(frame.columns):
            sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)

    def charts(self, report: Report) -> None:
        pictures = [chart for section in report.sections for chart in section.charts]
        if not pictures:
            return
        sheet = self.book.add_worksheet(_sheet_name("Charts", self.taken))
        row = 0
        for chart in pictures:
            sheet.write_string(row, 0, chart.title, self.bold)
            sheet.insert_image(row + 1, 0, f"{chart.title}.png",
                               {"image_data": io.BytesIO(chart.png), "x_scale": 0.75,
                                "y_scale": 0.75, "object_position": 3})
            row += 24


def write(report: Report, path: Path) -> None:
    writer = _Writer(path)
    writer.summary(report)
    for table in report.tables():
        writer.table(table)
    writer.charts(report)
    writer.book.close()
