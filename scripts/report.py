"""Write the CBS report: one self-contained HTML file with charts for business users.

Reads a built or published DuckDB file read-only (by default the published
BI file, which no build ever locks) and writes one HTML file that needs no
network: CSS is inline and every chart is an SVG drawn by matplotlib with
its text as vector paths, so no script, font or image is fetched. Sections,
each with a headline stating the figure that matters:

- tier sizes and the score distribution on the as-of date (marts.customer_scores,
  or marts.customer_score_history for an earlier --as-of);
- tier migration into the as-of date (marts.tier_migration);
- alerts over time up to the as-of date (marts.score_alerts);
- backtest lift per tier, from the JSON that scripts/backtest.py writes
  (--backtest-json); without it the section says there is no backtest.

A section without data says why (one scoring date: no migration yet; no
alert fired; a mart missing from the file) instead of drawing an empty
chart.

Usage:

    python scripts/report.py --database published/cbs.duckdb --out reports/cbs_report.html
    python scripts/report.py --database cbs.duckdb --out report.html \\
        --backtest-json data/backtest_cdnow/backtest_balanced.json --as-of 2026-11-01
"""

from __future__ import annotations

import argparse
import html
import io
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import matplotlib
import matplotlib.colors
import matplotlib.ticker
from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

# Tier colours by rank (1 = best); more tiers than colours sample a colormap.
TIER_COLOURS = ("#1f7a5a", "#e0a526", "#c2413a")
SEVERITY_COLOURS = {"high": "#6d1a7e", "medium": "#b55cc4", "low": "#dcb3e6"}
LIFT_BASELINE_COLOUR = "#444444"
TEXT_COLOUR = "#333333"
GRID_COLOUR = "#e3e3e3"
FIGURE_SIZE = (6.4, 3.3)


class ReportError(RuntimeError):
    """The database or the backtest file cannot make a report."""


@dataclass
class Section:
    """One part of the report: a headline, a sentence of context, a chart or a note."""

    key: str
    title: str
    headline: str
    detail: str
    svg: str | None = None
    note: str | None = None


# --------------------------------------------------------------------------- data


def has_table(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """True when ``schema.name`` is a table or view in the file."""
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def rows(connection: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list:
    """All rows of a query as tuples."""
    return connection.execute(sql, list(params)).fetchall()


def default_profile(connection: duckdb.DuckDBPyConnection, requested: str | None) -> str:
    """The profile to report: ``requested``, else the one marked default in customer_scores."""
    profiles = [
        row[0]
        for row in rows(
            connection,
            "select distinct scoring_profile from marts.customer_scores"
            " where is_default_profile order by 1",
        )
    ]
    if requested:
        known = [
            row[0]
            for row in rows(
                connection, "select distinct scoring_profile from marts.customer_scores order by 1"
            )
        ]
        if requested not in known:
            raise ReportError(f"profile {requested!r} is not scored; scored: {', '.join(known)}")
        return requested
    if len(profiles) != 1:
        raise ReportError(f"expected one default profile in marts.customer_scores, got {profiles}")
    return profiles[0]


def scores_source(connection: duckdb.DuckDBPyConnection) -> str:
    """The relation holding scores per date: the history when present."""
    if has_table(connection, "marts", "customer_score_history"):
        return "marts.customer_score_history"
    return "marts.customer_scores"


def pick_as_of(
    connection: duckdb.DuckDBPyConnection, source: str, profile: str, requested: date | None
) -> tuple[date, list[date]]:
    """The as-of date (requested or latest) and every scoring date of the profile."""
    dates = [
        row[0]
        for row in rows(
            connection,
            f"select distinct as_of_date from {source} where scoring_profile = ? order by 1",
            [profile],
        )
    ]
    if not dates:
        raise ReportError(f"{source} holds no scores of profile {profile!r}")
    if requested is None:
        return dates[-1], dates
    if requested not in dates:
        raise ReportError(
            f"--as-of {requested} was not scored; scored dates run from {dates[0]} to"
            f" {dates[-1]} ({len(dates)} dates)"
        )
    return requested, dates


def publication_note(connection: duckdb.DuckDBPyConnection) -> str | None:
    """When the file was published, if it is a published file."""
    if not has_table(connection, "main", "published_relations"):
        return None
    published_at = rows(connection, "select max(published_at) from main.published_relations")[0][0]
    return f"published {published_at:%Y-%m-%d %H:%M} UTC" if published_at else None


# --------------------------------------------------------------------------- charts


def tier_colours(ranks: Sequence[int]) -> dict[int, str]:
    """A colour per tier rank, green for the best to red for the worst."""
    ordered = sorted(set(ranks))
    if len(ordered) == len(TIER_COLOURS):
        palette = list(TIER_COLOURS)
    elif len(ordered) < len(TIER_COLOURS):
        palette = [TIER_COLOURS[0], TIER_COLOURS[-1]][: len(ordered)]
    else:
        colormap = matplotlib.colormaps["RdYlGn_r"]
        palette = [
            matplotlib.colors.to_hex(colormap(0.08 + 0.84 * i / (len(ordered) - 1)))
            for i in range(len(ordered))
        ]
    return dict(zip(ordered, palette, strict=True))


def new_axes() -> tuple[Figure, Any]:
    """A figure with one axes in the report's plain style."""
    figure = Figure(figsize=FIGURE_SIZE, dpi=100, layout="constrained")
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    axes.spines[["left", "bottom"]].set_color("#999999")
    axes.tick_params(colors=TEXT_COLOUR, labelsize=9)
    axes.yaxis.label.set_color(TEXT_COLOUR)
    axes.xaxis.label.set_color(TEXT_COLOUR)
    return figure, axes


def to_svg(figure: Figure, label: str) -> str:
    """The figure as inline SVG: no XML prolog, metadata or namespace URLs."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "cbs-report", "svg.fonttype": "path"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = re.sub(r'\s(width|height)="[^"]*pt"', "", svg, count=2)
    return svg.replace(
        "<svg", f'<svg class="chart" role="img" aria-label="{html.escape(label)}"', 1
    )


def tier_sizes_chart(tiers: list[tuple[str, int, int]], total: int) -> str:
    """Horizontal bars: customers per tier, best tier on top."""
    figure, axes = new_axes()
    colours = tier_colours([rank for _, rank, _ in tiers])
    names = [name for name, _, _ in tiers][::-1]
    counts = [count for _, _, count in tiers][::-1]
    bars = axes.barh(names, counts, color=[colours[rank] for _, rank, _ in tiers][::-1])
    for bar, count in zip(bars, counts, strict=True):
        axes.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f"  {count:,} ({count / total:.0%})",
            va="center",
            fontsize=9,
            color=TEXT_COLOUR,
        )
    axes.set_xlabel("customers")
    axes.set_xlim(0, max(counts) * 1.3)
    axes.grid(axis="x", color=GRID_COLOUR)
    axes.set_axisbelow(True)
    return to_svg(figure, "customers per tier")


def score_distribution_chart(scores: list[tuple[float, str, int]], median: float) -> str:
    """Histogram of scores in 5-point bins, stacked by tier."""
    figure, axes = new_axes()
    ranks = sorted({rank for _, _, rank in scores})
    colours = tier_colours(ranks)
    names = {rank: name for _, name, rank in scores}
    bins = [step * 5 for step in range(21)]
    values = [[score for score, _, rank in scores if rank == r] for r in ranks]
    axes.hist(
        values,
        bins=bins,
        stacked=True,
        color=[colours[r] for r in ranks],
        label=[names[r] for r in ranks],
        edgecolor="white",
        linewidth=0.5,
    )
    axes.axvline(median, color=LIFT_BASELINE_COLOUR, linestyle="--", linewidth=1)
    axes.text(median, axes.get_ylim()[1] * 0.95, f" median {median:.1f}", fontsize=9)
    axes.set_xlim(0, 100)
    axes.set_xlabel("score (0 to 100)")
    axes.set_ylabel("customers")
    axes.legend(frameon=False, fontsize=9, title="tier", title_fontsize=9)
    axes.grid(axis="y", color=GRID_COLOUR)
    axes.set_axisbelow(True)
    return to_svg(figure, "score distribution")


def migration_chart(moves: list[tuple[str, int, str, int, int]]) -> str:
    """Per earlier tier, a 100 % bar split by the tier its customers moved to."""
    figure, axes = new_axes()
    from_tiers = sorted({(rank, name) for name, rank, _, _, _ in moves})
    to_tiers = sorted({(rank, name) for _, _, name, rank, _ in moves})
    colours = tier_colours([rank for rank, _ in from_tiers + to_tiers])
    totals = {rank: 0 for rank, _ in from_tiers}
    for _, rank, _, _, customers in moves:
        totals[rank] += customers
    labels = [f"from {name}\n({totals[rank]:,})" for rank, name in from_tiers][::-1]
    left = [0.0] * len(from_tiers)
    for to_rank, to_name in to_tiers:
        shares = []
        for rank, _ in from_tiers[::-1]:
            moved = sum(c for _, fr, _, tr, c in moves if fr == rank and tr == to_rank)
            shares.append(moved / totals[rank])
        bars = axes.barh(labels, shares, left=left, color=colours[to_rank], label=f"to {to_name}")
        for bar, share in zip(bars, shares, strict=True):
            if share >= 0.08:
                axes.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_y() + bar.get_height() / 2,
                    f"{share:.0%}",
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white",
                )
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes.set_xlabel("share of the earlier tier")
    axes.legend(frameon=False, fontsize=9, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=4)
    return to_svg(figure, "tier migration")


def alerts_chart(alerts: list[tuple[date, str, int]], dates: list[date]) -> str:
    """Alerts per scoring date, stacked by severity."""
    figure, axes = new_axes()
    positions = range(len(dates))
    bottom = [0] * len(dates)
    for severity in ("high", "medium", "low"):
        counts = [
            sum(n for day, level, n in alerts if day == d and level == severity) for d in dates
        ]
        if not any(counts):
            continue
        axes.bar(
            positions,
            counts,
            bottom=bottom,
            color=SEVERITY_COLOURS[severity],
            label=severity,
            width=0.7,
        )
        bottom = [a + b for a, b in zip(bottom, counts, strict=True)]
    step = max(1, len(dates) // 8)
    axes.set_xticks(list(positions)[::step], [d.isoformat() for d in dates][::step])
    axes.tick_params(axis="x", labelrotation=30)
    axes.set_ylabel("alerts")
    axes.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes.legend(frameon=False, fontsize=9, title="severity", title_fontsize=9)
    axes.grid(axis="y", color=GRID_COLOUR)
    axes.set_axisbelow(True)
    return to_svg(figure, "alerts per scoring date")


def lift_chart(tiers: list[dict[str, Any]]) -> str:
    """Hit-rate lift per tier, with the line at 1 (the average customer)."""
    figure, axes = new_axes()
    usable = [t for t in tiers if t.get("hit_rate_lift") is not None]
    colours = tier_colours([int(t["tier_rank"]) for t in usable])
    names = [str(t["tier"]) for t in usable]
    lifts = [float(t["hit_rate_lift"]) for t in usable]
    bars = axes.bar(names, lifts, color=[colours[int(t["tier_rank"])] for t in usable], width=0.6)
    for bar, lift in zip(bars, lifts, strict=True):
        axes.text(
            bar.get_x() + bar.get_width() / 2,
            bar.get_height(),
            f"{lift:.2f}x",
            ha="center",
            va="bottom",
            fontsize=9,
            color=TEXT_COLOUR,
        )
    axes.axhline(
        1.0,
        color=LIFT_BASELINE_COLOUR,
        linestyle="--",
        linewidth=1,
        label="average customer (1.0)",
    )
    axes.legend(frameon=False, fontsize=9, loc="upper right")
    axes.set_ylabel("lift (hit rate / overall)")
    axes.set_ylim(0, max([*lifts, 1.0]) * 1.2)
    axes.grid(axis="y", color=GRID_COLOUR)
    axes.set_axisbelow(True)
    return to_svg(figure, "backtest lift per tier")


# --------------------------------------------------------------------------- sections


def tier_section(
    connection: duckdb.DuckDBPyConnection, source: str, profile: str, as_of: date
) -> tuple[Section, int, float]:
    """Customers per tier on the as-of date, the total and the top tier's share."""
    tiers = rows(
        connection,
        f"select tier, tier_rank, count(*) from {source}"
        " where scoring_profile = ? and as_of_date = ? group by 1, 2 order by 2",
        [profile, as_of],
    )
    total = sum(count for _, _, count in tiers)
    top_name, _, top_count = tiers[0]
    bottom_name, _, bottom_count = tiers[-1]
    return (
        Section(
            key="tiers",
            title="Tier sizes",
            headline=(
                f"{top_count / total:.0%} of customers are in the {top_name} tier"
                f" ({top_count:,} of {total:,})"
            ),
            detail=(
                f"{bottom_count:,} customers ({bottom_count / total:.0%}) are in the {bottom_name}"
                f" tier, the ones to re-activate. Tiers are the score bands of seed score_tiers."
            ),
            svg=tier_sizes_chart(tiers, total),
        ),
        total,
        top_count / total,
    )


def distribution_section(
    connection: duckdb.DuckDBPyConnection, source: str, profile: str, as_of: date
) -> tuple[Section, float]:
    """Histogram of the scores on the as-of date."""
    scores = rows(
        connection,
        f"select score, tier, tier_rank from {source} where scoring_profile = ? and as_of_date = ?",
        [profile, as_of],
    )
    median, low, high = rows(
        connection,
        f"select median(score), quantile_cont(score, 0.25), quantile_cont(score, 0.75)"
        f" from {source} where scoring_profile = ? and as_of_date = ?",
        [profile, as_of],
    )[0]
    return Section(
        key="distribution",
        title="Score distribution",
        headline=f"The median customer scores {median:.1f} out of 100",
        detail=(
            f"Half of the customers score between {low:.1f} and {high:.1f}. Bars are 5 points"
            " wide and coloured by tier."
        ),
        svg=score_distribution_chart(scores, float(median)),
    ), float(median)


def migration_section(
    connection: duckdb.DuckDBPyConnection, profile: str, as_of: date, dates: list[date]
) -> Section:
    """Tier moves between the previous scoring date and the as-of date."""
    title = "Tier migration"
    earlier = [d for d in dates if d < as_of]
    if not has_table(connection, "marts", "tier_migration"):
        return Section("migration", title, "No migration data", "", note=missing("tier_migration"))
    if not earlier:
        return Section(
            "migration",
            title,
            "No tier migration yet",
            "",
            note=(
                f"Only one scoring date ({as_of}) so far, so no customer can have moved between"
                " tiers. Score another date (a later run, or scripts/backfill_scores.py for past"
                " dates) to see movement."
            ),
        )
    moves = rows(
        connection,
        "select from_tier, from_tier_rank, to_tier, to_tier_rank, customers,"
        " from_as_of_date from marts.tier_migration"
        " where scoring_profile = ? and to_as_of_date = ?"
        " order by from_tier_rank, to_tier_rank",
        [profile, as_of],
    )
    if not moves:
        return Section(
            "migration",
            title,
            "No customer was scored on both dates",
            "",
            note=f"No customer scored on {as_of} was also scored on {earlier[-1]}.",
        )
    from_date = moves[0][5]
    moves = [move[:5] for move in moves]
    total = sum(move[4] for move in moves)
    down = sum(c for _, fr, _, tr, c in moves if tr > fr)
    up = sum(c for _, fr, _, tr, c in moves if tr < fr)
    return Section(
        key="migration",
        title=title,
        headline=(
            f"Since {from_date}, {down:,} customers fell a tier and {up:,} rose"
            f" ({(total - down - up) / total:.0%} kept theirs)"
        ),
        detail=(
            f"Customers scored on both {from_date} and {as_of} ({total:,}); each bar splits an"
            " earlier tier by where its customers are now."
        ),
        svg=migration_chart(moves),
    )


def alerts_section(
    connection: duckdb.DuckDBPyConnection, as_of: date, dates: list[date]
) -> tuple[Section, int | None]:
    """Alerts per scoring date up to the as-of date."""
    title = "Alerts over time"
    if not has_table(connection, "marts", "score_alerts"):
        return Section("alerts", title, "No alert data", "", note=missing("score_alerts")), None
    shown = [d for d in dates if d <= as_of]
    if len(shown) < 2:
        return Section(
            "alerts",
            title,
            "No alerts yet: one scoring date",
            "",
            note=(
                "An alert compares a customer's score with their previous scoring date; with one"
                f" date ({as_of}) there is nothing to compare yet."
            ),
        ), 0
    alerts = rows(
        connection,
        "select as_of_date, severity, count(*) from marts.score_alerts"
        " where as_of_date <= ? group by 1, 2 order by 1, 2",
        [as_of],
    )
    on_date = sum(n for day, _, n in alerts if day == as_of)
    high = sum(n for day, level, n in alerts if day == as_of and level == "high")
    total = sum(n for _, _, n in alerts)
    if not total:
        return Section(
            "alerts",
            title,
            "No alerts: no score fell past the thresholds",
            "",
            note=(
                f"From {shown[0]} to {as_of} ({len(shown)} scoring dates) no customer's score fell"
                " by more than the alert thresholds and no tier fell."
            ),
        ), 0
    return Section(
        key="alerts",
        title=title,
        headline=f"{on_date:,} alerts on {as_of}, {high:,} of them high severity",
        detail=(
            f"{total:,} alerts from {shown[0]} to {as_of}: customers whose score fell past the"
            " thresholds or whose tier fell since their previous scoring date."
        ),
        svg=alerts_chart(alerts, shown),
    ), on_date


def backtest_section(path: Path | None) -> Section:
    """Lift per tier from a backtest JSON, or a note that there is none."""
    title = "Does the score predict purchases? (backtest)"
    if path is None:
        return Section(
            "backtest",
            title,
            "No backtest",
            "",
            note=(
                "No backtest was given. Run scripts/backtest.py with --json FILE and pass"
                " --backtest-json FILE to show how each tier bought in the following period."
            ),
        )
    report = read_backtest(path)
    tiers = sorted(report["tiers"], key=lambda t: int(t["tier_rank"]))
    usable = [t for t in tiers if t.get("hit_rate_lift") is not None]
    if not usable:
        return Section(
            "backtest",
            title,
            "Backtest has no tier with customers",
            "",
            note=f"{path.name}: no tier had a hit rate to compare.",
        )
    top = usable[0]
    ranking = next(
        (r for r in report.get("rankings", []) if str(r["ranking"]).startswith("score")), None
    )
    auc = f" (AUC {ranking['auc']:.2f})" if ranking and ranking.get("auc") is not None else ""
    return Section(
        key="backtest",
        title=title,
        headline=(
            f"Customers in the {top['tier']} tier bought {float(top['hit_rate_lift']):.1f}x as"
            f" often as the average customer{auc}"
        ),
        detail=(
            f"Scores ({report['profile']}) as of {report['as_of_date']}, purchases in the next"
            f" {report['horizon_days']} days: {float(top['hit_rate']):.0%} of the {top['tier']}"
            f" tier bought against {float(report['hit_rate']):.0%} of all"
            f" {int(report['customers']):,} customers. Source: {path.name}."
        ),
        svg=lift_chart(usable),
    )


def read_backtest(path: Path) -> dict[str, Any]:
    """The backtest JSON, checked for the fields the report uses."""
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ReportError(f"cannot read backtest JSON {path}: {error}") from error
    needed = ["profile", "as_of_date", "horizon_days", "hit_rate", "customers", "tiers"]
    absent = [key for key in needed if key not in report]
    if absent:
        raise ReportError(f"{path} is not a scripts/backtest.py JSON: missing {', '.join(absent)}")
    return report


def missing(mart: str) -> str:
    """Note for a mart absent from the file."""
    return f"marts.{mart} is not in this database; build the history marts to fill this part."


# --------------------------------------------------------------------------- page

STYLE = """
body { margin: 0; background: #f4f5f7; color: #222; font: 15px/1.45 system-ui,
  -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #20303f; color: #fff; padding: 22px 40px 18px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: #c9d3dc; font-size: 14px; }
main { max-width: 1220px; margin: 0 auto; padding: 20px 30px 40px; }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin-bottom: 18px; }
.kpi { background: #fff; border-radius: 8px; padding: 12px 16px; }
.kpi b { display: block; font-size: 26px; }
.kpi span { color: #666; font-size: 13px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
section { background: #fff; border-radius: 8px; padding: 16px 18px; }
section h2 { margin: 0; font-size: 13px; text-transform: uppercase; letter-spacing: .04em;
  color: #666; }
section h3 { margin: 4px 0 2px; font-size: 19px; }
section p { margin: 0 0 8px; color: #555; font-size: 14px; }
section .note { background: #f4f5f7; border-radius: 6px; padding: 14px; color: #444; }
svg.chart { width: 100%; height: auto; display: block; }
footer { color: #777; font-size: 13px; margin-top: 18px; }
"""


def render_section(section: Section) -> str:
    """One section as HTML."""
    body = section.svg if section.svg else f'<p class="note">{html.escape(section.note or "")}</p>'
    detail = f"<p>{html.escape(section.detail)}</p>" if section.detail else ""
    return (
        f'<section id="{section.key}"><h2>{html.escape(section.title)}</h2>'
        f"<h3>{html.escape(section.headline)}</h3>{detail}{body}</section>"
    )


def render_page(
    sections: list[Section], kpis: list[tuple[str, str]], subtitle: str, footer: str
) -> str:
    """The whole report page."""
    kpi_html = "".join(
        f'<div class="kpi"><b>{html.escape(value)}</b><span>{html.escape(label)}</span></div>'
        for value, label in kpis
    )
    body = "".join(render_section(section) for section in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Customer Behavior Score report</title><style>{STYLE}</style></head>"
        f"<body><header><h1>Customer Behavior Score report</h1><p>{html.escape(subtitle)}</p>"
        f'</header><main><div class="kpis">{kpi_html}</div><div class="grid">{body}</div>'
        f"<footer>{html.escape(footer)}</footer></main></body></html>\n"
    )


def build_report(
    database: Path,
    backtest_json: Path | None = None,
    as_of: date | None = None,
    profile: str | None = None,
) -> str:
    """The report HTML for ``database``."""
    if not database.exists():
        raise ReportError(f"database {database} not found (run make publish first)")
    connection = duckdb.connect(str(database), read_only=True)
    try:
        if not has_table(connection, "marts", "customer_scores"):
            raise ReportError(f"{database} has no marts.customer_scores: not a CBS build")
        profile = default_profile(connection, profile)
        source = scores_source(connection)
        as_of, dates = pick_as_of(connection, source, profile, as_of)
        tiers, total, top_share = tier_section(connection, source, profile, as_of)
        distribution, median = distribution_section(connection, source, profile, as_of)
        migration = migration_section(connection, profile, as_of, dates)
        alerts, alerts_today = alerts_section(connection, as_of, dates)
        published = publication_note(connection)
    finally:
        connection.close()
    backtest = backtest_section(backtest_json)
    shown_dates = [d for d in dates if d <= as_of]
    kpis = [
        (f"{total:,}", "customers scored"),
        (f"{median:.1f}", "median score (0 to 100)"),
        (f"{top_share:.0%}", "in the top tier"),
        ("n/a" if alerts_today is None else f"{alerts_today:,}", f"alerts on {as_of}"),
    ]
    source_text = f"{database.name}" + (f", {published}" if published else "")
    subtitle = (
        f"Scores as of {as_of} · profile {profile} · {len(shown_dates)} scoring date"
        f"{'s' if len(shown_dates) != 1 else ''} from {shown_dates[0]} · data: {source_text}"
    )
    footer = (
        f"Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by scripts/report.py from {database}"
        f" ({source}). Scores are 0 to 100; tiers come from seed score_tiers."
    )
    sections = [tiers, distribution, migration, alerts, backtest]
    return render_page(sections, kpis, subtitle, footer)


def write_report(text: str, out: Path) -> None:
    """Write the page atomically, so a reader never opens half a report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, out)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        type=Path,
        default=Path("published/cbs.duckdb"),
        help="DuckDB file to report on, opened read-only (default: published/cbs.duckdb)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reports/cbs_report.html"),
        help="HTML file to write (default: reports/cbs_report.html)",
    )
    parser.add_argument(
        "--backtest-json", type=Path, help="JSON written by scripts/backtest.py --json"
    )
    parser.add_argument(
        "--as-of", type=date.fromisoformat, help="scoring date to report (default: the latest)"
    )
    parser.add_argument("--profile", help="weight profile (default: the default profile)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the report; 2 with a message when the inputs cannot make one."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        text = build_report(args.database, args.backtest_json, args.as_of, args.profile)
    except (ReportError, duckdb.Error) as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    write_report(text, args.out)
    charts = text.count("<svg")
    print(f"wrote {args.out}: {charts} charts, {len(text.encode()) / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
