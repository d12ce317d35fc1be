"""The add-on opens the web client by a path every Odoo 18 serves.

A genuine Odoo 18 serves its web client at ``/odoo/...``; the fetched test harness is a
rebranded tree that serves it at ``/qplexity/...``; both serve ``/web`` and send it on.
The add-on's tours once opened ``/qplexity/...``: fine on the harness, a 404 for every
customer. Only ``/web`` paths are allowed in what the add-on ships and tests."""

from __future__ import annotations

import re
from pathlib import Path

ADDON = Path(__file__).resolve().parents[1] / "addons" / "retail_realtime_stock"
#: A web-client path of one tree only: its own prefix, or the genuine one.
TREE_PATHS = re.compile(r"""["'>(]/(?:odoo|qplexity)(?:/|\?|["'<#])""")


def test_the_addon_names_no_web_client_path_of_one_tree():
    found = [f"{path.relative_to(ADDON)}:{number}: {line.strip()}"
             for path in sorted(ADDON.rglob("*")) if path.suffix in (".py", ".js", ".xml")
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if TREE_PATHS.search(line)]
    assert not found, "use /web#action=<xml id> (every Odoo 18 sends it on):\n" + "\n".join(found)


def test_the_guided_tours_open_web_paths():
    tours = (ADDON / "data" / "web_tour_tour.xml").read_text()
    urls = re.findall(r'<field name="url">([^<]+)</field>', tours)
    assert urls and all(url.startswith("/web") for url in urls), urls
