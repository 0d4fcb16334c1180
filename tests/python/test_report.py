"""The HTML report: self-contained, says why a section is empty, and its charts draw.

One module-scoped build on tiny generated data (end date 2026-11-30) scores
five dates 30 days apart over a 90-day window, so the history holds tier
moves and alerts; a backtest of the first date (scripts/backtest.py's own
code) writes the JSON the report reads. Two reports are written: the
latest date with the backtest, and the first date alone (one scoring date:
no migration, no alerts, no backtest).

Charts are checked in headless Chromium (Debian package chromium): the page
is screenshotted and every chart's box, measured in the same browser, must
hold coloured pixels. The same check must fail on the report with its
charts removed and with its charts blanked. Without chromium the tests skip,
and fail under CI (CI=true), where .ci/run installs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from PIL import Image

import backtest
import report
from conftest import Build, generate, run_dbt

END = date(2026, 11, 30)
DATES = [END - timedelta(days=30 * step) for step in range(4, -1, -1)]
WINDOW_DAYS = 90
HORIZON_DAYS = 90
SELECT = [
    "--select",
    "+path:models/marts/history+",
    "--exclude",
    "resource_type:test,path:models/staging",
    "resource_type:test,path:models/intermediate",
    "resource_type:unit_test",
    # Only tests whose every parent is selected: not the activation marts' tests.
    "--indirect-selection",
    "cautious",
]
WINDOW = (1280, 2400)
# A chart "drew" when its box holds this many strongly coloured pixels (bars,
# areas); axes and text are grey and do not count.
MIN_COLOURED_PIXELS = 400
BOX_SCRIPT = """
<script>
document.body.insertAdjacentHTML("beforeend", "<pre id='chart-boxes'>" + JSON.stringify(
  [...document.querySelectorAll("svg.chart")].map((chart) => {
    const box = chart.getBoundingClientRect();
    return [box.left, box.top + window.scrollY, box.width, box.height];
  })) + "</pre>");
</script>
"""


@dataclass
class Reports:
    """The build and the reports written from it."""

    build: Build
    latest: Path
    first: Path
    backtest_json: Path


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    folder = tmp_path_factory.mktemp("report")
    data = generate(folder / "data", size="tiny", end_date=END.isoformat())
    build = run_dbt(
        data,
        folder / "cbs.duckdb",
        args=["build", *SELECT],
        dbt_vars={
            "cbs_as_of_dates": [day.isoformat() for day in DATES],
            "cbs_window_days": WINDOW_DAYS,
        },
    )
    assert build.ok, build.output[-5000:]
    measured = backtest.backtest(build.database, "balanced", DATES[0], HORIZON_DAYS, "EUR")
    backtest_json = folder / "backtest.json"
    backtest_json.write_text(json.dumps(measured.to_json()))
    latest, first = folder / "latest.html", folder / "first.html"
    common = ["--database", str(build.database)]
    assert report.main([*common, "--out", str(latest), "--backtest-json", str(backtest_json)]) == 0
    assert report.main([*common, "--out", str(first), "--as-of", DATES[0].isoformat()]) == 0
    return Reports(build, latest, first, backtest_json)


# --------------------------------------------------------------------------- content


def test_report_needs_no_network(reports: Reports) -> None:
    for page in (reports.latest, reports.first):
        text = page.read_text()
        assert re.search(r"https?://", text) is None
        assert re.search(r"<(script|link|img|iframe|object|embed)\b", text) is None
        assert "@import" not in text
        assert re.search(r"\ssrc=", text) is None
        # Charts point only inside the page: clip paths and glyphs by #id.
        references = re.findall(r"url\(([^)]*)\)|href=\"([^\"]*)\"", text)
        assert references, "expected the charts' internal references"
        assert all((url or href).startswith("#") for url, href in references)


def test_latest_report_has_every_chart_and_its_figures(reports: Reports) -> None:
    text = reports.latest.read_text()
    build = reports.build
    assert text.count("<svg") == 5
    assert f"Scores as of {END}" in text
    assert f"{len(DATES)} scoring dates" in text
    scored = build.scalar(
        "select count(*) from marts.customer_score_history"
        f" where scoring_profile = 'balanced' and as_of_date = '{END}'"
    )
    top_tier = build.query(
        "select tier, count(*) from marts.customer_score_history"
        f" where scoring_profile = 'balanced' and as_of_date = '{END}'"
        " group by tier, tier_rank order by tier_rank limit 1"
    )[0]
    assert f"are in the {top_tier[0]} tier ({top_tier[1]:,} of {scored:,})" in text
    alerts = build.scalar(f"select count(*) from marts.score_alerts where as_of_date = '{END}'")
    assert alerts > 0, "the sequence raised no alert on the last date; pick other dates"
    assert f"{alerts:,} alerts on {END}" in text
    down = build.scalar(
        "select coalesce(sum(customers), 0) from marts.tier_migration"
        f" where scoring_profile = 'balanced' and to_as_of_date = '{END}'"
        " and to_tier_rank > from_tier_rank"
    )
    assert f"{down:,} customers fell a tier" in text
    measured = json.loads(reports.backtest_json.read_text())
    top = min(measured["tiers"], key=lambda tier: tier["tier_rank"])
    assert f"bought {top['hit_rate_lift']:.1f}x as often" in text
    assert f"Customers in the {top['tier']} tier" in text
    assert "No backtest" not in text


def test_one_scoring_date_says_so_instead_of_drawing_empty_charts(reports: Reports) -> None:
    text = reports.first.read_text()
    assert text.count("<svg") == 2
    assert f"Only one scoring date ({DATES[0]})" in text
    assert "No tier migration yet" in text
    assert "No alerts yet: one scoring date" in text
    assert "No backtest" in text


def test_bad_inputs_stop_with_a_message(
    reports: Reports, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = ["--database", str(reports.build.database), "--out", str(tmp_path / "r.html")]
    assert report.main(["--database", str(tmp_path / "none.duckdb")]) == 2
    assert "not found" in capsys.readouterr().err
    assert report.main([*database, "--as-of", "2001-01-01"]) == 2
    assert "was not scored" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"profile": "balanced"}))
    assert report.main([*database, "--backtest-json", str(broken)]) == 2
    assert "missing as_of_date" in capsys.readouterr().err
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert report.main(["--database", str(empty), "--out", str(tmp_path / "e.html")]) == 2
    assert "not a CBS build" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


# --------------------------------------------------------------------------- rendering


def chromium() -> str:
    """The chromium executable; skip without it, but fail in CI, which installs it."""
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not on PATH (Debian package chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_chromium(page: Path, profile: Path, *mode: str) -> str:
    """Run headless Chromium on ``page`` in one of its one-shot modes; its stdout."""
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *mode,
        page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def chart_problems(page: Path, work: Path, expected: int) -> list[str]:
    """Render ``page``; what is wrong with its charts (empty when all ``expected`` drew)."""
    work.mkdir(parents=True, exist_ok=True)
    probe = work / "probe.html"
    probe.write_text(page.read_text().replace("</body>", BOX_SCRIPT + "</body>"))
    screenshot = work / "screenshot.png"
    run_chromium(probe, work / "profile", f"--screenshot={screenshot}")
    dom = run_chromium(probe, work / "profile", "--dump-dom")
    found = re.search(r"<pre id=\"chart-boxes\">(.*?)</pre>", dom, flags=re.DOTALL)
    assert found, "the box probe did not run"
    boxes = json.loads(found.group(1))
    image = Image.open(screenshot).convert("RGB")
    assert image.size == WINDOW
    problems = []
    if len(boxes) != expected:
        problems.append(f"{len(boxes)} charts on the page, {expected} expected")
    for number, (left, top, width, height) in enumerate(boxes, start=1):
        if width < 100 or height < 100:
            problems.append(f"chart {number} is {width:.0f} x {height:.0f} px")
            continue
        if top + height > image.height:
            problems.append(f"chart {number} ends below the screenshot ({top + height:.0f} px)")
            continue
        crop = image.crop((int(left), int(top), int(left + width), int(top + height)))
        coloured = sum(
            count
            for count, (red, green, blue) in crop.getcolors(maxcolors=1 << 24)
            if max(red, green, blue) - min(red, green, blue) > 60
        )
        if coloured < MIN_COLOURED_PIXELS:
            problems.append(f"chart {number} has {coloured} coloured pixels")
    return problems


def test_charts_draw_in_chromium(reports: Reports, tmp_path: Path) -> None:
    assert chart_problems(reports.latest, tmp_path / "latest", expected=5) == []
    assert chart_problems(reports.first, tmp_path / "first", expected=2) == []


def test_chart_check_fails_without_the_charts(reports: Reports, tmp_path: Path) -> None:
    text = reports.latest.read_text()
    removed = tmp_path / "removed.html"
    removed.write_text(re.sub(r"<svg.*?</svg>", "", text, flags=re.DOTALL))
    problems = chart_problems(removed, tmp_path / "removed", expected=5)
    assert problems == ["0 charts on the page, 5 expected"]
    blanked = tmp_path / "blanked.html"
    blanked.write_text(
        re.sub(
            r"(<svg[^>]*>).*?</svg>",
            lambda match: match.group(1) + "</svg>",
            text,
            flags=re.DOTALL,
        )
    )
    problems = chart_problems(blanked, tmp_path / "blanked", expected=5)
    assert len(problems) == 5
    assert all("coloured pixels" in problem for problem in problems)
