"""Representative days from hourly profiles: read an 8760-hour CSV and reduce it with tsam.

A scenario may give hourly profiles (``hourly: {file: hourly.csv, days: 12}``) instead of time
slices. The year of 365 days × 24 h is reduced to ``days`` representative days:

1. The **peak days** are set aside first: for each peak series ``P_k`` (by default the total
   demand ``D(h) = Σ_rows pflops_row × profile_row(h)``, a flat 1.0 for a row without a profile),
   the calendar day holding ``argmax_h P_k(h)`` is kept as a representative day of its own,
   standing for itself only (weight 1 day), with its true hourly values.
2. The other days are clustered by tsam into ``n = days − #peak days`` typical days (hierarchical
   clustering with medoid representation by default; ``k_means`` / ``averaging`` give means,
   ``k_medoids`` an exact MILP medoid). Features are every profile plus the peak series, min–max
   normalised; the peak series carry weight ``max(1, m / 2)`` for ``m`` profiles, so demand makes
   about a third of the distance. tsam then rescales each profile's typical days so that
   ``Σ_k n_k · mean(day_k) = Σ_{non-peak days} mean(day)`` (``preserve_column_means``): with the
   exact peak days added back, every profile keeps its annual mean.
3. Representative day ``k`` standing for ``n_k`` calendar days gives 24 slices ``dKKhHH``, each of
   weight ``n_k`` h/yr and ``day`` label ``dKK``; ``Σ_k 24 n_k = 8760``.

The reduction is seeded: ``numpy.random.seed(seed)``, ``KMeans(random_state=seed)`` and HiGHS's
``random_seed`` for k-medoids, so the same input gives the same days. With ``days ≥ 365`` tsam is
bypassed and the year is returned unchanged (365 days of weight 1).

The reduction error is measured against the full year: each calendar day is replaced by its
representative, and per profile ``RMSE = sqrt(mean_h (x_h − x̂_h)²)``, ``MAE = mean_h |x_h − x̂_h|``,
the annual mean and the maximum of both are reported.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem, ScenarioError, near_miss
from ..safeio import MAX_CSV_BYTES, csv_rows, read_text

log = logging.getLogger(__name__)

HOURS = 24
DAYS = 365
YEAR_HOURS = HOURS * DAYS
#: Columns of the hourly CSV that are not profiles.
IGNORED_COLUMNS = ("hour",)
#: Scenario method names → tsam method names.
METHODS = {
    "hierarchical": "hierarchical",
    "k_means": "kmeans",
    "k_medoids": "kmedoids",
    "averaging": "averaging",
}
#: Most problems listed per column of the hourly file (then "and N more").
MAX_CELL_PROBLEMS = 3
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass
class Reduction:
    """Representative days of a year of hourly profiles.

    Attributes
    ----------
    slices
        Time-slice rows ``{"name", "weight", "day"}``: 24 per representative day, weight in h/yr.
    profiles
        ``profile → slice → value`` over those slices (one profile per CSV column).
    days
        Table "Representative days", one row per day (see :meth:`tables`).
    error
        Table "Reduction error", one row per profile and peak series.
    assignment
        For each calendar day (0–364), the index of its representative day.
    representatives
        For each representative day, the calendar day (0–364) it is (or is closest to).
    counts
        Calendar days each representative day stands for.
    peak_days
        Calendar days (0–364) kept as peak days, in the order of the peak series.
    settings
        Method, seed, days asked and kept, time taken: for the report.
    """

    slices: list[dict[str, Any]]
    profiles: dict[str, dict[str, float]]
    days: pd.DataFrame
    error: pd.DataFrame
    assignment: np.ndarray
    representatives: list[int]
    counts: list[int]
    peak_days: list[int]
    settings: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The report's sheets: {title: table} (column names carry units)."""
        settings = pd.DataFrame(
            {"setting": list(self.settings), "value": [str(v) for v in self.settings.values()]}
        )
        return {
            "Representative days": self.days,
            "Reduction error": self.error,
            "Reduction settings": settings,
        }


# ----------------------------------------------------------------------------------------------
# Reading


def read_hourly(
    path: str | Path, label: str | None = None
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read an hourly CSV: 8760 rows, one numeric column per profile.

    Lines starting with ``#`` and blank lines are skipped; a column named ``hour`` is ignored.
    Every cell must be a finite number ≥ 0 (prices, emission factors, shares and demand
    multipliers are never negative).

    Parameters
    ----------
    path
        The CSV file.
    label
        How the file is named in problems (default: its file name).

    Returns
    -------
    (frame, problems)
        The profiles as a ``(8760, m)`` float frame indexed 0…8759 (``None`` if the file cannot be
        used) and every problem found, each placed as ``file › hourly › row N (line L) › column``.
    """
    path = Path(path)
    label = label or path.name
    where = f"{label} › hourly"
    problems: list[Problem] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        text, _ = read_text(path, label, MAX_CSV_BYTES)
        for lineno, cells in csv_rows(text, label):
            if header is None:
                header = [c.strip() for c in cells]
                continue
            rows.append(cells)
            lines.append(lineno)
    except ScenarioError as err:
        return None, err.problems
    if header is None:
        return None, [Problem(where, "is empty: needs a header row of profile names and 8760 rows")]
    cols: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            problems.append(Problem(f"{where} › column {i + 1}", "has no name in the header row"))
            continue
        if name in seen:
            problems.append(
                Problem(
                    f"{where} › {name}",
                    f"duplicate column name (columns {seen[name] + 1} and {i + 1})",
                )
            )
            continue
        seen[name] = i
        if name.lower() not in IGNORED_COLUMNS:
            cols.append((i, name))
    if not cols:
        problems.append(
            Problem(where, "has no profile columns (only 'hour')" if header else "has no columns")
        )
    if len(rows) != YEAR_HOURS:
        problems.append(
            Problem(
                where,
                f"has {len(rows)} rows of hours but needs {YEAR_HOURS} (365 days × 24 h, no leap day)",
            )
        )
    values = np.full((len(rows), len(cols)), np.nan)
    bad: dict[str, list[str]] = {}
    short: list[str] = []
    for r, (cells, lineno) in enumerate(zip(rows, lines)):
        if len(cells) != len(header) and (
            len(cells) < len(header) or any(c.strip() for c in cells[len(header) :])
        ):
            short.append(f"row {r + 1} (line {lineno})")
            if len(short) <= MAX_CELL_PROBLEMS:
                problems.append(
                    Problem(
                        f"{where} › row {r + 1} (line {lineno})",
                        f"has {len(cells)} cells but the header has {len(header)} columns",
                    )
                )
            continue
        for j, (i, name) in enumerate(cols):
            raw = cells[i].strip() if i < len(cells) else ""
            msg = None
            if raw == "":
                msg = "is empty (every hour needs a value)"
            else:
                try:
                    v = float(raw)
                except ValueError:
                    msg = f"must be a number (got '{raw}')"
                else:
                    if not math.isfinite(v):
                        msg = f"must be a finite number (got '{raw}')"
                    elif v < 0:
                        msg = f"must be ≥ 0 (got {raw})"
                    else:
                        values[r, j] = v
            if msg is not None:
                bad.setdefault(name, []).append(f"row {r + 1} (line {lineno})")
                if len(bad[name]) <= MAX_CELL_PROBLEMS:
                    problems.append(Problem(f"{where} › row {r + 1} (line {lineno}) › {name}", msg))
    if len(short) > MAX_CELL_PROBLEMS:
        problems.append(
            Problem(
                where,
                f"{len(short) - MAX_CELL_PROBLEMS} more rows with the wrong number of cells ({short[MAX_CELL_PROBLEMS]} …)",
            )
        )
    for name, where_bad in bad.items():
        if len(where_bad) > MAX_CELL_PROBLEMS:
            problems.append(
                Problem(
                    f"{where} › {name}",
                    f"{len(where_bad) - MAX_CELL_PROBLEMS} more bad cells ({where_bad[MAX_CELL_PROBLEMS]} …)",
                )
            )
    frame = pd.DataFrame(values, columns=[n for _, n in cols])
    return (None if problems else frame), problems


def hourly_columns(path: str | Path) -> list[str]:
    """The profile names in the header of an hourly CSV (``[]`` if it cannot be read)."""
    try:
        text, _ = read_text(path, Path(path).name, MAX_CSV_BYTES)
        for _, cells in csv_rows(text, Path(path).name):
            return [
                c.strip() for c in cells if c.strip() and c.strip().lower() not in IGNORED_COLUMNS
            ]
    except ScenarioError:
        return []
    return []


# ----------------------------------------------------------------------------------------------
# Reduction


def _as_year(values: pd.DataFrame | pd.Series, what: str) -> pd.DataFrame:
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    if len(frame) != YEAR_HOURS:
        raise ValueError(f"{what} has {len(frame)} rows; needs {YEAR_HOURS} (365 days × 24 h)")
    return frame.reset_index(drop=True).astype(float)


def peak_series(hourly: pd.DataFrame, peak: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Peak series as weighted sums of columns: ``P_k(h) = c_k + Σ_c a_kc · x_c(h)``.

    ``peak`` maps each series' name to ``{column: coefficient}``; the key ``""`` is the constant
    ``c_k`` (e.g. demand rows without a profile).
    """
    out = {}
    for name, coef in peak.items():
        s = np.full(len(hourly), float(coef.get("", 0.0)))
        for c, a in coef.items():
            if c:
                s = s + float(a) * hourly[c].to_numpy(float)
        out[name] = s
    return pd.DataFrame(out, index=hourly.index)


def _day_of_year(d: int) -> str:
    """``MM-DD`` of day ``d`` (0-based) of a 365-day year."""
    m = 0
    while d >= _MONTH_DAYS[m]:
        d -= _MONTH_DAYS[m]
        m += 1
    return f"{m + 1:02d}-{d + 1:02d}"


def _ranges(days: Iterable[int]) -> str:
    """``1-3, 7`` for days 0, 1, 2, 6 (1-based day-of-year ranges)."""
    ds = sorted(d + 1 for d in days)
    out: list[str] = []
    i = 0
    while i < len(ds):
        j = i
        while j + 1 < len(ds) and ds[j + 1] == ds[j] + 1:
            j += 1
        out.append(str(ds[i]) if i == j else f"{ds[i]}-{ds[j]}")
        i = j + 1
    return ", ".join(out)


def _normalised(frame: pd.DataFrame) -> np.ndarray:
    """Min–max normalised values, shaped (365, 24 × columns) (constant columns are 0)."""
    x = frame.to_numpy(float)
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    z: np.ndarray = ((x - lo) / span).reshape(DAYS, HOURS, -1).transpose(0, 2, 1).reshape(DAYS, -1)
    return z


def _cluster(
    features: pd.DataFrame,
    other: list[int],
    n: int,
    method: str,
    seed: int,
    weights: dict[str, float],
    keep_means: list[str],
) -> tuple[list[np.ndarray], np.ndarray, list[int | None]]:
    """Cluster the days ``other`` with tsam into ``n`` typical days.

    Returns the typical days (24 × columns of ``features``), each day's cluster (index into
    ``other``'s order) and each cluster's medoid (position in ``other``, or ``None`` for means).
    """
    import tsam

    sub = features.iloc[
        np.concatenate([np.arange(d * HOURS, (d + 1) * HOURS) for d in other])
    ].reset_index(drop=True)
    sub.index = pd.date_range(
        "2001-01-01", periods=len(sub), freq="h"
    )  # consecutive hours; the calendar is kept in ``other``
    np.random.seed(seed % 2**32)
    kind = METHODS[method]
    algo: Any = kind
    if kind == "kmeans":
        algo = tsam.KMeans(n_init=10, random_state=seed % 2**32)
    elif kind == "kmedoids":
        algo = tsam.KMedoids(
            options={
                "random_seed": seed % 2**31,
                "threads": 1,
                "time_limit": 300.0,
                "mip_rel_gap": 1e-4,
            }
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = tsam.aggregate(
            sub,
            n,
            period_duration=HOURS,
            temporal_resolution=1.0,
            cluster=tsam.ClusterConfig(method=algo),
            weights=weights,
            preserve_column_means=True,
            rescale_exclude_columns=[c for c in sub.columns if c not in keep_means],
        )
    for w in caught:
        log.info("tsam: %s", w.message)
    reps_frame = res.cluster_representatives
    clusters = list(dict.fromkeys(reps_frame.index.get_level_values(0)))
    reps = [reps_frame.loc[c][list(features.columns)].to_numpy(float) for c in clusters]
    index = {c: k for k, c in enumerate(clusters)}
    assign = np.array([index[c] for c in res.clustering.cluster_assignments])
    centers = res.clustering.cluster_centers
    medoids: list[int | None] = [None] * len(clusters)
    if centers is not None and kind in ("hierarchical", "kmedoids"):
        medoids = [int(centers[k]) for k in range(len(clusters))]
    return reps, assign, medoids


def reduce_hourly(
    hourly: pd.DataFrame,
    days: int = 12,
    *,
    seed: int = 0,
    method: str = "hierarchical",
    peak: Mapping[str, Mapping[str, float]] | None = None,
    units: Mapping[str, str] | None = None,
    uses: Mapping[str, str] | None = None,
) -> Reduction:
    """Reduce a year of hourly profiles to ``days`` representative days, keeping the peak days.

    Each peak series ``P_k = c_k + Σ_c a_kc x_c`` has its peak day (the calendar day holding
    ``argmax_h P_k(h)``) kept with its true values, standing for itself alone; the other days are
    clustered by tsam into ``days − #peak days`` typical days, rescaled so that every profile keeps
    its annual mean. Representative day ``k``, standing for ``n_k`` days, gives 24 slices of weight
    ``n_k`` h/yr sharing the ``day`` label ``dKK``; ``Σ_k 24 n_k = 8760``. Days are numbered in
    calendar order of the day they are (medoid) or are closest to (mean representations).

    Parameters
    ----------
    hourly
        8760 rows (365 days × 24 h, from 1 January 00:00), one column per profile, values ≥ 0.
    days
        Representative days to keep, peak days included (1 ≤ days; ≥ 365 returns the year
        unchanged). With as many days as peak days, every other day joins its nearest peak day.
    seed
        Seed of every random choice (numpy, k-means, k-medoids' HiGHS): same input, same days.
    method
        ``hierarchical`` (default, medoids), ``k_means`` (means), ``k_medoids`` (exact MILP;
        slow above a few days) or ``averaging`` (means of consecutive days).
    peak
        ``{series: {column: coefficient, "": constant}}``; default the sum of all columns.
    units, uses
        Unit and use of each column, for the error table (e.g. ``CNY/MWh``, ``site price``).

    Returns
    -------
    Reduction
        Slices, profiles over them, the tables "Representative days" and "Reduction error".

    Raises
    ------
    ValueError
        ``hourly`` does not have 8760 rows, a peak column is unknown, a method is unknown, or
        ``days`` is smaller than the number of distinct peak days.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> h = np.arange(8760)
    >>> year = pd.DataFrame({"load": 1 + 0.5 * np.sin(2 * np.pi * h / 24) + h / 8760})
    >>> red = reduce_hourly(year, days=4, peak={"load": {"load": 1.0}})
    >>> sum(s["weight"] for s in red.slices)
    8760.0
    """
    t0 = time.perf_counter()
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}'; known: {', '.join(METHODS)}")
    if days < 1:
        raise ValueError(f"days must be ≥ 1 (got {days})")
    year = _as_year(hourly, "hourly")
    cols = list(year.columns)
    if peak is None:
        peak = {"total": dict.fromkeys(cols, 1.0)}
    for name, coef in peak.items():
        unknown = [c for c in coef if c and c not in cols]
        if unknown:
            raise ValueError(
                f"peak series '{name}' uses unknown column '{unknown[0]}'{near_miss(unknown[0], cols)}"
            )
    pk = peak_series(year, peak)
    pk.columns = [f"peak: {c}" for c in pk.columns]
    peak_of: dict[int, list[str]] = {}
    for name, c in zip(peak, pk.columns):
        d = int(np.argmax(pk[c].to_numpy()) // HOURS)
        peak_of.setdefault(d, []).append(name)
    peak_days = list(peak_of)

    if days >= DAYS:
        reps_days = list(range(DAYS))
        assign = np.arange(DAYS)
        values = [year.iloc[d * HOURS : (d + 1) * HOURS].to_numpy(float) for d in range(DAYS)]
        flags = [d in peak_of for d in range(DAYS)]
        how = "none: the full year (days ≥ 365)"
    elif days < len(peak_days):
        raise ValueError(
            f"days ({days}) must be at least the number of distinct peak days kept ({len(peak_days)})"
        )
    else:
        other = [d for d in range(DAYS) if d not in peak_of]
        n = days - len(peak_days)
        features = pd.concat([year, pk], axis=1)
        assign = np.empty(DAYS, dtype=int)
        if n == 0:  # only peak days: every day joins the nearest one
            z = _normalised(features)
            dist = ((z[:, None, :] - z[None, peak_days, :]) ** 2).sum(axis=2)
            assign[:] = dist.argmin(axis=1)
            reps_days = list(peak_days)
            values = [year.iloc[d * HOURS : (d + 1) * HOURS].to_numpy(float) for d in peak_days]
            flags = [True] * len(peak_days)
            how = "none: every day joins its nearest peak day"
        else:
            weights = dict.fromkeys(pk.columns, max(1.0, len(cols) / 2))
            reps, sub_assign, medoids = _cluster(features, other, n, method, seed, weights, cols)
            z = _normalised(features)
            reps_days, values, flags = [], [], []
            for k, rep in enumerate(reps):
                members = [other[i] for i in np.flatnonzero(sub_assign == k)]
                if not members:
                    continue
                med = medoids[k]
                if med is not None:
                    rd = other[med]
                else:  # the member day closest to the mean day
                    zr = _normalised_rep(rep, features)
                    rd = members[int(((z[members] - zr) ** 2).sum(axis=1).argmin())]
                for d in members:
                    assign[d] = len(reps_days)
                reps_days.append(rd)
                values.append(rep[:, : len(cols)])
                flags.append(False)
            for d in peak_days:
                assign[d] = len(reps_days)
                reps_days.append(d)
                values.append(year.iloc[d * HOURS : (d + 1) * HOURS].to_numpy(float))
                flags.append(True)
            how = f"tsam {METHODS[method]}, {n} typical days + {len(peak_days)} peak day(s)"

    order = sorted(range(len(reps_days)), key=lambda k: (reps_days[k], flags[k]))
    rank = {k: i for i, k in enumerate(order)}
    assign = np.array([rank[int(a)] for a in assign])
    reps_days = [reps_days[k] for k in order]
    values = [values[k] for k in order]
    is_peak = [flags[k] for k in order]
    counts = [int(c) for c in np.bincount(assign, minlength=len(reps_days))]
    width = max(2, len(str(len(reps_days))))
    labels = [f"d{k + 1:0{width}d}" for k in range(len(reps_days))]
    slices: list[dict[str, Any]] = []
    profiles: dict[str, dict[str, float]] = {c: {} for c in cols}
    for k, lab in enumerate(labels):
        for hr in range(HOURS):
            name = f"{lab}h{hr:02d}"
            slices.append({"name": name, "weight": float(counts[k]), "day": lab})
            for j, c in enumerate(cols):
                profiles[c][name] = float(values[k][hr, j])

    # the year rebuilt from the representative days, for the error measures
    rebuilt = np.concatenate([values[a] for a in assign])
    full = year.to_numpy(float)
    pk_red = peak_series(pd.DataFrame(rebuilt, columns=cols), peak).to_numpy(float)
    units = dict(units or {})
    uses = dict(uses or {})
    rows = []
    series = [
        (c, uses.get(c, "profile"), units.get(c, ""), full[:, j], rebuilt[:, j])
        for j, c in enumerate(cols)
    ]
    series += [
        (
            f"{name} (peak series)",
            "peak series",
            units.get(name, ""),
            pk[c].to_numpy(),
            pk_red[:, i],
        )
        for i, (name, c) in enumerate(zip(peak, pk.columns))
    ]
    for name, use, unit, x, xr in series:
        err = x - xr
        mean, mean_r = float(x.mean()), float(xr.mean())
        rows.append(
            {
                "profile": name,
                "used as": use,
                "unit": unit,
                "mean, full year (unit)": mean,
                "mean, reduced (unit)": mean_r,
                "mean error (%)": 100 * (mean_r - mean) / mean if mean else 0.0,
                "max, full year (unit)": float(x.max()),
                "max, reduced (unit)": float(xr.max()),
                "RMSE (unit)": float(np.sqrt((err**2).mean())),
                "MAE (unit)": float(np.abs(err).mean()),
                "RMSE (% of mean)": 100 * float(np.sqrt((err**2).mean())) / mean if mean else 0.0,
                "max kept": "yes"
                if math.isclose(float(xr.max()), float(x.max()), rel_tol=1e-9, abs_tol=1e-12)
                else "no",
            }
        )
    error = pd.DataFrame(rows)
    for c in error.columns[3:-1]:  # 6 significant digits: the mean errors are zero to rounding
        error[c] = [
            float(f"{v:.6g}") if abs(v) > 1e-9 * max(1.0, abs(m)) else 0.0
            for v, m in zip(error[c], error["mean, full year (unit)"])
        ]
    day_rows = []
    for k, lab in enumerate(labels):
        rd = reps_days[k]
        day_rows.append(
            {
                "day": lab,
                "day of year (1-365)": rd + 1,
                "date (MM-DD)": _day_of_year(rd),
                "days represented (days/yr)": counts[k],
                "slice weight (h/yr)": float(counts[k]),
                "peak day": "yes (" + ", ".join(peak_of[rd]) + ")" if is_peak[k] else "no",
                "member days (day of year)": _ranges(np.flatnonzero(assign == k)),
            }
        )
    took = time.perf_counter() - t0
    settings = {
        "days asked": days,
        "days kept": len(labels),
        "method": method,
        "seed": seed,
        "clustering": how,
        "peak days (day of year)": ", ".join(str(d + 1) for d in peak_days),
        "time (s)": round(took, 2),
    }
    log.info(
        "hourly profiles reduced to %d representative days (%s) in %.2f s", len(labels), how, took
    )
    return Reduction(
        slices,
        profiles,
        pd.DataFrame(day_rows),
        error,
        assign,
        reps_days,
        counts,
        peak_days,
        settings,
    )


def _normalised_rep(rep: np.ndarray, features: pd.DataFrame) -> np.ndarray:
    """A typical day (24 × columns) in the normalised space of :func:`_normalised`."""
    x = features.to_numpy(float)
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    day: np.ndarray = ((rep - lo) / span).T.reshape(-1)
    return day


# ----------------------------------------------------------------------------------------------
# Scenario glue (used by the loader)


def scenario_reduction(
    path: Path, label: str, options: Any, demand: Sequence[Any], sites: Sequence[Any], where: str
) -> tuple[Reduction | None, list[Problem]]:
    """Read the hourly file of a scenario and reduce it; every problem placed.

    The peak series is the total demand ``Σ_rows pflops × profile`` over the demand rows of the
    first period (rows without ``year`` and rows of the earliest year), or one series per name in
    ``options.peak_profiles``. Profiles used as a site's ``green_share_max`` must stay ≤ 1.

    Parameters
    ----------
    path, label
        The hourly CSV and how problems name it.
    options
        The scenario's :class:`~planner.scenario.schema.HourlyOptions`.
    demand, sites
        The scenario's validated demand and site rows.
    where
        Place of the ``hourly`` block (``scenario.yaml › hourly``).
    """
    frame, problems = read_hourly(path, label)
    if frame is None:
        return None, problems
    cols = list(frame.columns)
    uses: dict[str, list[str]] = {}
    units: dict[str, str] = {}
    for s in sites:
        for f, unit, what in (
            ("price_mwh", "CNY/MWh", "price"),
            ("grid_tco2_mwh", "tCO2/MWh", "grid factor"),
            ("green_share_max", "-", "green share"),
        ):
            v = getattr(s, f)
            if isinstance(v, str) and v in frame:
                uses.setdefault(v, []).append(f"{what} of {s.name}")
                units[v] = unit
                if f == "green_share_max" and (frame[v] > 1).any():
                    r = int(np.flatnonzero(frame[v].to_numpy() > 1)[0])
                    problems.append(
                        Problem(
                            f"{label} › hourly › {v}",
                            f"is the green_share_max of site {s.name} but has shares above 1 (first at row {r + 1}: {frame[v].iloc[r]:g}); shares are 0–1",
                        )
                    )
    years = [d.year for d in demand if d.year is not None]
    first = min(years) if years else None
    coef: dict[str, float] = {}
    for d in demand:
        if d.year not in (None, first):
            continue
        key = d.profile if d.profile in frame else ("" if d.profile is None else None)
        if key is None:
            continue  # an unknown profile: the cross-table checks report it
        coef[key] = coef.get(key, 0.0) + d.pflops
        if key:
            uses.setdefault(key, []).append(f"demand {d.job_class}/{d.region}")
            units[key] = "- (multiplier)"
    if options.peak_profiles:
        peak: dict[str, dict[str, float]] = {}
        for i, name in enumerate(options.peak_profiles):
            if name not in frame:
                problems.append(
                    Problem(
                        f"{where} › peak_profiles › {i + 1}",
                        f"unknown profile '{name}' (not a column of {label}){near_miss(name, cols)}",
                    )
                )
            peak[name] = {name: 1.0}
    else:
        peak = {"total demand": coef}
        units["total demand"] = "PFLOPS"
    if problems:
        return None, problems
    n_peak = len({int(np.argmax(s) // HOURS) for s in peak_series(frame, peak).to_numpy().T})
    if options.days < n_peak:
        return None, [
            Problem(
                f"{where} › days",
                f"must be at least {n_peak}: the peak days of {', '.join(peak)} are each kept as a day of their own",
            )
        ]
    use_text = {
        c: "; ".join(u[:3]) + (f" (+{len(u) - 3})" if len(u) > 3 else "") for c, u in uses.items()
    }
    for c in cols:
        use_text.setdefault(c, "not used")
    red = reduce_hourly(
        frame,
        options.days,
        seed=options.seed,
        method=options.method,
        peak=peak,
        units=units,
        uses=use_text,
    )
    red.settings = {"file": label, **red.settings}
    return red, []
