"""Writing files so that they are either complete or not there: a temporary file, then a rename."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


#: The name of planner's own temporary files: ``.<target name>.<8 hex digits>.tmp``.
TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")


def _temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> int:
    """Remove planner's own temporary files left in ``folder`` by a killed run; return how many.

    Only names of :data:`TEMP_NAME`'s form are touched; call it on a folder no other planner
    process is writing to (a sweep member's own folder before the member runs).
    """
    n = 0
    root = Path(folder)
    if not root.is_dir():
        return 0
    for p in root.iterdir():
        if TEMP_NAME.match(p.name) and p.is_file() and not p.is_symlink():
            p.unlink(missing_ok=True)
            n += 1
    if n:
        log.info("removed %d stale temporary file(s) in %s", n, root)
    return n


def save_json(data: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (a temporary file, synced, then renamed)."""
    target = Path(path)
    tmp = _temporary(target)
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def save_workbook(wb: Any, path: str | os.PathLike[str]) -> Path:
    """Save an openpyxl workbook to ``path`` atomically; return the path.

    The workbook is saved to a temporary file in the target folder (created if missing), synced to
    disk and moved over ``path`` in one step: ``path`` is either the complete new file or left as it
    was, and no temporary file remains after an error. A file locked by a spreadsheet program gets
    a plain-words hint.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(target)
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
