"""The report opens in a real spreadsheet application: LibreOffice converts it to PDF headless and
the Summary page, with its charts, is rendered and checked not to be blank.

Needs ``soffice`` (Debian: libreoffice-calc-nogui) and ``pdftoppm`` (poppler-utils); ``.ci/run``
installs both. Skipped, with the reason, only when they are missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import planner

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it"),
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed; .ci/run installs it"),
]


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and pixels of a binary (P5) greyscale image."""
    data = path.read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, max value (comments start with #)
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5" and fields[3] == b"255", fields
    w, h = int(fields[1]), int(fields[2])
    pixels = data[pos + 1: pos + 1 + w * h]
    assert len(pixels) == w * h
    return w, h, pixels


def dark_share(w: int, h: int, pixels: bytes, x0: float = 0.0, x1: float = 1.0) -> float:
    """Share of non-white pixels between fractions ``x0`` and ``x1`` of the width."""
    a, b = int(x0 * w), int(x1 * w)
    dark = total = 0
    for y in range(h):
        row = pixels[y * w + a: y * w + b]
        total += len(row)
        dark += sum(1 for v in row if v < 200)
    return dark / total


def render_first_page(xlsx: list[Path], out: Path) -> list[Path]:
    profile = out / "lo-profile"
    r = subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                        "--convert-to", "pdf", "--outdir", str(out), *map(str, xlsx)],
                       capture_output=True, text=True, timeout=600)  # a hang guard: LibreOffice starts slowly on a busy machine
    assert r.returncode == 0, r.stderr
    images = []
    for x in xlsx:
        pdf = out / f"{x.stem}.pdf"
        assert pdf.is_file() and pdf.stat().st_size > 1000, (r.stdout, r.stderr)
        subprocess.run(["pdftoppm", "-gray", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(out / x.stem)],
                       check=True, capture_output=True, timeout=600)
        images.append(next(out.glob(f"{x.stem}*.pgm")))
    return images


def test_report_opens_in_libreoffice_with_its_summary_chart(tmp_path):
    res = planner.run(TINY, time_limit=60, mip_gap=1e-6)
    en = planner.write_excel(res, tmp_path / "tiny.xlsx")
    zh = planner.write_excel(res, tmp_path / "tiny-zh.xlsx", lang="zh")
    for img in render_first_page([en, zh], tmp_path):
        w, h, px = read_pgm(img)
        assert w > h, "the Summary prints on one landscape page"
        assert dark_share(w, h, px) > 0.01, f"{img.name}: the Summary page is blank"
        # the KPI table sits on the left, the charts to its right
        assert dark_share(w, h, px, 0.0, 0.3) > 0.01, f"{img.name}: no KPI table"
        assert dark_share(w, h, px, 0.3, 1.0) > 0.01, f"{img.name}: no chart rendered"


def test_several_period_report_opens_with_its_installed_chart(tmp_path):
    res = planner.run(TINY.parent / "tiny_periods", time_limit=60, mip_gap=1e-6)
    out = planner.write_excel(res, tmp_path / "tiny-periods.xlsx")
    (img,) = render_first_page([out], tmp_path)
    w, h, px = read_pgm(img)
    assert dark_share(w, h, px, 0.0, 0.3) > 0.01, "no KPI table"
    assert dark_share(w, h, px, 0.3, 1.0) > 0.01, "the installed-PFLOPS-by-period chart did not render"
