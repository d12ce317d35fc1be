"""A report as PDF: WeasyPrint lays out the HTML page (``html.render(for_print=True)``).

Why WeasyPrint: it renders the very HTML and CSS the HTML report uses (A4 pages,
running footer, page counters, repeated table headings), so the PDF and the page
cannot drift apart; it needs Debian's pango (``scripts/bootstrap.sh``). The choice
is written down in docs/decisions/reports.md.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ingest_core.reports import html
from ingest_core.reports.model import Report

# WeasyPrint and fontTools report every font they subset at INFO level.
for _name in ("weasyprint", "fontTools"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def write(report: Report, path: Path) -> None:
    import weasyprint

    document = weasyprint.HTML(string=html.render(report, for_print=True))
    document.write_pdf(path)
