"""Excel reports: results → workbook (layout only, no computation)."""

from .excel import write_excel

__all__ = ["write_excel"]
