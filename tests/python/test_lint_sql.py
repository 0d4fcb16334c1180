"""The SQL lint step fails on a model that does not compile, never passes it by."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT
from lint_sql import lint

PROJECT = """
name: lint_check
version: "1.0"
config-version: 2
profile: lint_check
"""
PROFILES = """
lint_check:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{path}"
"""
GOOD_MODEL = "select 1 as answer\n"


def make_project(folder: Path, models: dict[str, str]) -> Path:
    """A minimal dbt project with the repository's sqlfluff settings."""
    (folder / "models").mkdir(parents=True)
    (folder / "tests" / "dbt").mkdir(parents=True)
    (folder / "dbt_project.yml").write_text(PROJECT)
    (folder / "profiles.yml").write_text(PROFILES.format(path=folder / "lint.duckdb"))
    config = (ROOT / ".sqlfluff").read_text().replace("profile = cbs", "profile = lint_check")
    (folder / ".sqlfluff").write_text(config.replace("target = duckdb", "target = dev"))
    for name, sql in models.items():
        (folder / "models" / name).write_text(sql)
    return folder


def test_clean_models_pass(tmp_path: Path) -> None:
    assert lint(make_project(tmp_path, {"good.sql": GOOD_MODEL})) == []


def test_a_model_that_does_not_compile_fails_the_step(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        {"good.sql": GOOD_MODEL, "broken.sql": "select * from {{ ref('missing_model') }}\n"},
    )
    problems = lint(project)
    assert problems, "a model that cannot compile passed the lint"


def test_a_jinja_error_fails_the_step(tmp_path: Path) -> None:
    project = make_project(
        tmp_path, {"good.sql": GOOD_MODEL, "broken.sql": "select {{ undefined_macro() }}\n"}
    )
    assert lint(project)


def test_style_violations_fail_the_step(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"shouty.sql": "SELECT 1 AS Answer\n"})
    problems = lint(project)
    assert any("CP01" in problem for problem in problems)
