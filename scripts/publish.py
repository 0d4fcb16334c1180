"""Build and test the project, then publish the marts BI tools read.

BI tools never read the file dbt builds. DuckDB lets one process write a
file, or any number read it, never both: a BI tool holding the build file
open (even read-only) makes ``dbt build`` fail with "Could not set lock on
file", and a running build makes the BI tool fail. So this script

1. takes an exclusive, non-blocking lock on ``<build file>.lock`` (fcntl
   flock) and fails at once, naming the holder's pid and start time, when
   another build holds it;
2. runs ``dbt build`` (seeds, models, snapshots, data and unit tests) into
   the build file (``--database``, passed to dbt as CBS_DUCKDB_PATH);
3. only when dbt exits 0, copies every model of schema ``marts`` (the
   models/marts folder and its subfolders) as plain tables into a new file
   beside the published one and moves it into place with an atomic rename
   (``os.replace``). A reader that holds the old file keeps reading the old
   data until it reconnects; a new connection sees the new data; no reader
   ever sees a half-written file or takes a lock the build needs.

Models of schema ``restricted`` (personal data for care teams) never go to
the BI file: they are published the same way to a separate file
(``--restricted``, readable by its owner only), or not at all with
``--no-restricted``. A failed build or a failed test publishes nothing and
says so; the published files stay as they were.

Usage:

    CBS_DATA_DIR=data/demo python scripts/publish.py --database cbs.duckdb \\
        --published published/cbs.duckdb --restricted published/cbs_restricted.duckdb
    python scripts/publish.py --database cbs.duckdb -- --vars '{cbs_as_of_date: 2026-11-01}'

Arguments after ``--`` go to ``dbt build`` unchanged, except node selection
(--select, --exclude, ...): a partial build would publish marts that this
run did not build and test.

Exit codes: 0 published; dbt's exit code when the build or a test failed;
2 bad arguments or a publishing error; 3 another build holds the lock.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
BI_SCHEMAS = ("marts",)
RESTRICTED_SCHEMAS = ("restricted",)
LOCK_HELD_EXIT = 3
ERROR_EXIT = 2
SELECTION_FLAGS = ("-s", "--select", "--exclude", "--selector", "-m", "--models", "--model")
PUBLICATION_TABLE = "published_relations"


class BuildLockedError(RuntimeError):
    """Another build holds the build lock."""


class PublishError(RuntimeError):
    """The build succeeded but publishing could not be done."""


@dataclass(frozen=True)
class Relation:
    """A dbt model's relation in the build file."""

    schema: str
    name: str


# --------------------------------------------------------------------------- lock


def lock_path(database: Path) -> Path:
    """The lock file of a build file: ``<file>.lock`` beside it."""
    return database.with_name(database.name + ".lock")


def describe_holder(text: str) -> str:
    """Readable holder description from the lock file's JSON content."""
    try:
        holder = json.loads(text)
        return (
            f"pid {holder['pid']} on {holder['host']}, started {holder['started_at']}"
            f" ({holder['command']})"
        )
    except (ValueError, KeyError, TypeError):
        return "a process that has not written its details yet"


@contextlib.contextmanager
def build_lock(database: Path, command: str = "") -> Iterator[int]:
    """Hold the exclusive build lock of ``database``; raise BuildLockedError at once if held.

    The lock is released by the kernel when every holder of the file
    descriptor ends, so a crashed build never leaves a stale lock.
    """
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            with open(path, encoding="utf-8") as handle:
                holder = describe_holder(handle.read())
            raise BuildLockedError(
                f"another build holds the lock {path}: {holder}."
                " Wait for it to finish; nothing was built or published."
            ) from None
        details = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command or " ".join(sys.argv),
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(details).encode(), 0)
        yield descriptor
        os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)


# --------------------------------------------------------------------------- build


def check_dbt_args(dbt_args: Sequence[str]) -> None:
    """Refuse node selection: only a whole, fully tested build may be published."""
    for argument in dbt_args:
        flag = argument.split("=", 1)[0]
        if flag in SELECTION_FLAGS:
            raise ValueError(
                f"dbt argument {flag} selects nodes; publishing needs a full dbt build,"
                " since a partial one would publish marts this run did not build and test"
            )


def run_dbt_build(
    dbt: Path,
    project_dir: Path,
    database: Path,
    target_path: Path,
    dbt_args: Sequence[str],
    lock_descriptor: int,
) -> int:
    """Run ``dbt build`` into ``database``; return its exit code (output goes to ours)."""
    command = [
        str(dbt),
        "build",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        os.environ.get("DBT_PROFILES_DIR", str(project_dir)),
        "--target-path",
        str(target_path),
        *dbt_args,
    ]
    env = {
        **os.environ,
        "CBS_DUCKDB_PATH": str(database),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    logger.info("building %s: %s", database, " ".join(command))
    # dbt inherits the lock, so it stays held even if this process is killed first.
    result = subprocess.run(command, env=env, check=False, pass_fds=(lock_descriptor,))
    return result.returncode


# --------------------------------------------------------------------------- publish


def manifest_models(target_path: Path) -> tuple[list[Relation], str]:
    """Relations of the enabled, non-ephemeral models in the run's manifest, and its run id."""
    path = target_path / "manifest.json"
    if not path.exists():
        raise PublishError(f"no dbt manifest at {path}; the build did not write one")
    manifest = json.loads(path.read_text())
    relations = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        if node["config"].get("materialized") == "ephemeral":
            continue
        if not node["config"].get("enabled", True):
            continue
        relations.append(Relation(node["schema"], node.get("alias") or node["name"]))
    return sorted(relations, key=lambda r: (r.schema, r.name)), manifest["metadata"].get(
        "invocation_id", ""
    )


def quote(identifier: str) -> str:
    """A DuckDB identifier in double quotes."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str | None) -> str:
    """A DuckDB string literal, or NULL."""
    return "null" if text is None else "'" + text.replace("'", "''") + "'"


def copy_relations(
    build_file: Path, new_file: Path, relations: Sequence[Relation], invocation_id: str
) -> list[tuple[Relation, int]]:
    """Copy ``relations`` of the build file as tables (with comments) into ``new_file``.

    Views become tables, so the new file reads nothing from the build file.
    A table ``main.published_relations`` lists what was copied and when.
    """
    published_at = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    copied = []
    connection = duckdb.connect(str(new_file))
    try:
        connection.execute(f"attach {literal(str(build_file))} as build_db (read_only)")
        present = {
            (schema, name)
            for schema, name in connection.execute(
                "select schema_name, table_name from duckdb_tables()"
                " where database_name = 'build_db'"
                " union all select schema_name, view_name from duckdb_views()"
                " where database_name = 'build_db' and not internal"
            ).fetchall()
        }
        missing = [r for r in relations if (r.schema, r.name) not in present]
        if missing:
            names = ", ".join(f"{r.schema}.{r.name}" for r in missing)
            raise PublishError(f"models missing from the build file {build_file}: {names}")
        for schema in sorted({relation.schema for relation in relations}):
            connection.execute(f"create schema {quote(schema)}")
        for relation in relations:
            target = f"{quote(relation.schema)}.{quote(relation.name)}"
            connection.execute(f"create table {target} as select * from build_db.{target}")
            rows = connection.execute(f"select count(*) from {target}").fetchone()[0]
            copy_comments(connection, relation)
            copied.append((relation, int(rows)))
        connection.execute("detach build_db")
        connection.execute(
            f"create table main.{PUBLICATION_TABLE} (relation_schema varchar,"
            " relation_name varchar, row_count bigint, published_at timestamp,"
            " dbt_invocation_id varchar)"
        )
        connection.executemany(
            f"insert into main.{PUBLICATION_TABLE} values (?, ?, ?, ?, ?)",
            [(r.schema, r.name, rows, published_at, invocation_id) for r, rows in copied],
        )
        connection.execute(
            f"comment on table main.{PUBLICATION_TABLE} is 'One row per relation in this"
            " published file: its row count, when it was published (UTC) and the dbt"
            " invocation that built and tested it.'"
        )
        connection.execute("checkpoint")
    finally:
        connection.close()
    return copied


def copy_comments(connection: duckdb.DuckDBPyConnection, relation: Relation) -> None:
    """Carry the table and column descriptions (dbt persist_docs) into the copy."""
    target = f"{quote(relation.schema)}.{quote(relation.name)}"
    comment = connection.execute(
        "select comment from duckdb_tables() where database_name = 'build_db'"
        " and schema_name = ? and table_name = ?"
        " union all select comment from duckdb_views() where database_name = 'build_db'"
        " and schema_name = ? and view_name = ?",
        [relation.schema, relation.name, relation.schema, relation.name],
    ).fetchone()
    if comment and comment[0]:
        connection.execute(f"comment on table {target} is {literal(comment[0])}")
    columns = connection.execute(
        "select column_name, comment from duckdb_columns() where database_name = 'build_db'"
        " and schema_name = ? and table_name = ? and comment is not null",
        [relation.schema, relation.name],
    ).fetchall()
    for column, text in columns:
        connection.execute(f"comment on column {target}.{quote(column)} is {literal(text)}")


def fsync_directory(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def stage_file(
    build_file: Path,
    published: Path,
    relations: Sequence[Relation],
    invocation_id: str,
    mode: int,
) -> tuple[Path, list[tuple[Relation, int]]]:
    """Write ``relations`` to a new, complete file beside ``published``; return its path."""
    published.parent.mkdir(parents=True, exist_ok=True)
    stale_wal = published.with_name(published.name + ".wal")
    if stale_wal.exists():
        raise PublishError(
            f"{stale_wal} exists: something opened the published file read-write and did not"
            " close it cleanly. Readers must connect read-only; remove the .wal file after"
            " checking that no process writes the published file"
        )
    handle, name = tempfile.mkstemp(
        prefix=f".{published.name}.", suffix=".tmp", dir=published.parent
    )
    os.close(handle)
    new_file = Path(name)
    new_file.unlink()  # DuckDB creates the file itself; an empty file is not a database.
    try:
        copied = copy_relations(build_file, new_file, relations, invocation_id)
        os.chmod(new_file, mode)
        with open(new_file, "rb") as written:
            os.fsync(written.fileno())
    except BaseException:
        remove_staged(new_file)
        raise
    return new_file, copied


def remove_staged(new_file: Path) -> None:
    """Delete a staged file and its write-ahead log, if any."""
    for leftover in (new_file, new_file.with_name(new_file.name + ".wal")):
        leftover.unlink(missing_ok=True)


def swap_in(staged: Sequence[tuple[Path, Path]]) -> None:
    """Rename each staged file onto its published path (atomic per file)."""
    for new_file, published in staged:
        os.replace(new_file, published)
        fsync_directory(published.parent)


def split_relations(
    relations: Sequence[Relation],
) -> tuple[list[Relation], list[Relation]]:
    """The BI relations (schema marts) and the restricted ones (schema restricted)."""
    bi = [r for r in relations if r.schema in BI_SCHEMAS]
    restricted = [r for r in relations if r.schema in RESTRICTED_SCHEMAS]
    return bi, restricted


def summarise(label: str, path: Path, copied: Sequence[tuple[Relation, int]]) -> str:
    """One line per published file: what went where."""
    rows = sum(count for _, count in copied)
    names = ", ".join(f"{r.schema}.{r.name} ({count})" for r, count in copied)
    return f"published {label} {path}: {len(copied)} tables, {rows} rows: {names}"


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line arguments; what follows ``--`` goes to dbt build."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        type=Path,
        default=Path(os.environ.get("CBS_DUCKDB_PATH", "cbs.duckdb")),
        help="DuckDB file dbt builds and tests into (default: CBS_DUCKDB_PATH or cbs.duckdb)",
    )
    parser.add_argument(
        "--published",
        type=Path,
        default=Path("published/cbs.duckdb"),
        help="DuckDB file BI tools read (default: published/cbs.duckdb)",
    )
    parser.add_argument(
        "--restricted",
        type=Path,
        default=Path("published/cbs_restricted.duckdb"),
        help="file for the models of schema restricted (default: published/cbs_restricted.duckdb)",
    )
    parser.add_argument(
        "--no-restricted",
        action="store_true",
        help="do not publish the restricted models anywhere",
    )
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="dbt project")
    parser.add_argument(
        "--target-path",
        type=Path,
        help="dbt target folder (default: <project-dir>/target)",
    )
    parser.add_argument(
        "--dbt",
        type=Path,
        default=Path(sys.executable).parent / "dbt",
        help="dbt executable (default: the one beside this Python)",
    )
    parser.add_argument("dbt_args", nargs="*", help="extra dbt build arguments, after --")
    return parser.parse_args(argv)


def build_and_publish(args: argparse.Namespace) -> int:
    """Lock, build, and publish when the build passed; return the exit code."""
    target_path = args.target_path or args.project_dir / "target"
    published_paths = [args.published] + ([] if args.no_restricted else [args.restricted])
    with build_lock(args.database) as descriptor:
        code = run_dbt_build(
            args.dbt, args.project_dir, args.database, target_path, args.dbt_args, descriptor
        )
        if code != 0:
            untouched = ", ".join(
                f"{path} ({'untouched' if path.exists() else 'not written yet'})"
                for path in published_paths
            )
            print(f"dbt build failed (exit {code}): nothing published; {untouched}")
            return code
        relations, invocation_id = manifest_models(target_path)
        bi, restricted = split_relations(relations)
        if not bi:
            raise PublishError(f"the build has no models in schema {', '.join(BI_SCHEMAS)}")
        # Stage every file before renaming any, so a failure leaves all of them as they were.
        staged: list[tuple[Path, Path]] = []
        lines = []
        try:
            new_file, copied = stage_file(args.database, args.published, bi, invocation_id, 0o644)
            staged.append((new_file, args.published))
            lines.append(summarise("for BI", args.published, copied))
            if args.no_restricted:
                lines.append(f"restricted models not published ({len(restricted)} left out)")
            elif restricted:
                new_file, copied = stage_file(
                    args.database, args.restricted, restricted, invocation_id, 0o600
                )
                staged.append((new_file, args.restricted))
                lines.append(summarise("restricted (owner-only)", args.restricted, copied))
            else:
                lines.append(f"no restricted models in this build; {args.restricted} not written")
            swap_in(staged)
        finally:
            for new_file, _ in staged:
                remove_staged(new_file)
        print("\n".join(lines))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, check, build, publish."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        check_dbt_args(args.dbt_args)
    except ValueError as error:
        print(f"publish: {error}", file=sys.stderr)
        return ERROR_EXIT
    if not args.dbt.exists():
        print(f"publish: dbt not found at {args.dbt} (set --dbt)", file=sys.stderr)
        return ERROR_EXIT
    if args.published.resolve() in (args.database.resolve(), args.restricted.resolve()):
        print("publish: --published must differ from --database and --restricted", file=sys.stderr)
        return ERROR_EXIT
    try:
        return build_and_publish(args)
    except BuildLockedError as error:
        print(f"publish: {error}", file=sys.stderr)
        return LOCK_HELD_EXIT
    except (PublishError, duckdb.Error, OSError) as error:
        print(
            f"publish: the build passed but publishing failed: {error}."
            " The published files are untouched.",
            file=sys.stderr,
        )
        return ERROR_EXIT


if __name__ == "__main__":
    sys.exit(main())
