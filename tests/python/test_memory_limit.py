"""A build under a memory limit too small for it spills to disk and succeeds.

DuckDB keeps what does not fit in CBS_DUCKDB_MEMORY_LIMIT in its temporary
directory beside the database file (<database>.tmp). The test builds small
generated data (the demo size, about 20,000 customers and 320,000 events)
with one thread and a 100 MB limit, watches that directory while dbt runs,
and asserts that DuckDB wrote spill files there and that the build, every
data test included, passed. (The small size, a tenth of it, no longer
spills at 100 MB; at 60 MB it stopped with DuckDB's out-of-memory error in
an activation mart: not everything spills.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, generate

BIN = Path(sys.executable).parent
MEMORY_LIMIT = "100MB"


def spill_bytes(folder: Path) -> int:
    """Bytes in DuckDB's temporary folder right now.

    DuckDB creates and removes the folder and its files while the build
    runs, so any of them may vanish between listing and reading: what is
    gone counts as nothing.
    """
    total = 0
    try:
        for path in folder.rglob("*"):
            try:
                total += path.stat().st_size if path.is_file() else 0
            except FileNotFoundError:
                continue
    except FileNotFoundError:
        return total
    return total


def test_small_memory_limit_spills_and_builds(tmp_path: Path) -> None:
    data = generate(tmp_path / "data", size="demo")
    database = tmp_path / "cbs.duckdb"
    env = {
        **os.environ,
        "CBS_DATA_DIR": str(data),
        "CBS_DUCKDB_PATH": str(database),
        "CBS_DUCKDB_MEMORY_LIMIT": MEMORY_LIMIT,
        "CBS_THREADS": "1",
        "CBS_TARGET": "duckdb",
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [str(BIN / "dbt"), "build", "--project-dir", str(ROOT)]
    command += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    # The output goes to a file, not a pipe: nobody reads a pipe while the
    # loop below polls, and dbt would block once the pipe's buffer is full.
    log = tmp_path / "dbt_output.txt"
    with log.open("w") as output_file:
        process = subprocess.Popen(command, env=env, stdout=output_file, stderr=subprocess.STDOUT)
        spill_folder = Path(str(database) + ".tmp")
        largest_spill = 0
        while process.poll() is None:
            largest_spill = max(largest_spill, spill_bytes(spill_folder))
            time.sleep(0.01)
    assert process.returncode == 0, log.read_text()[-5000:]
    assert largest_spill > 0, "DuckDB never spilled: the limit is not small enough to test"
