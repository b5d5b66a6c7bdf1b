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
    pytest.mark.skipif(
        shutil.which("soffice") is None,
        reason="LibreOffice (soffice) is not installed; .ci/run installs it",
    ),
    pytest.mark.skipif(
        shutil.which("pdftoppm") is None,
        reason="pdftoppm (poppler-utils) is not installed; .ci/run installs it",
    ),
]


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and pixels of a binary (P5) greyscale image."""
    data = path.read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, max value (comments start with #)
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5" and fields[3] == b"255", fields
    w, h = int(fields[1]), int(fields[2])
    pixels = data[pos + 1 : pos + 1 + w * h]
    assert len(pixels) == w * h
    return w, h, pixels


def dark_share(w: int, h: int, pixels: bytes, x0: float = 0.0, x1: float = 1.0) -> float:
    """Share of non-white pixels between fractions ``x0`` and ``x1`` of the width."""
    a, b = int(x0 * w), int(x1 * w)
    dark = total = 0
    for y in range(h):
        row = pixels[y * w + a : y * w + b]
        total += len(row)
        dark += sum(1 for v in row if v < 200)
    return dark / total


def box_share(w: int, h: int, pixels: bytes, x0: float, x1: float, y0: float, y1: float) -> float:
    """Share of non-white pixels in the box between fractions x0–x1 of the width and y0–y1 of the height."""
    a, b, c, d = int(x0 * w), int(x1 * w), int(y0 * h), int(y1 * h)
    rows = [pixels[y * w + a : y * w + b] for y in range(c, d)]
    total = sum(len(r) for r in rows)
    return sum(1 for r in rows for v in r if v < 200) / total if total else 0.0


def render_first_page(xlsx: list[Path], out: Path) -> list[Path]:
    profile = out / "lo-profile"
    r = subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, xlsx),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )  # a hang guard: LibreOffice starts slowly on a busy machine
    assert r.returncode == 0, r.stderr
    images = []
    for x in xlsx:
        pdf = out / f"{x.stem}.pdf"
        assert pdf.is_file() and pdf.stat().st_size > 1000, (r.stdout, r.stderr)
        subprocess.run(
            ["pdftoppm", "-gray", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(out / x.stem)],
            check=True,
            capture_output=True,
            timeout=600,
        )
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
    assert dark_share(w, h, px, 0.3, 1.0) > 0.01, (
        "the installed-PFLOPS-by-period chart did not render"
    )


def _tiny_with_policy_data() -> planner.Scenario:
    """tiny with hub and province groups, a cluster tag and two targets: every issue-13 sheet has content."""
    from planner.scenario.schema import Scenario

    from .conftest import doc_of

    doc = doc_of(planner.load_scenario(TINY))
    for r in doc["regions"]:
        r["province"] = "上海市" if r["name"] == "east" else "宁夏回族自治区"
        r["tags"] = [*r["tags"], "hub:长三角" if r["name"] == "east" else "hub:宁夏"]
    for s in doc["sites"]:
        s["tags"] = ["west", "hub", "cluster:中卫"] if s["name"] == "site_w" else ["east"]
    doc["targets"] = [
        {"name": "hub_new", "indicator": "hub_share_new", "value": 0.6, "scope": "hub"},
        {"name": "west_util", "indicator": "utilisation", "value": 0.5, "scope": "west"},
    ]
    return Scenario.model_validate(doc)


def _pages(pdf: Path) -> list[str]:
    """The text of every page of ``pdf``."""
    n = int(
        next(
            line.split()[-1]
            for line in subprocess.run(
                ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            if line.startswith("Pages:")
        )
    )
    return [
        subprocess.run(
            ["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for i in range(1, n + 1)
    ]


def _page_image(pdf: Path, page: int, out: Path) -> tuple[int, int, bytes]:
    stem = out / f"{pdf.stem}-p{page}"
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "40", "-f", str(page), "-l", str(page), str(pdf), str(stem)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return read_pgm(next(out.glob(f"{stem.name}*.pgm")))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_issue13_sheets_render_with_their_charts_and_map(tmp_path, lang):
    """Scorecard, Map, Hub balance, Price of compute and Load profiles print, each on landscape pages, with the
    chart (or the map image) drawn: the part of the page right of the tables is not blank."""
    res = planner.run(_tiny_with_policy_data(), time_limit=60, mip_gap=1e-6)
    xlsx = planner.write_excel(res, tmp_path / f"tiny13-{lang}.xlsx", lang=lang, currency="MCNY")
    profile = tmp_path / "lo-profile"
    r = subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(xlsx),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 0, r.stderr
    pdf = tmp_path / f"{xlsx.stem}.pdf"
    pages = _pages(pdf)
    titles = {
        "en": {
            "scorecard": "Policy scorecard: national targets",
            "map": "The plan on a map of China",
            "hub": "Where each hub's work runs",
            "prices": "The price of compute",
            "profiles": "Load by job class and idle capacity",
        },
        "zh": {
            "scorecard": "政策目标评分：本方案对照国家目标",
            "map": "方案地图",
            "hub": "各枢纽的工作在哪里运行",
            "prices": "算力价格：各地",
            "profiles": "各时段各类作业负载与闲置算力",
        },
    }[lang]
    found = {}
    for key, title in titles.items():
        hits = [i + 1 for i, text in enumerate(pages) if title in " ".join(text.split())]
        assert hits, f"{key}: no page shows {title!r}"
        found[key] = hits[0]
    # where the chart (the map) sits on its page, and nothing else: measured on this scenario's pages; with the
    # chart or image removed from the workbook these boxes are blank (< 0.001 dark), with it drawn ≥ 0.01
    boxes = {
        "map": (0.0, 1.0, 0.2, 1.0),
        "hub": (0.28, 0.6, 0.18, 0.4),
        "prices": (0.42, 0.7, 0.2, 0.38),
        "profiles": (0.5, 0.7, 0.1, 0.3),  # the load chart: ≈ 0.3 dark drawn, 0.0 without it
    }
    for key, box in boxes.items():
        w, h, px = _page_image(pdf, found[key], tmp_path)
        assert w > h, f"{key}: not landscape"
        assert box_share(w, h, px, *box) > 0.005, (
            f"{key} (page {found[key]}): the chart/map did not render"
        )
    # the map prints on one page: the next page is already the Sites sheet (its header row)
    after = pages[found["map"]]
    assert "PUE" in after and "site_e" in after and "cnmaps" not in after, after[:80]
