"""Input workbooks: a scenario as an Excel workbook, generated from the schema and read strictly.

:func:`write_template` writes a blank input workbook (with example rows) or a scenario as a
workbook; :func:`planner.load_scenario` reads a workbook (``inputs.xlsx``) directly, and a YAML
scenario may take tables from one (``sites: {file: inputs.xlsx, sheet: sites}``).
"""

from __future__ import annotations

from ..scenario.read_workbook import WorkbookFile, is_workbook
from .template import build_template, write_template

__all__ = ["WorkbookFile", "build_template", "is_workbook", "write_template"]
