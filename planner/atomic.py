"""Writing files so that they are either complete or not there: a temporary file, then a rename."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def save_workbook(wb: Any, path: str | os.PathLike[str]) -> Path:
    """Save an openpyxl workbook to ``path`` atomically; return the path.

    The workbook is saved to a temporary file in the target folder (created if missing), synced to
    disk and moved over ``path`` in one step: ``path`` is either the complete new file or left as it
    was, and no temporary file remains after an error. A file locked by a spreadsheet program gets
    a plain-words hint.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # mode as for a new file
        with os.fdopen(fd, "wb") as fh:
            wb.save(fh)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.replace(tmp, target)
        except PermissionError as exc:
            raise PermissionError(f"cannot replace {target}: is it open in another program (Excel)?") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
