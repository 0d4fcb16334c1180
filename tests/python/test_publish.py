"""Publishing to BI: builds never block readers, readers never block builds.

One module-scoped sequence on tiny generated data (end date 2026-11-30), in
a copy of the project that adds a model of schema ``restricted``:

1. publish.py builds the scores as of FIRST and publishes them;
2. a reader opens the published file read-only and keeps polling it while
   publish.py builds and publishes the scores as of the END date;
3. with the build lock held here, publish.py must fail at once, naming us;
4. a reader holding the build file itself breaks dbt (the fault publishing
   avoids), and nothing is published;
5. a copy of the project with a failing data test builds, fails, and
   publishes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

import publish
from conftest import ROOT, copy_project, generate

FIRST = "2026-10-31"
END = "2026-11-30"
FINGERPRINT = (
    "select cast(max(as_of_date) as varchar), count(*), round(sum(score), 4)"
    " from marts.customer_scores where is_default_profile"
)
RESTRICTED_PROBE = """\
{{ config(schema='restricted') }}

-- Probe for the publishing test: a model in schema restricted, which must
-- never reach the BI file.
select customer_id from {{ ref('customer_latest_scores') }}
"""
FAILING_TEST = """\
-- Fails on purpose: a build whose tests fail must publish nothing.
select tier from {{ ref('score_tiers') }}
"""


@dataclass
class Paths:
    """The files of one publishing sequence."""

    project: Path
    data: Path
    database: Path
    published: Path
    restricted: Path
    work: Path

    def run(
        self, *dbt_args: str, project: Path | None = None, timeout: int = 900
    ) -> subprocess.CompletedProcess[str]:
        """Run scripts/publish.py on this sequence's files; extra arguments go to dbt."""
        project = project or self.project
        command = [
            sys.executable,
            str(ROOT / "scripts" / "publish.py"),
            "--database",
            str(self.database),
            "--published",
            str(self.published),
            "--restricted",
            str(self.restricted),
            "--project-dir",
            str(project),
            "--target-path",
            str(self.work / "target"),
            "--",
            "--log-path",
            str(self.work / "logs"),
            *dbt_args,
        ]
        env = {
            **os.environ,
            "CBS_DATA_DIR": str(self.data),
            "DBT_PROFILES_DIR": str(project),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        env.pop("CBS_DUCKDB_PATH", None)
        return subprocess.run(
            command, env=env, capture_output=True, text=True, check=False, timeout=timeout
        )


@dataclass
class Sequence:
    """What the sequence of builds left behind, for the tests to read."""

    paths: Paths
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    fingerprint_first: tuple
    fingerprint_second_new_connection: tuple
    old_connection_after: tuple
    polled: list[tuple] = field(default_factory=list)
    poll_errors: list[str] = field(default_factory=list)


def fingerprint(path: Path) -> tuple:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return connection.execute(FINGERPRINT).fetchone()
    finally:
        connection.close()


def dbt_vars(as_of: str) -> list[str]:
    return ["--vars", json.dumps({"cbs_as_of_date": as_of})]


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> Sequence:
    work = tmp_path_factory.mktemp("publish")
    project = copy_project(work / "project")
    (project / "models" / "marts" / "publish_restricted_probe.sql").write_text(RESTRICTED_PROBE)
    paths = Paths(
        project=project,
        data=generate(work / "data", size="tiny", end_date=END),
        database=work / "build" / "cbs.duckdb",
        published=work / "published" / "cbs.duckdb",
        restricted=work / "published" / "cbs_restricted.duckdb",
        work=work,
    )
    paths.database.parent.mkdir()

    first = paths.run(*dbt_vars(FIRST))
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    fingerprint_first = fingerprint(paths.published)

    # A BI reader holds the published file open and keeps querying it.
    reader = duckdb.connect(str(paths.published), read_only=True)
    polled: list[tuple] = []
    errors: list[str] = []
    stop = threading.Event()

    def poll() -> None:
        cursor = reader.cursor()
        while not stop.is_set():
            try:
                polled.append(cursor.execute(FINGERPRINT).fetchone())
            except duckdb.Error as error:
                errors.append(str(error))
            stop.wait(0.2)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        second = paths.run(*dbt_vars(END))
    finally:
        stop.set()
        poller.join()
    old_connection_after = reader.execute(FINGERPRINT).fetchone()
    reader.close()
    return Sequence(
        paths=paths,
        first=first,
        second=second,
        fingerprint_first=fingerprint_first,
        fingerprint_second_new_connection=fingerprint(paths.published),
        old_connection_after=old_connection_after,
        polled=polled,
        poll_errors=errors,
    )


def test_build_and_publish_succeed_while_a_reader_holds_the_published_file(
    sequence: Sequence,
) -> None:
    assert sequence.second.returncode == 0, sequence.second.stderr[-4000:]
    assert "published for BI" in sequence.second.stdout
    assert sequence.fingerprint_first[0] == FIRST
    assert sequence.poll_errors == []
    assert sequence.polled, "the reader never got to query during the build"
    assert set(sequence.polled) == {sequence.fingerprint_first}


def test_old_connection_keeps_old_data_and_a_new_one_sees_the_new(sequence: Sequence) -> None:
    assert sequence.old_connection_after == sequence.fingerprint_first
    assert sequence.fingerprint_second_new_connection[0] == END
    assert sequence.fingerprint_second_new_connection != sequence.fingerprint_first


def test_published_file_is_self_contained_marts_only(sequence: Sequence) -> None:
    paths = sequence.paths
    connection = duckdb.connect(str(paths.published), read_only=True)
    try:
        schemas = {
            row[0]
            for row in connection.execute(
                "select schema_name from duckdb_schemas() where not internal"
            ).fetchall()
        }
        views = connection.execute(
            "select count(*) from duckdb_views() where not internal"
        ).fetchone()[0]
        databases = connection.execute(
            "select count(*) from duckdb_databases() where not internal"
        ).fetchone()[0]
        listed = connection.execute(
            "select relation_schema, relation_name, row_count"
            f" from main.{publish.PUBLICATION_TABLE}"
        ).fetchall()
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name = 'marts'"
        ).fetchall()
        counts = {
            (schema, name): connection.execute(
                f'select count(*) from {schema}."{name}"'
            ).fetchone()[0]
            for schema, name in tables
        }
        described = connection.execute(
            "select comment from duckdb_tables()"
            " where schema_name = 'marts' and table_name = 'customer_scores'"
        ).fetchone()[0]
    finally:
        connection.close()
    assert "restricted" not in schemas
    assert schemas <= {"main", "marts"}, schemas
    assert views == 0
    assert databases == 1
    assert ("marts", "customer_scores") in counts
    assert ("marts", "score_alerts") in counts
    assert {(schema, name): rows for schema, name, rows in listed} == counts
    assert described and described.startswith("One row per customer")


def test_restricted_models_go_to_their_own_owner_only_file(sequence: Sequence) -> None:
    paths = sequence.paths
    assert "restricted (owner-only)" in sequence.second.stdout
    assert paths.restricted.stat().st_mode & 0o077 == 0
    connection = duckdb.connect(str(paths.restricted), read_only=True)
    try:
        tables = set(
            connection.execute(
                "select schema_name, table_name from duckdb_tables() where schema_name <> 'main'"
            ).fetchall()
        )
    finally:
        connection.close()
    assert ("restricted", "publish_restricted_probe") in tables
    assert {schema for schema, _ in tables} == {"restricted"}


def test_a_second_build_fails_fast_naming_the_lock_holder(sequence: Sequence) -> None:
    paths = sequence.paths
    before = (paths.published.stat().st_ino, fingerprint(paths.published))
    with publish.build_lock(paths.database, command="test holder"):
        result = paths.run(*dbt_vars(FIRST), timeout=60)
    assert result.returncode == publish.LOCK_HELD_EXIT, result.stdout + result.stderr
    assert "another build holds the lock" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr
    assert "started 20" in result.stderr
    assert "test holder" in result.stderr
    assert "Running with dbt" not in result.stdout, "dbt ran although the lock was held"
    assert (paths.published.stat().st_ino, fingerprint(paths.published)) == before


def test_a_reader_on_the_build_file_breaks_dbt_and_nothing_is_published(
    sequence: Sequence,
) -> None:
    """The fault publishing exists for: a BI tool reading the build file itself."""
    paths = sequence.paths
    before = (paths.published.stat().st_ino, fingerprint(paths.published))
    reader = duckdb.connect(str(paths.database), read_only=True)
    try:
        result = paths.run(*dbt_vars(FIRST))
    finally:
        reader.close()
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "lock" in output.lower()
    assert "nothing published" in result.stdout
    assert f"{paths.published} (untouched)" in result.stdout
    assert (paths.published.stat().st_ino, fingerprint(paths.published)) == before


def test_a_build_whose_tests_fail_publishes_nothing(sequence: Sequence, tmp_path: Path) -> None:
    paths = sequence.paths
    failing = copy_project(tmp_path / "failing")
    (failing / "models" / "marts" / "publish_restricted_probe.sql").write_text(RESTRICTED_PROBE)
    (failing / "tests" / "dbt" / "assert_publish_probe_fails.sql").write_text(FAILING_TEST)
    before_bi = (paths.published.stat().st_ino, fingerprint(paths.published))
    before_restricted = paths.restricted.stat().st_ino
    result = paths.run(*dbt_vars(FIRST), "--fail-fast", project=failing)
    assert result.returncode != 0
    assert "assert_publish_probe_fails" in result.stdout
    assert "nothing published" in result.stdout
    assert f"{paths.published} (untouched)" in result.stdout
    assert (paths.published.stat().st_ino, fingerprint(paths.published)) == before_bi
    assert paths.restricted.stat().st_ino == before_restricted
    leftovers = [p.name for p in paths.published.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_node_selection_is_refused() -> None:
    with pytest.raises(ValueError, match="--select selects nodes"):
        publish.check_dbt_args(["--vars", "{}", "--select", "customer_scores"])
    with pytest.raises(ValueError, match="--exclude selects nodes"):
        publish.check_dbt_args(["--exclude=tag:x"])
    publish.check_dbt_args(["--vars", "{}", "--full-refresh", "--fail-fast"])


def test_lock_is_free_again_after_the_holder_leaves(tmp_path: Path) -> None:
    database = tmp_path / "cbs.duckdb"
    with (
        publish.build_lock(database, command="first"),
        pytest.raises(publish.BuildLockedError, match="first"),
        publish.build_lock(database),
    ):
        pass
    with publish.build_lock(database):
        pass
