"""Reading untrusted input files: kind and size checked before reading, strict UTF-8, bounded YAML and CSV.

Every scenario, table, hourly and sweep file goes through this module, so each kind of hostile
input is refused in one place with one plain message naming the file:

* :func:`read_bytes` / :func:`read_text` refuse what is not a regular file (a folder, a device, a
  pipe, a socket, a symbolic-link loop) *before* reading, refuse files above a size limit without
  reading them, and decode UTF-8 strictly (a Latin-1, GBK or UTF-16 file is named as such);
* :func:`load_yaml` refuses YAML nested too deeply, with too many aliases, or whose aliases would
  expand past a number of nodes (a "billion laughs" file), and mapping keys given twice (YAML
  would keep the last one silently);
* :func:`csv_rows` stops at a number of rows and of cells, and turns the csv module's own
  refusals (a cell above its field limit, a NUL byte) into problems;
* :func:`check_number` is the finite-number check every numeric field of the schema uses.

The limits are module constants; README ("Limits on input") states them and what happens past
them: the file is refused with exit code 1 and a message naming the file and the limit.
"""

from __future__ import annotations

import csv
import errno
import io
import math
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, ScenarioError

#: Largest YAML file (scenario, sweep) read, bytes.
MAX_YAML_BYTES = 5 * 1024**2
#: Largest CSV file (a table, a profile or hourly file) read, bytes.
MAX_CSV_BYTES = 50 * 1024**2
#: Deepest nesting of YAML mappings and lists.
MAX_YAML_DEPTH = 64
#: Most aliases (``*name``) in one YAML file.
MAX_YAML_ALIASES = 1_000
#: Most nodes of a YAML file once its aliases are expanded.
MAX_YAML_NODES = 1_000_000
#: Most data rows of one CSV table (as for a workbook sheet).
MAX_CSV_ROWS = 50_000
#: Most cells of one CSV file.
MAX_CSV_CELLS = 1_000_000
#: Largest magnitude of any number of a scenario (beyond it, sums overflow the solver's precision).
MAX_NUMBER = 1e15


def _mb(n: float) -> str:
    return f"{n / 1024**2:.1f} MB" if n < 10 * 1024**2 else f"{n / 1024**2:.0f} MB"


def _refuse(label: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(label, message)])


def _os_message(err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "is a symbolic link that loops back on itself (or a chain of too many links): give the real file"
    if err.errno == errno.ENOENT:
        return "not found"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied"
    if err.errno == errno.ENOTDIR:
        return "not found (a part of its path is a file, not a folder)"
    if err.errno == errno.ENAMETOOLONG:
        return "cannot be read: its name is too long"
    return f"cannot be read: {err.strerror or err}"


def file_kind(path: str | os.PathLike[str]) -> str | None:
    """``None`` if ``path`` is (or links to) a regular file, else why it cannot be read as one."""
    try:
        st = os.stat(path)
    except OSError as err:
        if err.errno == errno.ENOENT and os.path.islink(path):
            return "is a symbolic link to a file that does not exist"
        return _os_message(err)
    except ValueError:  # a NUL byte in the name
        return "cannot be read: its name holds a NUL character"
    if stat.S_ISDIR(st.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a device, a pipe or a socket): give a file"
    return None


def read_bytes(path: str | os.PathLike[str], label: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; raise :class:`ScenarioError` otherwise.

    The kind and size are checked on the opened file before anything is read (so a 2 GB file
    behind a link named ``sites.csv`` costs nothing), and at most ``max_bytes + 1`` bytes are ever
    read (a file that grows, or reports no size, is still bounded).
    """
    why = file_kind(path)
    if why is not None:
        raise _refuse(label, why)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as err:
        raise _refuse(label, _os_message(err)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced between the check and the open
            raise _refuse(
                label, "is not a regular file (a device, a pipe or a socket): give a file"
            )
        if st.st_size > max_bytes:
            raise _refuse(
                label,
                f"is too large ({_mb(st.st_size)}; at most {_mb(max_bytes)} for this kind of file)",
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise _refuse(label, _os_message(err)) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise _refuse(
            label, f"is too large (more than {_mb(max_bytes)}, the limit for this kind of file)"
        )
    return data


def decode(data: bytes, label: str) -> str:
    """``data`` as UTF-8 text (a byte-order mark dropped); a plain error for any other encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(
            label,
            "is UTF-16 text: save it as UTF-8 (in Excel: 'CSV UTF-8'; in an editor: encoding UTF-8)",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise _refuse(
            label,
            f"is not UTF-8 text: byte 0x{data[err.start]:02X} at line {line}, column {col} "
            "(Latin-1, GBK or another encoding?): save the file as UTF-8",
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise _refuse(
            label,
            f"holds a NUL character at line {line}: it is not a text file (UTF-16 without a byte-order mark?)",
        )
    return text


def read_text(path: str | os.PathLike[str], label: str, max_bytes: int) -> tuple[str, bytes]:
    """(text, bytes) of a UTF-8 text file: :func:`read_bytes` then :func:`decode`."""
    data = read_bytes(path, label, max_bytes)
    return decode(data, label), data


# ---- YAML ------------------------------------------------------------------------------------------
_LoaderBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _line(mark: Any) -> int:
    """The 1-based line of a YAML event's mark (0 if the parser gave none; the C and the Python parser's marks)."""
    return mark.line + 1 if mark is not None else 0


class _Loader(_LoaderBase):  # type: ignore[misc]
    """A safe loader that records mapping keys given twice (with their lines) instead of dropping them."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str, int]] = []  # (line, key, first line)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    if key in seen:
                        self.duplicates.append((line, str(key), seen[key]))
                    else:
                        seen[key] = line
                except TypeError:
                    continue  # an unhashable key: the base constructor says so
        return super().construct_mapping(node, deep=deep)


def _prescan(text: str, label: str) -> None:
    """Walk the YAML events (no document is built): bound the nesting, the aliases and the expanded size."""
    stack: list[list[Any]] = [[0, None]]  # [expanded nodes so far, anchor]
    sizes: dict[str, int] = {}
    aliases = 0
    for ev in yaml.parse(text, Loader=_LoaderBase):
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            stack.append([1, ev.anchor])
            if len(stack) - 1 > MAX_YAML_DEPTH:
                raise _refuse(
                    f"{label} › line {_line(ev.start_mark)}",
                    f"nests mappings and lists more than {MAX_YAML_DEPTH} levels deep (the limit)",
                )
            continue
        if isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            size, anchor = stack.pop()
            if anchor is not None:
                sizes[anchor] = size
        elif isinstance(ev, yaml.ScalarEvent):
            size = 1
            if ev.anchor is not None:
                sizes[ev.anchor] = 1
        elif isinstance(ev, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise _refuse(
                    f"{label} › line {_line(ev.start_mark)}",
                    f"uses more than {MAX_YAML_ALIASES:,} aliases (the limit)",
                )
            size = sizes.get(ev.anchor or "", 1)  # an undefined alias is reported by the loader
        else:
            continue
        stack[-1][0] += size
        if stack[-1][0] > MAX_YAML_NODES:
            raise _refuse(
                f"{label} › line {_line(ev.start_mark)}",
                f"expands to more than {MAX_YAML_NODES:,} values once its aliases are replaced (the limit): "
                "write the values out, or use fewer aliases",
            )


def load_yaml(text: str, label: str) -> Any:
    """The document of a YAML text, loaded safely and within the limits; raise :class:`ScenarioError`.

    Mapping keys given twice are problems (each with its line), not silently the last one.
    """
    try:
        _prescan(text, label)
        loader = _Loader(text)
        try:
            doc = loader.get_single_data()
            dups = loader.duplicates
        finally:
            loader.dispose()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{label} › line {mark.line + 1}" if mark is not None else label
        what = getattr(err, "problem", None) or str(err)
        if "nesting depth" in str(what):
            raise _refuse(
                where, f"nests mappings and lists too deeply (at most {MAX_YAML_DEPTH} levels)"
            ) from None
        raise _refuse(where, f"not valid YAML: {what}") from None
    except RecursionError:
        raise _refuse(
            label, f"nests mappings and lists too deeply (at most {MAX_YAML_DEPTH} levels)"
        ) from None
    if dups:
        raise ScenarioError(
            [
                Problem(
                    f"{label} › line {line}",
                    f"key '{key}' is given twice (also at line {first}); "
                    "YAML would keep only the last: remove one",
                )
                for line, key, first in dups
            ]
        )
    return doc


def load_yaml_file(path: str | os.PathLike[str], label: str | None = None) -> tuple[Any, bytes]:
    """(document, bytes) of a YAML file, read with :func:`read_text` and :func:`load_yaml`."""
    label = label or Path(path).name
    text, data = read_text(path, label, MAX_YAML_BYTES)
    return load_yaml(text, label), data


# ---- CSV -------------------------------------------------------------------------------------------
def csv_rows(
    text: str, label: str, *, max_rows: int = MAX_CSV_ROWS, max_cells: int = MAX_CSV_CELLS
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each CSV record of ``text``; stop with a problem at the row or cell limit.

    Blank and comment (``#``) rows are skipped and do not count. ``max_rows`` counts the header too
    plus one: a table of ``max_rows`` data rows is fine.
    """
    rows = cells_seen = 0
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise _refuse(
                f"{label} › line {reader.line_num}", f"cannot be read as CSV: {err}"
            ) from None
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        rows += 1
        cells_seen += len(cells)
        if rows > max_rows + 1:
            raise _refuse(
                label,
                f"has more than {max_rows:,} rows (the limit for one table); nothing past line {reader.line_num - 1} was read",
            )
        if cells_seen > max_cells:
            raise _refuse(
                label,
                f"has more than {max_cells:,} cells (the limit for one file); nothing past line {reader.line_num - 1} was read",
            )
        yield reader.line_num, cells


# ---- numbers ---------------------------------------------------------------------------------------
def number_problem(v: Any) -> str | None:
    """Why ``v`` (a number, or a list or mapping of them) is not a usable number, or ``None``."""
    if isinstance(v, bool):
        return None
    if isinstance(v, float):
        if not math.isfinite(v):
            return f"must be a finite number (got {v})"
        if abs(v) > MAX_NUMBER:
            return f"is too large (got {v:g}; at most {MAX_NUMBER:g} in size)"
        return None
    if isinstance(v, int):
        if abs(v) > MAX_NUMBER:
            return (
                f"is too large (got {v:.3g}; at most {MAX_NUMBER:g} in size)"
                if v.bit_length() < 1000
                else f"is too large (a number of {len(str(v)) if v.bit_length() < 10_000 else 'thousands of'} digits; at most {MAX_NUMBER:g} in size)"
            )
        return None
    if isinstance(v, dict):
        for k, x in v.items():
            why = number_problem(x)
            if why:
                return f"'{k}' {why}"
    if isinstance(v, (list, tuple)):
        for x in v:
            why = number_problem(x)
            if why:
                return why
    return None


def check_number(v: Any) -> Any:
    """``v`` if it is a finite number of at most :data:`MAX_NUMBER` in size (or not a number); else ``ValueError``."""
    why = number_problem(v)
    if why:
        raise ValueError(why)
    return v


def to_number(v: Any) -> float:
    """``float(v)``, finite and within :data:`MAX_NUMBER`; ``ValueError`` with a plain message otherwise."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number (got {v!r})") from None
    except OverflowError:
        raise ValueError(f"is too large (at most {MAX_NUMBER:g} in size)") from None
    check_number(x)
    return x
