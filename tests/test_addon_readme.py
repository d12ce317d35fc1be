"""The add-on's README.rst is what its readme/ fragments make, and valid RST."""

from __future__ import annotations

import io

import docutils.core
import docutils.utils

from ingest_core.tools import addon_readme


def test_readme_rst_is_made_from_the_fragments():
    """Edit readme/*.md, then run ``python -m ingest_core.tools.addon_readme``."""
    assert addon_readme.main(["--check"]) == 0


def test_readme_rst_is_valid_restructuredtext():
    """docutils parses the page without a warning: nested lists, literals, numbering."""
    warnings = io.StringIO()
    docutils.core.publish_doctree(
        addon_readme.render(),
        settings_overrides={"report_level": docutils.utils.Reporter.WARNING_LEVEL,
                            "halt_level": docutils.utils.Reporter.SEVERE_LEVEL,
                            "warning_stream": warnings})
    assert warnings.getvalue() == ""


def test_nested_lists_get_the_blank_lines_rst_needs():
    """A nested list is set off by blank lines; code spans become literals."""
    rst = addon_readme.convert("1. **One** `a`:\n   - x\n   - y\n2. two\n\nText ``b``.\n")
    assert rst == ("#. **One** ``a``:\n\n   - x\n   - y\n\n#. two\n\nText ``b``.\n")
