"""Write ``hourly.csv`` for the hourly_small scenario: 8760 synthetic hours, deterministic.

Run from anywhere: ``python scenarios/hourly_small/make_hourly.py``. The same numbers come out
every time (numpy ``default_rng(2025)``); only numpy is needed. Hour 0 is 1 January 00:00 of a
365-day year whose 1 January is a Wednesday (as in 2025).

Profiles (all made up, shaped like the real thing; see README.md):

- ``online``: interactive inference multiplier — diurnal (night trough, evening peak), weekends
  −8%, a summer bump, demand growing ≈ 20% through the year, day-to-day AR(1) noise and hourly
  noise; normalised to a mean of 1.0.
- ``training``: training multiplier — near flat, −3% at weekends, a quiet spring-festival week,
  day-to-day noise; mean 1.0.
- ``price_north``, ``price_south``: time-of-use prices (CNY/MWh) — valley 23:00–07:00, peak
  10:00–12:00 and 18:00–21:00, flat otherwise; the south has the wider spread and a summer
  surcharge.
- ``green_north``: wind share available (0–1) — multi-day weather (AR(1) over days), stronger in
  winter and at night.
- ``green_south``: solar share available (0–1) — zero at night, a bell around noon scaled by season
  and daily cloudiness.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HOURS, DAYS = 24, 365


def _ar1(rng: np.random.Generator, n: int, rho: float, sigma: float) -> np.ndarray:
    """A stationary AR(1) series of length ``n`` with lag-1 correlation ``rho`` and sd ``sigma``."""
    x = np.empty(n)
    x[0] = rng.normal(0, sigma)
    eps = rng.normal(0, sigma * np.sqrt(1 - rho**2), n)
    for i in range(1, n):
        x[i] = rho * x[i - 1] + eps[i]
    return x


def make(seed: int = 2025) -> dict[str, np.ndarray]:
    """The hourly profiles, each an array of 8760 values."""
    rng = np.random.default_rng(seed)
    h = np.arange(HOURS * DAYS)
    hour, day = h % HOURS, h // HOURS
    weekday = (day + 2) % 7  # 0 = Monday; day 0 is a Wednesday
    weekend = weekday >= 5
    season = np.cos(2 * np.pi * (day - 196) / DAYS)  # +1 mid-July, −1 mid-January

    diurnal = 1 + 0.45 * np.sin(2 * np.pi * (hour - 15) / 24) + 0.15 * np.sin(4 * np.pi * (hour - 18) / 24)
    daily = np.repeat(_ar1(rng, DAYS, 0.7, 0.05), HOURS)
    online = diurnal * (1 - 0.08 * weekend) * (1 + 0.05 * season) * (1 + 0.2 * day / DAYS) * (1 + daily)
    online *= 1 + rng.normal(0, 0.03, h.size)
    online = np.clip(online, 0.05, None)
    online /= online.mean()

    festival = (day >= 28) & (day < 35)
    training = (1 - 0.03 * weekend) * (1 - 0.25 * festival) * (1 + np.repeat(_ar1(rng, DAYS, 0.8, 0.04), HOURS))
    training *= 1 + rng.normal(0, 0.01, h.size)
    training /= training.mean()

    valley = (hour >= 23) | (hour < 7)
    peak = ((hour >= 10) & (hour < 12)) | ((hour >= 18) & (hour < 21))
    tou = np.where(valley, -1, np.where(peak, 1, 0))
    summer = (day >= 181) & (day < 243)  # July–August
    price_north = 360 * (1 + 0.25 * tou)
    price_south = 650 * (1 + 0.55 * tou + 0.1 * (peak & summer))

    weather = np.repeat(_ar1(rng, DAYS, 0.85, 0.18), HOURS)
    green_north = 0.55 - 0.12 * season + 0.08 * np.cos(2 * np.pi * hour / 24) + weather + rng.normal(0, 0.03, h.size)
    green_north = np.clip(green_north, 0.05, 0.95)

    cloud = np.repeat(np.clip(1 - np.abs(_ar1(rng, DAYS, 0.5, 0.35)), 0.1, 1), HOURS)
    sun = np.clip(np.cos(np.pi * (hour + 0.5 - 12.5) / (12 + 2.5 * season)), 0, None)
    green_south = np.clip(0.6 * sun * (0.75 + 0.25 * season) * cloud, 0, 1)

    return {"online": online, "training": training, "price_north": price_north, "price_south": price_south,
            "green_north": green_north, "green_south": green_south}


def write(path: Path) -> None:
    """Write the profiles as CSV (an ``hour`` column, then one column per profile)."""
    prof = make()
    names = list(prof)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write("# hourly_small: synthetic hourly profiles written by make_hourly.py (seed 2025); see README.md\n")
        f.write(",".join(["hour", *names]) + "\n")
        for i in range(HOURS * DAYS):
            f.write(",".join([str(i), *(f"{prof[n][i]:.4f}" for n in names)]) + "\n")


if __name__ == "__main__":
    write(Path(__file__).resolve().parent / "hourly.csv")
