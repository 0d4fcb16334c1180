"""Lint every dbt model and singular test with sqlfluff's dbt templater.

Fails (exit 1) when sqlfluff reports a violation, when it exits non-zero for
any reason, or when a SQL file was not linted at all: a model that does not
compile must never let the step pass. Usage:

    python scripts/lint_sql.py [--project-dir .]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

LINTED_FOLDERS = ("models", "tests/dbt")
SKIPPED_FOLDERS = ("tests/dbt/generic",)  # generic tests are macros, not SQL files


def sql_files(project_dir: Path) -> list[str]:
    """Every SQL file the lint must cover, relative to the project."""
    files = []
    for folder in LINTED_FOLDERS:
        for path in sorted((project_dir / folder).rglob("*.sql")):
            relative = path.relative_to(project_dir).as_posix()
            if not relative.startswith(SKIPPED_FOLDERS):
                files.append(relative)
    return files


def lint(project_dir: Path) -> list[str]:
    """Run sqlfluff; return the problems found, empty when all is clean."""
    expected = sql_files(project_dir)
    env = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **os.environ}
    env.setdefault("DBT_PROFILES_DIR", str(project_dir))
    command = [
        str(Path(sys.executable).parent / "sqlfluff"),
        "lint",
        *LINTED_FOLDERS,
        "--format",
        "json",
        "--nofail",
    ]
    result = subprocess.run(
        command, cwd=project_dir, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return [f"sqlfluff exited {result.returncode}:\n{result.stderr.strip()[-3000:]}"]
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return [f"sqlfluff gave no report:\n{result.stderr.strip()[-3000:]}"]
    problems = []
    linted = set()
    for file in report:
        path = Path(file["filepath"]).as_posix()
        linted.add(path)
        for violation in file["violations"]:
            line = violation.get("start_line_no", "?")
            problems.append(f"{path}:{line}: {violation['code']} {violation['description']}")
    for path in expected:
        if path not in linted:
            problems.append(f"{path}: not linted (did it fail to compile?)")
    logger.info("linted %d SQL files, %d problems", len(linted), len(problems))
    return problems


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=Path("."), help="dbt project folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    problems = lint(args.project_dir.resolve())
    for problem in problems:
        print(problem)
    if problems:
        print(f"SQL lint failed: {len(problems)} problem(s)")
        return 1
    print(f"SQL lint passed: {len(sql_files(args.project_dir.resolve()))} files clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
