"""Shared fixtures: run the real dbt project on a data folder into a DuckDB file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cbs_contract import source_tables, write_table

ROOT = Path(__file__).resolve().parents[2]
# The real public data sets: CBS_SHARED_DATA, else ../shared/data beside the repository.
SHARED_DATA = Path(os.environ.get("CBS_SHARED_DATA", ROOT.parent / "shared" / "data"))
BIN = Path(sys.executable).parent
PROJECT_FILES = ["dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt"]


@dataclass
class Build:
    """A finished dbt run: its process result and the DuckDB file it wrote."""

    result: subprocess.CompletedProcess[str]
    database: Path

    @property
    def ok(self) -> bool:
        return self.result.returncode == 0

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    def query(self, sql: str) -> list[tuple]:
        """Rows of a query on the build's DuckDB file, opened read-only."""
        connection = duckdb.connect(str(self.database), read_only=True)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]


def run_dbt(
    data_dir: Path,
    database: Path,
    args: list[str] | None = None,
    dbt_vars: dict | None = None,
    project_dir: Path = ROOT,
) -> Build:
    """Run ``dbt build`` (or ``args``) of ``project_dir`` on the raw files in ``data_dir``."""
    command = [str(BIN / "dbt"), *(args or ["build"])]
    command += ["--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    command += ["--target-path", str(database.parent / "target")]
    command += ["--log-path", str(database.parent / "logs")]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    env = {
        **os.environ,
        "CBS_DATA_DIR": str(data_dir),
        "CBS_DUCKDB_PATH": str(database),
        "CBS_TARGET": "duckdb",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return Build(result, database)


def copy_project(destination: Path) -> Path:
    """Copy the dbt project (not data, not the venv) so a test may edit it."""
    for name in PROJECT_FILES:
        source = ROOT / name
        target = destination / name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def generate(out: Path, size: str = "tiny", seed: int = 42, end_date: str = "2026-11-30") -> Path:
    """Generate raw data with the project's generator into ``out``."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "generate_data.py"),
            "--size",
            size,
            "--seed",
            str(seed),
            "--end-date",
            end_date,
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return out


@pytest.fixture(scope="session")
def generated_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """One full build on small generated data, shared by the tests that only read it."""
    folder = tmp_path_factory.mktemp("generated")
    data = generate(folder / "data", size="tiny")
    build = run_dbt(data, folder / "cbs.duckdb")
    assert build.ok, build.output[-5000:]
    return build


def write_raw(folder: Path, tables: dict[str, list[dict[str, str | None]]]) -> Path:
    """Write hand-made raw tables, e.g. ``{"shop__orders": [{...}, ...]}``, into ``folder``.

    Every contract table not given is written empty; columns not given are NULL.
    """
    for table, columns in source_tables().items():
        rows = tables.get(table)
        data = pa.table({c: [row.get(c) for row in rows] for c in columns}) if rows else None
        write_table(folder, table, data)
    return folder
