"""What a report is, independent of its format: key figures, sections of charts and tables.

``build`` fills these; the renderers (``html``, ``pdf``, ``xlsx``) read them and
nothing else. A table carries its numbers as numbers (a pandas frame) and, per
column, the kind of number it is, so that the spreadsheet keeps numbers with a
number format and the page shows them formatted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

#: Column kinds: how a number is shown (Python format) and its spreadsheet number format.
KINDS: dict[str, tuple[str, str]] = {
    "text": ("{}", "@"),
    "units": ("{:,.0f}", "#,##0"),
    "count": ("{:,.0f}", "#,##0"),
    "money": ("{:,.2f}", "#,##0.00"),
    "pct": ("{:.1%}", "0.0%"),
    "days": ("{:,.1f}", "#,##0.0"),
    "date": ("{:%Y-%m-%d}", "yyyy-mm-dd"),
    "datetime": ("{:%Y-%m-%d %H:%M}", "yyyy-mm-dd hh:mm"),
}


def show(value, kind: str) -> str:
    """``value`` as a page shows it ('' for a missing value, '∞' for an infinite one)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "∞"
    return KINDS[kind][0].format(value)


@dataclass
class Table:
    """A table: ``frame``'s columns are the headings; ``kinds`` maps a column to its kind
    (``text`` where absent). Pages show the first ``page_rows`` rows and, where given, only
    the ``page_columns`` (an A4 page is narrower than a sheet); the spreadsheet all."""

    title: str
    frame: pd.DataFrame
    kinds: dict[str, str] = field(default_factory=dict)
    sheet: str = ""
    page_rows: int = 25
    note: str = ""
    page_columns: list[str] | None = None

    def kind(self, column: str) -> str:
        return self.kinds.get(column, "text")


@dataclass
class Chart:
    title: str
    png: bytes
    caption: str = ""


@dataclass
class Section:
    title: str
    text: str = ""
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Figure:
    """A key figure in the report's head."""

    label: str
    value: float
    kind: str


@dataclass
class Report:
    kind: str
    title: str
    since: date
    until: date
    stores: list[str]
    all_stores: bool
    database: str
    credit: str | None
    figures: list[Figure] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    message: str = ""
    notes: list[str] = field(default_factory=list)
    generated_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    @property
    def period(self) -> str:
        return f"{self.since:%Y-%m-%d} to {self.until:%Y-%m-%d}"

    @property
    def store_label(self) -> str:
        codes = ", ".join(self.stores)
        if self.all_stores:
            return f"all stores ({codes})"
        return f"store {codes}" if len(self.stores) == 1 else f"stores {codes}"

    @property
    def footer(self) -> str:
        text = f"Database {self.database}; generated {self.generated_at:%Y-%m-%d %H:%M}"
        return f"{text}. {self.credit}" if self.credit else f"{text}."

    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]
