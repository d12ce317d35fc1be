"""Constants of the add-on's Python files, read without importing Odoo."""

from __future__ import annotations

import ast
from pathlib import Path


def constant(path: Path, name: str):
    """The literal value assigned to ``name`` at the top of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return next(ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign)
                and any(getattr(target, "id", None) == name for target in node.targets))
