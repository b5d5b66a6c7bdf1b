"""Writing files so that they are either complete or not there: a temporary file, then a rename.

Every output of planner (reports, frontier and comparison workbooks, JSON results, templates)
goes through :func:`check_target` and one of the ``save_*`` functions:

* only a regular file or a new path is ever written: a folder, a device (``/dev/full``), a pipe,
  a socket or a symbolic link named as the output is refused before anything is written, and so
  is any input file of the scenario (:func:`check_target` with ``inputs``);
* the data go to a temporary file beside the target, are synced and moved over the target in one
  step, so the target is the complete new file or as it was;
* an error while writing (permission denied, a full disk, a file-size limit) becomes an
  :class:`~planner.errors.OutputError` (exit code 1) with a plain message, and the temporary
  file is removed;
* a temporary file is locked while it is written; temporaries of planner's own name whose lock
  is free (their run was killed) are removed by the next write to the same folder.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from .errors import OutputError

try:  # POSIX: a writer holds an advisory lock on its temporary file
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


#: The name of planner's own temporary files: ``.<target name>.<8 hex digits>.tmp``.
TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")
#: Without file locks (Windows), a temporary file older than this is taken as stale, s.
STALE_AFTER_S = 3600.0


def _temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")


def _is_stale(p: Path) -> bool:
    """Whether no live writer holds ``p`` (its lock is free, or, without locks, it is old)."""
    if fcntl is None:  # pragma: no cover - Windows
        return time.time() - p.stat().st_mtime > STALE_AFTER_S
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False  # a live writer holds it
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: str | os.PathLike[str], target: str | None = None) -> int:
    """Remove planner's own temporary files left in ``folder`` by a killed run; return how many.

    Only names of :data:`TEMP_NAME`'s form (of ``target``'s temporaries, if given) are touched,
    only regular files, and only those no live writer holds (the writer's lock is free).
    """
    n = 0
    root = Path(folder)
    if not root.is_dir():
        return 0
    try:
        entries = list(root.iterdir())
    except OSError:
        return 0
    for p in entries:
        if not TEMP_NAME.match(p.name) or (
            target is not None and not p.name.startswith(f".{target}.")
        ):
            continue
        try:
            if p.is_symlink() or not p.is_file() or not _is_stale(p):
                continue
            p.unlink(missing_ok=True)
        except OSError:
            continue
        n += 1
    if n:
        log.info("removed %d stale temporary file(s) in %s", n, root)
    return n


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_target(
    path: str | os.PathLike[str],
    inputs: Iterable[str | os.PathLike[str]] = (),
    *,
    what: str = "output",
) -> Path:
    """``path`` if planner may write its output there; else :class:`OutputError` saying why.

    Allowed: a new path (in a folder that exists or can be created) or an existing regular file
    that is none of ``inputs`` (files the output was made from). Refused: a folder, a device, a
    pipe or socket, a symbolic link, an input, and a path whose folder is a file or not writable.
    """
    target = Path(path)
    name = str(path)

    def refuse(msg: str) -> OutputError:
        return OutputError(f"cannot write the {what} '{name}': {msg}; nothing was written")

    if name.endswith(("/", os.sep)) or target.name in ("", ".", ".."):
        raise refuse("it names a folder; give a file name, e.g. plan.xlsx")
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise refuse("a part of its path is a file, not a folder") from None
    except OSError as err:
        raise refuse(err.strerror or str(err)) from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise refuse("it is a symbolic link; give the path of a regular file or a new one")
        if stat.S_ISDIR(st.st_mode):
            raise refuse(f"it is a folder; give a file name inside it, e.g. {target / 'plan.xlsx'}")
        if not stat.S_ISREG(st.st_mode):
            raise refuse(
                "it is not a regular file (a device, a pipe or a socket); planner writes only regular files"
            )
        for i in inputs:
            if _same_file(name, str(i)):
                raise refuse("it is one of the scenario's input files; choose another name")
    else:
        real = os.path.realpath(target)
        if any(os.path.realpath(i) == real for i in inputs):
            raise refuse("it is one of the scenario's input files; choose another name")
    folder = target.parent
    while True:
        try:
            fst = os.stat(folder)
        except FileNotFoundError:
            if folder.parent == folder:
                break
            folder = folder.parent
            continue
        except OSError as err:
            raise refuse(f"its folder cannot be used ({err.strerror or err})") from None
        if not stat.S_ISDIR(fst.st_mode):
            raise refuse(f"'{folder}' is a file, not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise refuse(f"permission denied in the folder '{folder}'")
        break
    return target


def _os_problem(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "the disk is full (no space left on the device)"
    if err.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    if err.errno == errno.EFBIG:
        return "the file would be larger than this system allows (file size limit)"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno == errno.EROFS:
        return "the file system is read-only"
    if err.errno == errno.ENOTDIR:
        return "a part of its path is a file, not a folder"
    if err.errno == errno.EISDIR:
        return "it is a folder"
    return err.strerror or str(err)


def _atomic_write(target: Path, write: Callable[[IO[bytes]], object], what: str) -> Path:
    """Write ``target`` through a locked temporary file beside it, synced and renamed over it."""
    check_target(target, what=what)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(
            f"cannot write the {what} '{target}': cannot create its folder ({_os_problem(err)}); nothing was written"
        ) from None
    remove_stale_temporaries(target.parent, target.name)
    tmp = _temporary(target)
    try:
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666
        )  # mode as for a new file
        with os.fdopen(fd, "wb") as fh:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
            check_target(target, what=what)  # not replaced by a device or a link meanwhile
            try:
                os.replace(tmp, target)
            except PermissionError as exc:
                raise OutputError(
                    f"cannot replace {target}: is it open in another program (Excel)?"
                ) from exc
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OutputError(
            f"cannot write the {what} '{target}': {_os_problem(err)}; nothing was written"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def save_json(data: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (a temporary file, synced, then renamed)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    return _atomic_write(Path(path), lambda fh: fh.write(text), "JSON file")


def save_text(text: str, path: str | os.PathLike[str], what: str = "file") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    data = text.encode("utf-8")
    return _atomic_write(Path(path), lambda fh: fh.write(data), what)


def save_workbook(wb: Any, path: str | os.PathLike[str]) -> Path:
    """Save an openpyxl workbook to ``path`` atomically; return the path.

    The workbook is saved to a temporary file in the target folder (created if missing), synced to
    disk and moved over ``path`` in one step: ``path`` is either the complete new file or left as it
    was, and no temporary file remains after an error. A file locked by a spreadsheet program gets
    a plain-words hint; any other failure to write is an :class:`~planner.errors.OutputError`.
    """

    def write(fh: IO[bytes]) -> None:
        buf = (
            io.BytesIO()
        )  # built in memory: a write error cannot leave openpyxl's zip half-open on the file
        wb.save(buf)
        fh.write(buf.getbuffer())

    return _atomic_write(Path(path), write, "workbook")
