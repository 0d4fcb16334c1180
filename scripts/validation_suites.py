"""The Great Expectations suites of CBS: what is checked on each layer.

A suite is a list of batches. A batch is one DataFrame, read with one DuckDB
query on the build (opened read-only), and the expectations it must meet.
scripts/validate_data.py runs the suites and reports what was observed.

    sources  the raw Parquet files as they arrived: text columns in contract
             order, keys mostly present (raw data is dirty by design)
    staging  the stg_ models: keys unique and present, enums in their sets,
             ratings 1..5, amounts never negative
    marts    customer_scores against its contract and seeds, the quality
             marts, and row counts that must agree across layers

Expectation descriptions are the words the report prints, so each reads as
a rule: "score between 0 and 100".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import great_expectations.expectations as gxe
import yaml
from great_expectations.expectations import Expectation

from cbs_contract import PROJECT_ROOT, file_name, source_tables

MARTS_YAML = PROJECT_ROOT / "models" / "marts" / "_marts__models.yml"

# Primary key columns of every raw table (the keys the base_ models use).
RAW_KEYS: dict[str, tuple[str, ...]] = {
    "crm__customers": ("customer_id",),
    "crm__interactions": ("interaction_id",),
    "crm__sales_reps": ("sales_rep_id",),
    "shop__orders": ("order_id",),
    "shop__order_lines": ("order_id", "line_number"),
    "shop__products": ("product_id",),
    "shop__product_views": ("view_id",),
    "social__engagements": ("engagement_id",),
    "feedback__responses": ("feedback_id",),
}
# Raw keys may be empty now and then (staging quarantines those rows); more
# than this share of empty keys means the file is not what it claims to be.
RAW_KEY_PRESENT_SHARE = 0.95
# Blank text and the words null / none, which staging reads as missing.
BLANK_OR_NULL_WORD = r"^\s*$|^\s*(?i:null|none)\s*$"
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# customer_scores.score is rounded to 4 decimals; its parts are not.
SCORE_ROUNDING_POINTS = 0.0001

CHANNELS = ("call", "email", "chat", "visit")
DIRECTIONS = ("inbound", "outbound")
ORDER_STATUSES = ("completed", "cancelled", "returned")
ENGAGEMENT_TYPES = ("like", "comment", "share", "mention")
FEEDBACK_TYPES = ("review", "rating", "survey")


@dataclass(frozen=True)
class Batch:
    """One DataFrame to validate: the query that reads it and what it must meet.

    ``may_be_empty`` marks a table a company may leave empty (a behaviour
    source it does not have); every other batch must hold rows, so an empty
    one fails instead of passing with nothing checked.
    """

    name: str
    query: str
    expectations: tuple[Expectation, ...]
    may_be_empty: bool = False


@dataclass(frozen=True)
class Reference:
    """Values from the build that expectations compare with (seeds, data folder)."""

    data_dir: Path
    tiers: tuple[str, ...]
    profiles: tuple[str, ...]
    currencies: tuple[str, ...]


# --- expectations, in the words the report prints ---------------------------


def row_count_at_least(minimum: int) -> Expectation:
    words = f"at least {minimum:,}" if minimum else "(an optional source may be empty)"
    return gxe.ExpectTableRowCountToBeBetween(min_value=minimum, description=f"row count {words}")


def row_count(expected: int) -> Expectation:
    return gxe.ExpectTableRowCountToEqual(value=expected, description=f"row count = {expected:,}")


def columns_in_order(columns: Sequence[str], what: str) -> Expectation:
    return gxe.ExpectTableColumnsToMatchOrderedList(
        column_list=list(columns), description=f"columns are the {what}, in order"
    )


def not_null(column: str, mostly: float = 1.0) -> Expectation:
    share = f" in at least {mostly:.0%} of rows" if mostly < 1 else ""
    return gxe.ExpectColumnValuesToNotBeNull(
        column=column, mostly=mostly, description=f"{column} not null{share}"
    )


def not_blank(column: str, mostly: float = 1.0) -> Expectation:
    share = f" in at least {mostly:.0%} of non-null rows" if mostly < 1 else ""
    return gxe.ExpectColumnValuesToNotMatchRegex(
        column=column,
        regex=BLANK_OR_NULL_WORD,
        mostly=mostly,
        description=f"{column} not blank or a null word{share}",
    )


def unique(column: str) -> Expectation:
    return gxe.ExpectColumnValuesToBeUnique(column=column, description=f"{column} unique")


def unique_together(*columns: str) -> Expectation:
    return gxe.ExpectCompoundColumnsToBeUnique(
        column_list=list(columns), description=f"({', '.join(columns)}) unique"
    )


def between(column: str, low: float | None = None, high: float | None = None) -> Expectation:
    if high is None:
        words = f"at least {low}"
    elif low is None:
        words = f"at most {high}"
    else:
        words = f"between {low} and {high}"
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=low, max_value=high, description=f"{column} {words}"
    )


def above(column: str, low: float) -> Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=low, strict_min=True, description=f"{column} above {low}"
    )


def in_set(column: str, values: Sequence[str], label: str | None = None) -> Expectation:
    """Every value in ``values``; the report names unexpected rows by ``label``."""
    return gxe.ExpectColumnValuesToBeInSet(
        column=column,
        value_set=list(values),
        description=f"{column} in {', '.join(values)}",
        meta={"label_column": label} if label else {},
    )


def not_in_set(column: str, values: Sequence[object]) -> Expectation:
    shown = ", ".join(str(value) for value in values)
    return gxe.ExpectColumnValuesToNotBeInSet(
        column=column, value_set=list(values), description=f"{column} never {shown}"
    )


def matches(column: str, regex: str, shape: str) -> Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(
        column=column, regex=regex, description=f"{column} shaped like {shape}"
    )


def equal_pair(column_a: str, column_b: str, label: str | None = None) -> Expectation:
    """Row by row, column_a = column_b; the report lists each row by ``label``."""
    return gxe.ExpectColumnPairValuesToBeEqual(
        column_A=column_a,
        column_B=column_b,
        description=f"{column_a} = {column_b}",
        meta={"label_column": label} if label else {},
    )


def key(*columns: str) -> tuple[Expectation, ...]:
    """A primary key: every column present, the combination unique."""
    present = tuple(not_null(column) for column in columns)
    if len(columns) == 1:
        return (*present, unique(columns[0]))
    return (*present, unique_together(*columns))


# --- what the suites read ----------------------------------------------------


@cache
def mart_contract(model: str) -> tuple[str, ...]:
    """Column names of a mart in contract order, from models/marts/_marts__models.yml."""
    document = yaml.safe_load(MARTS_YAML.read_text())
    for node in document["models"]:
        if node["name"] == model:
            return tuple(column["name"] for column in node["columns"])
    raise KeyError(f"model {model!r} is not declared in {MARTS_YAML}")


def scoring_metrics() -> tuple[str, ...]:
    """Metric names of customer_scores, from its <metric>_normalised contract columns."""
    suffix = "_normalised"
    return tuple(
        c.removesuffix(suffix) for c in mart_contract("customer_scores") if c.endswith(suffix)
    )


def parquet_query(data_dir: Path, table: str) -> str:
    """SQL reading one raw Parquet file of the data folder."""
    path = str(data_dir / file_name(table)).replace("'", "''")
    return f"select * from read_parquet('{path}')"


def staging_query(model: str) -> str:
    return f"select * from staging.{model}"


def stg_model(table: str) -> str:
    """stg_ model of a raw table: crm__customers -> stg_crm__customers."""
    return f"stg_{table}"


def base_model(table: str) -> str:
    return f"base_{table}"


# --- the suites --------------------------------------------------------------


def raw_column_types_batch(reference: Reference) -> Batch:
    """The type of every column of every raw file, read from the Parquet schema.

    Checked on the schema rather than on the values, so an empty file (a
    source the company lacks) is checked too.
    """
    selects = [
        f"""
        select '{table}.' || column_name as raw_column, column_type
        from (describe {parquet_query(reference.data_dir, table)})
        """
        for table in source_tables()
    ]
    return Batch(
        "raw_column_types",
        " union all ".join(selects),
        (
            row_count(sum(len(columns) for columns in source_tables().values())),
            in_set("column_type", ["VARCHAR"], label="raw_column"),
        ),
    )


def sources_suite(reference: Reference) -> list[Batch]:
    """Raw Parquet files: every column text, in contract order; keys mostly present."""
    batches = [raw_column_types_batch(reference)]
    for table, columns in source_tables().items():
        if table not in RAW_KEYS:
            raise KeyError(f"RAW_KEYS names no key columns for the raw table {table!r}")
        keys = RAW_KEYS[table]
        expectations = (
            row_count_at_least(1 if table == "crm__customers" else 0),
            columns_in_order(columns, "source contract's"),
            *(not_null(column, RAW_KEY_PRESENT_SHARE) for column in keys),
            *(not_blank(column, RAW_KEY_PRESENT_SHARE) for column in keys),
        )
        batches.append(
            Batch(
                table,
                parquet_query(reference.data_dir, table),
                expectations,
                may_be_empty=table != "crm__customers",
            )
        )
    return batches


def staging_suite(reference: Reference) -> list[Batch]:
    """stg_ models: what staging guarantees for the rows it keeps."""

    def stg(model: str, *expectations: Expectation, may_be_empty: bool = True) -> Batch:
        return Batch(model, staging_query(model), expectations, may_be_empty)

    return [
        stg(
            "stg_crm__customers",
            row_count_at_least(1),
            *key("customer_id"),
            not_blank("customer_id"),
            matches("email", EMAIL_SHAPE, "local@domain.tld"),
            may_be_empty=False,
        ),
        stg(
            "stg_crm__interactions",
            *key("interaction_id"),
            not_null("customer_id"),
            not_null("channel"),
            in_set("channel", CHANNELS),
            in_set("direction", DIRECTIONS),
            not_null("occurred_at"),
        ),
        stg(
            "stg_crm__sales_reps",
            *key("sales_rep_id"),
            between("experience_years", 0),
            not_null("capacity_accounts"),
            between("capacity_accounts", 0),
        ),
        stg(
            "stg_shop__orders",
            *key("order_id"),
            not_null("status"),
            in_set("status", ORDER_STATUSES),
            not_null("ordered_at"),
            not_null("currency_code"),
            in_set("currency_code", reference.currencies),
            between("order_total", 0),
        ),
        stg(
            "stg_shop__order_lines",
            *key("order_id", "line_number"),
            not_null("product_id"),
            not_null("quantity"),
            not_in_set("quantity", [0]),
            not_null("unit_price"),
            above("unit_price", 0),
        ),
        stg(
            "stg_shop__products",
            *key("product_id"),
            not_null("category"),
            between("list_price", 0),
        ),
        stg(
            "stg_shop__product_views",
            *key("view_id"),
            not_null("product_id"),
            not_null("viewed_at"),
        ),
        stg(
            "stg_social__engagements",
            *key("engagement_id"),
            not_null("social_handle"),
            not_null("engagement_type"),
            in_set("engagement_type", ENGAGEMENT_TYPES),
            not_null("occurred_at"),
        ),
        stg(
            "stg_feedback__responses",
            *key("feedback_id"),
            not_null("feedback_type"),
            in_set("feedback_type", FEEDBACK_TYPES),
            between("rating", 1, 5),
            not_null("submitted_at"),
        ),
    ]


def customer_scores_batch(reference: Reference) -> Batch:
    """The mart BI reads: contract, grain, ranges and seed values."""
    metrics = scoring_metrics()
    required = ("customer_id", "scoring_profile", "as_of_date", "score", "tier", "score_rank")
    return Batch(
        "customer_scores",
        "select * from marts.customer_scores",
        (
            row_count_at_least(1),
            columns_in_order(mart_contract("customer_scores"), "contract's"),
            unique_together("customer_id", "scoring_profile", "as_of_date"),
            *(not_null(column) for column in required),
            between("score", 0, 100),
            in_set("tier", reference.tiers),
            in_set("scoring_profile", reference.profiles),
            between("score_rank", 1),
            *(between(f"{metric}_normalised", 0, 1) for metric in metrics),
            *(between(f"{metric}_weight", 0, 1) for metric in metrics),
            *(between(f"{metric}_contribution", 0, 100) for metric in metrics),
        ),
    )


def score_parts_batch() -> Batch:
    """Every score is the sum of its metric contributions, up to its rounding."""
    parts = " + ".join(f"{metric}_contribution" for metric in scoring_metrics())
    query = f"""
        select customer_id, scoring_profile, as_of_date, score,
            score - ({parts}) as score_minus_contributions
        from marts.customer_scores
    """
    return Batch(
        "customer_score_parts",
        query,
        (between("score_minus_contributions", -SCORE_ROUNDING_POINTS, SCORE_ROUNDING_POINTS),),
    )


def quarantine_batch() -> Batch:
    """Every set-aside row says where it came from and why."""
    return Batch(
        "quarantined_rows",
        "select * from marts.quarantined_rows",
        tuple(
            not_null(column)
            for column in ("source_name", "table_name", "quarantine_reason", "raw_record")
        ),
        may_be_empty=True,
    )


def reconciliation_batch() -> Batch:
    """raw = kept + exact duplicates + key duplicates + quarantined, per raw table."""
    query = """
        select *,
            kept_rows + exact_duplicate_rows + key_duplicate_rows + quarantined_rows
                as accounted_rows
        from marts.source_row_reconciliation
    """
    return Batch(
        "source_row_reconciliation",
        query,
        (
            row_count(len(source_tables())),
            unique_together("source_name", "table_name"),
            equal_pair("raw_rows", "accounted_rows", label="table_name"),
            equal_pair("staged_rows", "kept_rows", label="table_name"),
        ),
    )


def scores_per_profile_batch(reference: Reference) -> Batch:
    """Each weight profile scores every CRM customer once on the latest as-of date."""
    query = """
        with profiles as (
            select distinct scoring_profile from config.scoring_weights
        ),
        latest as (
            select max(as_of_date) as as_of_date from marts.customer_scores
        ),
        scored as (
            select scoring_profile, count(*) as score_rows
            from marts.customer_scores
            where as_of_date = (select as_of_date from latest)
            group by scoring_profile
        )
        select
            profiles.scoring_profile,
            coalesce(scored.score_rows, 0) as score_rows,
            (select count(*) from staging.stg_crm__customers) as stg_customer_rows
        from profiles
        left join scored on profiles.scoring_profile = scored.scoring_profile
        order by profiles.scoring_profile
    """
    return Batch(
        "customer_scores_rows_per_profile",
        query,
        (
            row_count(len(reference.profiles)),
            equal_pair("score_rows", "stg_customer_rows", label="scoring_profile"),
        ),
    )


def layer_counts_batch(reference: Reference) -> Batch:
    """Rows per raw table in each layer: Parquet file, reconciliation, base kept, stg."""
    selects = []
    for table in source_tables():
        source_name, table_name = table.split("__")
        selects.append(
            f"""
            select
                '{table}' as table_name,
                (select count(*) from ({parquet_query(reference.data_dir, table)})) as file_rows,
                (select raw_rows from marts.source_row_reconciliation
                    where source_name = '{source_name}' and table_name = '{table_name}')
                    as reconciled_raw_rows,
                (select count(*) from staging.{base_model(table)}
                    where row_status = 'kept') as base_kept_rows,
                (select count(*) from staging.{stg_model(table)}) as stg_rows
            """
        )
    return Batch(
        "rows_across_layers",
        " union all ".join(selects),
        (
            row_count(len(source_tables())),
            equal_pair("file_rows", "reconciled_raw_rows", label="table_name"),
            equal_pair("stg_rows", "base_kept_rows", label="table_name"),
        ),
    )


def marts_suite(reference: Reference) -> list[Batch]:
    """customer_scores, the quality marts, and row counts across layers."""
    return [
        customer_scores_batch(reference),
        score_parts_batch(),
        quarantine_batch(),
        reconciliation_batch(),
        scores_per_profile_batch(reference),
        layer_counts_batch(reference),
    ]


SUITES = {
    "sources": sources_suite,
    "staging": staging_suite,
    "marts": marts_suite,
}
