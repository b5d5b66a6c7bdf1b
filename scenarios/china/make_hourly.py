"""Write the hourly variant of the China scenario: ``hourly.csv`` and ``sites_hourly.csv``.

Run from anywhere: ``python scenarios/china/make_hourly.py``. Deterministic (numpy
``default_rng(2025)``): the same files come out every time. Only numpy is needed.

Hour 0 is 1 January 2025 00:00 Beijing time (a Wednesday); 365 days × 24 h = 8760 rows.
china-public-data.md has **no hourly data** (no AI-load, price or renewable time series), so every
shape below is an **ESTIMATE**; the levels are the scenario's own (profiles.csv, sites.csv), and each
profile keeps them as its annual mean. The reasoning of each assumption is in the comments and in
hourly.md.

Columns of ``hourly.csv``:

- ``inference``: the online-inference multiplier (demand rows name it, as in the default scenario).
  Its day is the default scenario's diurnal shape (profiles.csv); it is modulated by in-year growth,
  the week, public holidays and noise, then normalised to a mean of 1.0.
- ``price_<site>`` (CNY/MWh): the site's price from sites.csv times a time-of-use multiplier
  normalised to a mean of 1, so a flat load pays the sites.csv price on average.
- ``green_<site>`` (0–1): green power available as a share of the site's energy; its annual mean is
  the site's green_share_max from sites.csv, shaped by the site's solar, wind and hydro resource.

``sites_hourly.csv`` is sites.csv with ``price_mwh`` and ``green_share_max`` naming those profiles.
Training and batch inference stay flat (no profile), as in the default scenario: shiftable, they are
balanced per day, and no source gives their hourly shape.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HOURS, DAYS = 24, 365
SEED = 2025

# ---- demand -------------------------------------------------------------------------------------
#: ESTIMATE: in-year growth. §6.1 forecasts FP16 intelligent compute +40.8% (2025→2026) and
#: +38%/yr to 2028, so demand is taken to grow smoothly at 40%/yr through the year: level ∝ 1.4^(d/365)
#: (≈ 0.84 of the mean on 1 January, ≈ 1.18 on 31 December). The demand.csv PFLOPS stay the annual mean.
GROWTH_PER_YEAR = 0.40
#: ESTIMATE: weekends −5% (enterprise and developer use falls, consumer use rises); no source.
WEEKEND = -0.05
#: ESTIMATE: public holidays −10% (offices and factories closed). 2025 calendar (State Council
#: holiday notice, 国办发明电〔2024〕12号): Spring Festival 28 Jan–4 Feb, Qingming 4–6 Apr, Labour Day
#: 1–5 May, Dragon Boat 31 May–2 Jun, National Day / Mid-Autumn 1–8 Oct (days of year, 0-based).
HOLIDAY = -0.10
HOLIDAYS = [*range(27, 35), *range(93, 96), *range(120, 125), *range(150, 153), *range(273, 281)]
#: ESTIMATE: day-to-day noise (AR(1), lag-1 correlation 0.7, sd 3%) and hour-to-hour noise (sd 2%).
DAY_NOISE, DAY_RHO, HOUR_NOISE = 0.03, 0.7, 0.02

# ---- prices -------------------------------------------------------------------------------------
#: ESTIMATE: time-of-use templates, multipliers of the flat price by hour (Beijing time). Structure
#: after NDRC 发改价格〔2021〕1093号 (provinces set peak/valley ratios ≥ 4:1 where the system's
#: peak–valley gap exceeds 40%, ≥ 3:1 elsewhere; a critical peak ≥ 20% above the peak), not in
#: china-public-data.md. ``east``: valley 23–07 h, peak 08–11 h and 17–22 h (evening-peaking coastal
#: and central grids), 4:1 (1.6 / 1.0 / 0.4). ``solar_west``: the north-western grids with much
#: solar price midday as valley 10–16 h and the evening 17–23 h as peak, 3:1 (1.5 / 1.0 / 0.5)
#: (Gansu, Ningxia, Inner Mongolia moved valley hours to midday in 2023–24 revisions; press, not in
#: the data file). ``hydro_sw``: east-style hours at 3:1 for the hydro-rich south-west.
#: Critical peak (all templates): ×1.2 on the peak hours 20–22 h in July and August.
TOU = {
    "east": {"valley": (range(23, 24), range(0, 7)), "peak": (range(8, 11), range(17, 22)), "mult": (0.4, 1.0, 1.6)},
    "solar_west": {"valley": (range(10, 16),), "peak": (range(17, 23),), "mult": (0.5, 1.0, 1.5)},
    "hydro_sw": {"valley": (range(23, 24), range(0, 7)), "peak": (range(8, 11), range(17, 22)), "mult": (0.5, 1.0, 1.5)},
}
CRITICAL = {"hours": range(20, 22), "days": range(181, 243), "factor": 1.2}
#: ESTIMATE: template and resource mix of each site's grid (by province; see hourly.md).
SOLAR_WEST = {"Horinger_cluster", "Qingyang_cluster", "Zhongwei_cluster"}
HYDRO_SW = {"Tianfu_cluster", "Chongqing_cluster", "Guian_cluster", "Chengdu_AICC"}
#: ESTIMATE: resource mix (solar, wind, hydro) behind the green power of each group of sites.
MIX = {
    "north": (0.5, 0.5, 0.0),   # 张家口, 和林格尔, 庆阳, 中卫 and the Beijing, Dalian, Xi'an AICCs: northern wind and solar bases
    "hydro": (0.3, 0.0, 0.7),   # 天府, 重庆, 贵安, Chengdu: hydro first, some solar
    "east": (0.5, 0.5, 0.0),    # coastal/central: mixed purchases (offshore wind, PV)
}
NORTH = {"Zhangjiakou_cluster", "Horinger_cluster", "Qingyang_cluster", "Zhongwei_cluster", "Beijing_AICC", "Dalian_AICC", "Xian_AICC"}
#: ESTIMATE: share of the green supply that is firm (hydro, storage, inter-provincial green
#: contracts), available around the clock; the rest follows the local resource hour by hour.
FIRM = 0.6


def _ar1(rng: np.random.Generator, n: int, rho: float, sigma: float) -> np.ndarray:
    """A stationary AR(1) series with lag-1 correlation ``rho`` and standard deviation ``sigma``."""
    x = np.empty(n)
    x[0] = rng.normal(0, sigma)
    eps = rng.normal(0, sigma * np.sqrt(1 - rho**2), n)
    for i in range(1, n):
        x[i] = rho * x[i - 1] + eps[i]
    return x


def _read(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def inference(rng: np.random.Generator) -> np.ndarray:
    """Online-inference multiplier over the year (mean 1.0)."""
    shape = {r["slice"]: float(r["inference"]) for r in _read("profiles.csv")}
    diurnal = np.array([shape[f"h{h:02d}"] for h in range(HOURS)])
    day = np.arange(DAYS)
    level = (1 + GROWTH_PER_YEAR) ** (day / DAYS)
    level = level * (1 + WEEKEND * (((day + 2) % 7) >= 5))  # day 0 = Wednesday
    level[HOLIDAYS] *= 1 + HOLIDAY
    level *= 1 + _ar1(rng, DAYS, DAY_RHO, DAY_NOISE)
    x = np.repeat(level, HOURS) * np.tile(diurnal, DAYS) * (1 + rng.normal(0, HOUR_NOISE, DAYS * HOURS))
    return x / x.mean()


def tou(template: str) -> np.ndarray:
    """Time-of-use multiplier over the year (mean 1.0)."""
    t = TOU[template]
    low, flat, high = t["mult"]
    day_shape = np.full(HOURS, flat)
    for r in t["valley"]:
        day_shape[list(r)] = low
    for r in t["peak"]:
        day_shape[list(r)] = high
    x = np.tile(day_shape, DAYS)
    for d in CRITICAL["days"]:
        for h in CRITICAL["hours"]:
            if day_shape[h] == high:
                x[d * HOURS + h] *= CRITICAL["factor"]
    return x / x.mean()


def resources(rng: np.random.Generator, lon: dict[str, float], sites: list[dict[str, str]]) -> dict[str, np.ndarray]:
    """Solar, wind and hydro availability shapes (each mean 1.0) per site.

    Solar: a cosine bell around local solar noon (12:00 + (120° − lon)/15° h, Beijing time), day
    length 12 ± 2.5 h over the year, seasonal strength 0.8–1.2 and a daily cloud factor (AR(1)),
    shared by the sites of a group. Wind: 1 + 0.35 cos (strongest in March: spring and winter
    monsoon) + 0.15 at night, plus multi-day weather (AR(1), lag-1 0.8, sd 0.35), clipped at 0.
    Hydro: 1 + 0.25 cos peaking in mid-July (wet season), flat within the day.
    """
    h = np.arange(DAYS * HOURS)
    hour, day = h % HOURS + 0.5, h // HOURS
    length = 12 + 2.5 * np.cos(2 * np.pi * (day - 172) / DAYS)
    season = 1 + 0.2 * np.cos(2 * np.pi * (day - 172) / DAYS)
    groups = sorted({_group(s["name"]) for s in sites})
    cloud = {g: np.repeat(np.clip(1 - np.abs(_ar1(rng, DAYS, 0.5, 0.3)), 0.2, 1), HOURS) for g in groups}
    weather = {g: np.repeat(_ar1(rng, DAYS, 0.8, 0.35), HOURS) for g in groups}
    hydro = 1 + 0.25 * np.cos(2 * np.pi * (day - 196) / DAYS)
    out = {}
    for s in sites:
        g = _group(s["name"])
        noon = 12 + (120 - lon[s["region"]]) / 15
        solar = np.clip(np.cos(np.pi * (hour - noon) / length), 0, None) * season * cloud[g]
        wind = np.clip(1 + 0.35 * np.cos(2 * np.pi * (day - 75) / DAYS) + 0.15 * np.cos(2 * np.pi * (hour - 3) / HOURS) + weather[g], 0, None)
        ws, ww, wh = MIX[g]
        r = ws * solar / solar.mean() + ww * wind / wind.mean() + wh * hydro / hydro.mean()
        out[s["name"]] = r / r.mean()
    return out


def _group(site: str) -> str:
    return "hydro" if site in HYDRO_SW else "north" if site in NORTH else "east"


def green(share: float, resource: np.ndarray) -> np.ndarray:
    """Hourly green share: ``min(1, k (FIRM + (1 − FIRM) r(h)))`` with ``k`` set so the mean is ``share``."""
    raw = FIRM + (1 - FIRM) * resource
    lo, hi = 0.0, 1.0 / raw.min()
    for _ in range(60):  # bisection on k: mean(min(1, k raw)) increases with k
        k = (lo + hi) / 2
        lo, hi = (k, hi) if np.minimum(1, k * raw).mean() < share else (lo, k)
    return np.minimum(1, (lo + hi) / 2 * raw)


def make() -> tuple[dict[str, np.ndarray], list[dict[str, str]]]:
    """The hourly profiles and the sites rows naming them."""
    rng = np.random.default_rng(SEED)
    sites = _read("sites.csv")
    lon = {r["name"]: float(r["lon"]) for r in _read("regions.csv")}
    prof: dict[str, np.ndarray] = {"inference": inference(rng)}
    res = resources(rng, lon, sites)
    rows = []
    for s in sites:
        name = s["name"]
        template = "solar_west" if name in SOLAR_WEST else "hydro_sw" if name in HYDRO_SW else "east"
        prof[f"price_{name}"] = float(s["price_mwh"]) * tou(template)
        share = float(s["green_share_max"] or 0)
        row = dict(s, price_mwh=f"price_{name}")
        if share > 0:
            prof[f"green_{name}"] = green(share, res[name])
            row["green_share_max"] = f"green_{name}"
        row["source"] = (s["source"] + f"; hourly variant: price_mwh = {s['price_mwh']} CNY/MWh × '{template}' time-of-use "
                         f"multiplier (mean 1), green_share_max = {share} as the annual mean of an hourly availability "
                         f"({_group(name)} resource mix) — hourly.csv, make_hourly.py, ESTIMATE")
        rows.append(row)
    return prof, rows


def write() -> None:
    """Write hourly.csv and sites_hourly.csv beside this script."""
    prof, rows = make()
    names = list(prof)
    with (HERE / "hourly.csv").open("w", encoding="utf-8", newline="\n") as f:
        f.write("# China hourly variant: written by make_hourly.py (seed 2025). ESTIMATE shapes on the scenario's levels; see hourly.md\n")
        f.write(",".join(["hour", *names]) + "\n")
        for i in range(DAYS * HOURS):
            cells = [f"{prof[n][i]:.4f}" if not n.startswith("price_") else f"{prof[n][i]:.2f}" for n in names]
            f.write(",".join([str(i), *cells]) + "\n")
    with (HERE / "sites_hourly.csv").open("w", encoding="utf-8", newline="\n") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    write()
