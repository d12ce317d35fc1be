"""The add-on's ``README.rst`` from its ``readme/`` fragments, as OCA's tooling lays it out.

What it is: ``python -m ingest_core.tools.addon_readme [--check]`` writes
``addons/retail_realtime_stock/README.rst`` (the page Odoo's Apps screen and
the app store show) from ``readme/DESCRIPTION.md``, ``CONFIGURE.md``,
``USAGE.md`` and ``HISTORY.md``, so the two can no longer drift apart (they
had: the page lacked three sessions of Usage). ``--check`` exits 1 when the
file is not what the fragments make; ``tests/test_addon_readme.py`` runs it
and validates the result with docutils.

How it works: the fragments use a small Markdown subset, converted line by
line: code spans become RST literals, numbered items ``#.`` items, a nested
list gets the blank lines RST needs around it, ``## x`` headings become
section titles; bold, italics and bullets are the same in both.

Caveats: OCA's ``oca-gen-addon-readme`` is not on the package registries
here; this writes the same sections (no badges but the licence one).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ADDON = Path(__file__).resolve().parents[2] / "addons" / "retail_realtime_stock"
TITLE = "Retail Realtime Stock"
HEADER = f"""{"=" * len(TITLE)}
{TITLE}
{"=" * len(TITLE)}

..
   Made by ``python -m ingest_core.tools.addon_readme`` from readme/DESCRIPTION.md,
   readme/CONFIGURE.md, readme/USAGE.md and readme/HISTORY.md: edit those, then
   run it (tests/test_addon_readme.py fails while this file is not what they make).

|badge1|

.. |badge1| image:: https://img.shields.io/badge/license-LGPL--3-blue.png
    :target: http://www.gnu.org/licenses/lgpl-3.0-standalone.html
    :alt: License: LGPL-3
"""
CONTENTS = """**Table of contents**

.. contents::
   :local:
"""
FOOTER = """Credits
=======

Authors
-------

* Retail Realtime Stock developers
"""
SECTIONS = (("DESCRIPTION", None), ("CONFIGURE", "Configuration"), ("USAGE", "Usage"),
            ("HISTORY", "Changelog"))
_CODE = re.compile(r"(`+)(.+?)\1")
_ITEM = re.compile(r"^(\s*)(?:[-*]|\d+\.|#\.) ")


def _inline(line: str) -> str:
    line = _CODE.sub(lambda match: f"``{match.group(2)}``", line)
    return re.sub(r"^(\s*)\d+\. ", r"\1#. ", line)


def convert(markdown: str, level: str = "-") -> str:
    """RST of one fragment; ``level`` underlines its ``##`` headings."""
    out: list[str] = []
    depth = 0  # indentation of the list item the previous line belongs to
    for raw in markdown.rstrip("\n").split("\n"):
        if raw.startswith("## "):
            title = raw[3:].strip()
            if out and out[-1]:
                out.append("")
            out += [title, level * len(title), ""]
            continue
        line = _inline(raw)
        item = _ITEM.match(line)
        indent = len(line) - len(line.lstrip(" ")) if line.strip() else None
        if item and out and out[-1] and len(item.group(1)) != depth:
            out.append("")  # a nested list starts, or ends: RST wants a blank line
        elif (not item and indent is not None and depth and indent < depth and out
              and out[-1]):
            out.append("")  # back to the parent item's text
        if item:
            depth = len(item.group(1))
        elif indent == 0:
            depth = 0
        out.append(line)
    return "\n".join(out) + "\n"


def render(addon: Path = ADDON) -> str:
    parts = [HEADER]
    for fragment, title in SECTIONS:
        path = addon / "readme" / f"{fragment}.md"
        if not path.exists():
            continue
        body = convert(path.read_text(encoding="utf-8"))
        parts.append(f"{title}\n{'=' * len(title)}\n\n{body}" if title else body)
        if title is None:
            parts.append(CONTENTS)
    parts.append(FOOTER)
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when README.rst is not what the fragments make")
    args = parser.parse_args(argv)
    target = ADDON / "README.rst"
    text = render()
    if args.check:
        if target.read_text(encoding="utf-8") != text:
            print(f"{target} is not what readme/*.md make: run python -m "
                  "ingest_core.tools.addon_readme", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
