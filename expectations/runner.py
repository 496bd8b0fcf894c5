"""Load the data contracts, validate them with Great Expectations, record and report the results.

A contract is a Great Expectations `ExpectationSuite` kept as a reviewable JSON file in `contracts/`; its
`meta.contract` block says which teams it binds, who owns it, which table it covers and whether a failure
blocks publication (`block`) or only warns (`warn`).

Why an ephemeral GX context, built anew for every `validate()` call: a file-based context persists its
`great_expectations.yml`, datasource and asset definitions (connection string included) and validation
results into the project folder at run time, which would dirty the repository on every run and put
credentials on disk. The only things worth reviewing are the suites, and they are plain files read here;
the datasource comes from the runtime URL and lives in memory only. Results go to `audit.contract_results`.

Great Expectations is imported inside the functions that need it (the import takes several seconds), so
importing this module stays cheap for the Airflow DAG parser. GX is configured quietly: no progress bars,
analytics off, its logger at WARNING; it has no reason to reach the network and does not.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg
    import sqlalchemy
    from great_expectations import ExpectationSuite
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context import EphemeralDataContext
    from great_expectations.datasource.fluent import SQLDatasource

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
SEVERITIES = ("block", "warn")
SAMPLE_SIZE = 5
# Offending rows kept per expectation for audit.quarantine: GX returns at most this many (constants.MAX_RESULT_RECORDS);
# the full count is the expectation's unexpected_count.
QUARANTINE_CAP = 200
# Schemas written directly (not built by dbt and swapped in by publish) are validated where they are.
UNPREFIXED_SCHEMAS = frozenset({"raw", "audit"})
# The runner's own check, reported like an expectation when a contract's table does not exist.
TABLE_EXISTS = "expect_table_to_exist"
AUDIT_TABLE = "audit.contract_results"
QUARANTINE_TABLE = "audit.quarantine"
# Expectations whose offending rows come from a SQL query of the contract's own (run with COMPLETE results).
QUERY_EXPECTATIONS = frozenset({"unexpected_rows_expectation"})
# `{schema:<layer>}` in a query: the layer's physical schema (`build_<layer>` while validating the build).
_SCHEMA_PLACEHOLDER = re.compile(r"\{schema:([a-z_][a-z0-9_]*)\}")

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_CONTRACT_FIELDS = ("title", "binds", "owner", "severity", "table", "description")
_RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": QUARANTINE_CAP,
    "include_unexpected_rows": True,  # whole offending rows (up to QUARANTINE_CAP), not just the bad value
}
# UnexpectedRowsExpectation returns its rows only with COMPLETE (GX caps them at QUARANTINE_CAP).
_QUERY_RESULT_FORMAT = {"result_format": "COMPLETE"}

AUDIT_DDL = (
    "create schema if not exists audit",
    f"""create table if not exists {AUDIT_TABLE} (
        id bigint generated always as identity primary key,
        run_id text not null,
        validated_at timestamptz not null,
        contract text not null,
        severity text not null check (severity in ('block', 'warn')),
        owner text not null,
        table_name text not null,
        expectation text not null,
        column_name text,
        success boolean not null,
        observed_value jsonb,
        unexpected_count bigint,
        sample jsonb not null default '[]',
        promise text,
        error text
    )""",
    f"create index if not exists contract_results_run_id_idx on {AUDIT_TABLE} (run_id)",
    f"""create table if not exists {QUARANTINE_TABLE} (
        id bigint generated always as identity primary key,
        run_id text not null,
        contract text not null,
        expectation text not null,
        promise text,
        table_name text not null,
        row jsonb not null,
        recorded_at timestamptz not null default now()
    )""",
    f"create index if not exists quarantine_run_id_idx on {QUARANTINE_TABLE} (run_id, contract)",
)


class ContractFileError(ValueError):
    """A contract file is malformed, or a contract name is unknown; the message names the file or the names."""


class ContractBroken(Exception):  # noqa: N818 - the name reads as the sentence it reports
    """At least one blocking contract failed: the build must not be published."""

    def __init__(self, results: list[ContractResult]) -> None:
        self.results = results
        super().__init__(_broken_message(results))


@dataclass(frozen=True)
class Contract:
    """One contract file: the GX suite plus who it binds, who owns it, the table and the severity."""

    name: str
    title: str
    description: str
    binds: tuple[str, ...]
    owner: str
    severity: str
    table: str  # logical: "<schema>.<table>", e.g. marts.weekly_contacts_by_stage
    expectations: tuple[dict[str, Any], ...]
    suite: dict[str, Any]  # the file as GX reads it
    path: Path
    # Logical tables that must exist before the contract is in force (e.g. an extractor still being written):
    # while one is missing the contract is *pending*: reported and recorded as failed, but it never blocks.
    requires_tables: tuple[str, ...] = ()

    def physical_table(self, schema_prefix: str = "") -> tuple[str, str]:
        """(schema, table) to validate: dbt builds `marts` into `f"{prefix}marts"` before publish swaps it in."""
        return physical_table(self.table, schema_prefix)

    def table_of(self, spec: dict[str, Any]) -> str:
        """The logical table an expectation reads: its `meta.table`, else the contract's."""
        return spec.get("meta", {}).get("table") or self.table

    def severity_of(self, spec: dict[str, Any]) -> str:
        """An expectation's severity: its `meta.severity` (only `warn` can differ), else the contract's."""
        return spec.get("meta", {}).get("severity") or self.severity


def physical_table(logical: str, schema_prefix: str = "") -> tuple[str, str]:
    """(schema, table) of a logical "<schema>.<table>": `raw` and `audit` are never prefixed."""
    schema, table = logical.split(".")
    if schema not in UNPREFIXED_SCHEMAS:
        schema = f"{schema_prefix}{schema}"
    return schema, table


def resolve_schemas(text: str, schema_prefix: str = "") -> str:
    """`{schema:intermediate}` -> `build_intermediate` (with prefix `build_`); `{schema:raw}` stays `raw`."""
    return _SCHEMA_PLACEHOLDER.sub(lambda match: physical_table(f"{match[1]}.t", schema_prefix)[0], text)


@dataclass(frozen=True)
class ExpectationOutcome:
    """How one expectation of a contract fared."""

    expectation: str  # the GX expectation type
    columns: tuple[str, ...]
    success: bool
    observed_value: Any
    unexpected_count: int | None
    sample: list[Any]  # up to SAMPLE_SIZE offending rows (or values), JSON-ready
    promise: str
    error: str | None = None  # set when the expectation could not be evaluated at all
    table: str = ""  # physical table read, when not the contract's
    severity: str | None = None  # when it differs from the contract's (a `warn` promise in a `block` contract)
    rows: list[Any] = field(default_factory=list)  # offending rows for audit.quarantine (up to QUARANTINE_CAP)

    @property
    def column(self) -> str:
        return ", ".join(self.columns)


@dataclass(frozen=True)
class ContractResult:
    """How one contract fared against one physical table."""

    name: str
    title: str
    owner: str
    severity: str
    binds: tuple[str, ...]
    table: str  # physical: "<schema>.<table>"
    success: bool
    expectations: list[ExpectationOutcome]
    validated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def blocks(self) -> bool:
        """Whether this result stops publication: a broken promise of severity `block`."""
        return any(self.severity_of(outcome) == "block" for outcome in self.failures)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.expectations if not outcome.success]

    def severity_of(self, outcome: ExpectationOutcome) -> str:
        return outcome.severity or self.severity

    def table_of(self, outcome: ExpectationOutcome) -> str:
        return outcome.table or self.table


# ---- contract files ---------------------------------------------------------------------------


def load_contracts(names: list[str] | None = None, *, contracts_dir: Path | None = None) -> list[Contract]:
    """The contracts called `names` (all of them when None), read from `contracts_dir/<name>.json`."""
    directory = contracts_dir or CONTRACTS_DIR
    available = {path.stem: path for path in sorted(directory.glob("*.json"))}
    wanted = list(dict.fromkeys(names)) if names else list(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise ContractFileError(
            f"unknown contract(s) {', '.join(unknown)}: known contracts in {directory} are "
            f"{', '.join(available) or '(none)'}"
        )
    return [parse_contract(available[name]) for name in wanted]


def parse_contract(path: Path) -> Contract:
    """Read and check one contract file (structure only; `build_suite` checks it against GX)."""
    try:
        suite = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ContractFileError(f"{path}: not valid JSON: {error}") from error
    _require(isinstance(suite, dict), path, "the file must hold one JSON object (a GX ExpectationSuite)")
    _require(suite.get("name") == path.stem, path, f'"name" must be the file name without .json: "{path.stem}"')
    expectations = suite.get("expectations")
    _require(isinstance(expectations, list) and expectations, path, '"expectations" must be a non-empty list')
    for index, expectation in enumerate(expectations):
        _check_expectation(path, index, expectation)
    meta = suite.get("meta")
    contract = meta.get("contract") if isinstance(meta, dict) else None
    _require(isinstance(contract, dict), path, '"meta.contract" must be an object')
    missing = [key for key in _CONTRACT_FIELDS if key not in contract]
    _require(not missing, path, f'"meta.contract" lacks {", ".join(missing)}')
    for key in ("title", "owner", "description"):
        _require(isinstance(contract[key], str) and contract[key].strip(), path, f'"meta.contract.{key}" is empty')
    binds = contract["binds"]
    _require(
        isinstance(binds, list) and binds and all(isinstance(team, str) and team for team in binds),
        path,
        '"meta.contract.binds" must list the teams the contract binds',
    )
    _require(
        contract["severity"] in SEVERITIES,
        path,
        f'"meta.contract.severity" must be one of {", ".join(SEVERITIES)}, got {contract["severity"]!r}',
    )
    table = contract["table"]
    _check_table(path, "meta.contract.table", table)
    requires = contract.get("requires_tables", [])
    _require(isinstance(requires, list), path, '"meta.contract.requires_tables" must be a list of tables')
    for required in requires:
        _check_table(path, "meta.contract.requires_tables", required)
    for index, expectation in enumerate(expectations):
        meta = expectation.get("meta", {})
        where = f"expectation #{index + 1} ({expectation['type']})"
        if "table" in meta:
            _check_table(path, f"{where}: meta.table", meta["table"])
        if "severity" in meta:
            _require(
                meta["severity"] in SEVERITIES,
                path,
                f'{where}: "meta.severity" must be one of {", ".join(SEVERITIES)}, got {meta["severity"]!r}',
            )
            _require(
                not (contract["severity"] == "warn" and meta["severity"] == "block"),
                path,
                f"{where}: an expectation of a warn contract cannot block",
            )
    return Contract(
        name=suite["name"],
        title=contract["title"],
        description=contract["description"],
        binds=tuple(binds),
        owner=contract["owner"],
        severity=contract["severity"],
        table=table,
        expectations=tuple(expectations),
        suite=suite,
        path=path,
        requires_tables=tuple(requires),
    )


def _check_table(path: Path, key: str, table: Any) -> None:
    parts = table.split(".") if isinstance(table, str) else []
    _require(
        len(parts) == 2 and all(_IDENTIFIER.fullmatch(part) for part in parts),
        path,
        f'"{key}" must be "<schema>.<table>" in lower case, got {table!r}',
    )


def _check_expectation(path: Path, index: int, expectation: Any) -> None:
    where = f"expectation #{index + 1}"
    _require(isinstance(expectation, dict), path, f"{where} must be an object with type, kwargs and meta")
    _require(isinstance(expectation.get("type"), str), path, f'{where} lacks "type"')
    _require(isinstance(expectation.get("kwargs"), dict), path, f'{where} ({expectation["type"]}) lacks "kwargs"')
    meta = expectation.get("meta", {})
    _require(isinstance(meta, dict), path, f'{where} ({expectation["type"]}): "meta" must be an object')
    promise = meta.get("promise", "")
    _require(isinstance(promise, str), path, f'{where} ({expectation["type"]}): "meta.promise" must be a sentence')


def _require(condition: bool, path: Path, message: str) -> None:
    if not condition:
        raise ContractFileError(f"{path}: {message}")


def build_suite(
    contract: Contract, schema_prefix: str = "", indexes: list[int] | None = None, name: str | None = None
) -> ExpectationSuite:
    """The contract as a GX ExpectationSuite; an expectation GX rejects raises ContractFileError naming the file.

    `indexes` picks some of the contract's expectations (all by default); `{schema:<layer>}` placeholders in a
    query are resolved with `schema_prefix`. (`ExpectationSuite(expectations=[...])` itself only logs and drops
    an invalid expectation, so each one is built here first.)
    """
    gx = _import_gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    built = []
    for index in range(len(contract.expectations)) if indexes is None else indexes:
        spec = contract.expectations[index]
        kwargs = {
            key: resolve_schemas(value, schema_prefix) if isinstance(value, str) else value
            for key, value in spec["kwargs"].items()
        }
        try:
            built.append(ExpectationConfiguration(**{**spec, "kwargs": kwargs}).to_domain_obj())
        except Exception as error:  # GX raises its own errors, pydantic's and TypeError here
            raise ContractFileError(
                f"{contract.path}: expectation #{index + 1} ({spec['type']}) is not valid for Great Expectations: "
                f"{error}"
            ) from error
    return gx.ExpectationSuite(
        name=name or contract.name, expectations=built, meta=dict(contract.suite.get("meta", {}))
    )


# ---- validation -------------------------------------------------------------------------------


def validate(
    sqlalchemy_url: str,
    *,
    schema_prefix: str = "",
    names: list[str] | None = None,
    run_id: str,
    contracts_dir: Path | None = None,
) -> list[ContractResult]:
    """Validate the contracts against the warehouse; logical schema `marts` is read from `{schema_prefix}marts`.

    A missing table yields a failed result naming it. A plain `postgresql://` URL is accepted too.
    """
    check_schema_prefix(schema_prefix)
    contracts = load_contracts(names, contracts_dir=contracts_dir)
    url = _sqlalchemy_url(sqlalchemy_url)
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    datasources: dict[str, SQLDatasource] = {}
    try:
        with engine.connect():  # an unreachable warehouse fails here, before the slow GX import
            pass
        context = _ephemeral_context()
        return [
            _validate_contract(context, datasources, engine, url, contract, schema_prefix, run_id)
            for contract in contracts
        ]
    finally:
        engine.dispose()
        for datasource in datasources.values():
            datasource.get_engine().dispose()


def check_schema_prefix(schema_prefix: str) -> str:
    """The prefix itself when it can start a lower-case SQL identifier (or is empty), else ValueError."""
    if schema_prefix and not _IDENTIFIER.fullmatch(schema_prefix):
        raise ValueError(
            f"a schema prefix must be lower-case letters, digits and _, such as build_; got {schema_prefix!r}"
        )
    return schema_prefix


def _validate_contract(
    context: EphemeralDataContext,
    datasources: dict[str, SQLDatasource],
    engine: sqlalchemy.Engine,
    url: str,
    contract: Contract,
    schema_prefix: str,
    run_id: str,
) -> ContractResult:
    """Validate one contract: one GX validation per table it reads (and per result format), outcomes in file order."""
    import sqlalchemy as sa

    validated_at = datetime.now(UTC)
    inspector = sa.inspect(engine)

    def exists(logical: str) -> bool:
        schema, table = physical_table(logical, schema_prefix)
        return inspector.has_table(table, schema=schema)

    main_table = ".".join(contract.physical_table(schema_prefix))
    pending = [logical for logical in contract.requires_tables if not exists(logical)]
    if pending:
        return _result(
            contract,
            main_table,
            [_pending_outcome(contract, logical, schema_prefix) for logical in pending],
            validated_at,
        )

    by_table: dict[str, list[int]] = {}
    for index, spec in enumerate(contract.expectations):
        by_table.setdefault(contract.table_of(spec), []).append(index)
    outcomes: dict[int, ExpectationOutcome] = {}
    for logical, indexes in by_table.items():
        schema, table = physical_table(logical, schema_prefix)
        shown = "" if f"{schema}.{table}" == main_table else f"{schema}.{table}"
        validations = None
        if exists(logical):  # None also when it was dropped between the check and GX's own probe
            validations = _run_validations(
                context, datasources, url, contract, schema_prefix, schema, table, indexes, run_id, validated_at
            )
        if validations is None:  # one failed "table exists" stands for the expectations on that table
            outcomes[indexes[0]] = _missing_table_outcome(f"{schema}.{table}", shown)
            continue
        for index in indexes:
            spec = contract.expectations[index]
            outcome = _outcome(spec, validations.get(index))
            severity = contract.severity_of(spec)
            outcomes[index] = replace(
                outcome, table=shown, severity=None if severity == contract.severity else severity
            )
    return _result(contract, main_table, [outcomes[index] for index in sorted(outcomes)], validated_at)


def _run_validations(
    context: EphemeralDataContext,
    datasources: dict[str, SQLDatasource],
    url: str,
    contract: Contract,
    schema_prefix: str,
    schema: str,
    table: str,
    indexes: list[int],
    run_id: str,
    validated_at: datetime,
) -> dict[int, ExpectationValidationResult] | None:
    """GX results by expectation index for the expectations reading one table; None if the table vanished."""
    gx = _import_gx()
    from great_expectations.datasource.fluent.interfaces import TestConnectionError

    try:
        batch_definition = _batch_definition(context, datasources, url, schema, table)
    except TestConnectionError:
        return None
    queries = [index for index in indexes if contract.expectations[index]["type"] in QUERY_EXPECTATIONS]
    columns = [index for index in indexes if index not in queries]
    results: dict[int, ExpectationValidationResult] = {}
    for group, result_format in ((columns, _RESULT_FORMAT), (queries, _QUERY_RESULT_FORMAT)):
        if not group:
            continue
        name = f"{contract.name}@{schema}.{table}#{result_format['result_format'].lower()}"
        suite = context.suites.add(build_suite(contract, schema_prefix, group, name=name))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        # run_time given explicitly: without it, RunIdentifier tries to parse run_name as a date
        validation = definition.run(
            result_format=result_format, run_id=gx.RunIdentifier(run_name=run_id, run_time=validated_at)
        )
        by_id = {result.expectation_config.id: result for result in validation.results}
        for index, expectation in zip(group, suite.expectations, strict=True):
            if expectation.id in by_id:
                results[index] = by_id[expectation.id]
    return results


def _batch_definition(
    context: EphemeralDataContext, datasources: dict[str, SQLDatasource], url: str, schema: str, table: str
) -> BatchDefinition:
    """The whole table as a GX batch, through one datasource per physical schema.

    The schema is set as the connection's search_path: GX 1.14+ deprecates `schema_name` on table assets
    ("pass the schema in your datasource's connection configuration instead"), and Postgres has no schema
    field in its datasource, so the connection configuration is the search_path.
    """
    if schema not in datasources:
        datasources[schema] = context.data_sources.add_postgres(
            name=schema,
            connection_string=url,
            kwargs={"connect_args": {"options": f"-c search_path={schema}"}},
        )
    datasource = datasources[schema]
    if table in datasource.get_asset_names():
        return datasource.get_asset(table).get_batch_definition("whole_table")
    asset = datasource.add_table_asset(name=table, table_name=table)
    return asset.add_batch_definition_whole_table("whole_table")


def _outcome(spec: dict[str, Any], validation: ExpectationValidationResult | None) -> ExpectationOutcome:
    promise = spec.get("meta", {}).get("promise", "")
    columns = _columns(spec["kwargs"])
    if validation is None:  # GX returned no result for it: count it as broken rather than passed
        return ExpectationOutcome(spec["type"], columns, False, None, None, [], promise, "not evaluated")
    result = dict(validation.result or {})
    error = _exception_message(validation.exception_info)
    rows = result.get("unexpected_rows")
    if spec["type"] in QUERY_EXPECTATIONS:  # the query's rows; its observed value is their full count
        rows = (result.get("details") or {}).get("unexpected_rows")
    if hasattr(rows, "to_dict"):  # pandas engines return a DataFrame
        rows = rows.to_dict("records")
    rows = [dict(row) if hasattr(row, "keys") else row for row in rows or []]
    sample = rows or result.get("partial_unexpected_list") or []
    observed = result.get("observed_value")
    unexpected_count = result.get("unexpected_count")
    if spec["type"] in QUERY_EXPECTATIONS and isinstance(observed, int):
        unexpected_count = observed
    if observed is None and "element_count" in result:
        observed = {"rows": result["element_count"], "unexpected_percent": result.get("unexpected_percent")}
    return ExpectationOutcome(
        expectation=spec["type"],
        columns=columns,
        success=bool(validation.success) and error is None,
        observed_value=_jsonable(observed),
        unexpected_count=unexpected_count,
        sample=_jsonable(list(sample)[:SAMPLE_SIZE]),
        promise=promise,
        error=error,
        rows=_jsonable(rows[:QUARANTINE_CAP]),
    )


def _columns(kwargs: dict[str, Any]) -> tuple[str, ...]:
    if "column" in kwargs:
        return (kwargs["column"],)
    if "column_list" in kwargs:
        return tuple(kwargs["column_list"])
    return tuple(kwargs[key] for key in ("column_A", "column_B") if key in kwargs)


def _exception_message(info: Any) -> str | None:
    """GX reports an exception either flat or as {metric id: {...}} (e.g. an unknown column)."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return (info.get("exception_message") or "raised an exception") if info["raised_exception"] else None
    messages = [_exception_message(nested) for nested in info.values()]
    return "; ".join(message for message in messages if message) or None


def _missing_table_outcome(table: str, shown: str = "") -> ExpectationOutcome:
    return ExpectationOutcome(
        expectation=TABLE_EXISTS,
        columns=(),
        success=False,
        observed_value=None,
        unexpected_count=None,
        sample=[],
        promise=f"the table {table} exists",
        error=f"table {table} does not exist",
        table=shown,
    )


def _pending_outcome(contract: Contract, logical: str, schema_prefix: str) -> ExpectationOutcome:
    """A required table is missing: the contract is not in force yet, so this failure warns and never blocks."""
    table = ".".join(physical_table(logical, schema_prefix))
    outcome = _missing_table_outcome(table, "" if table == ".".join(contract.physical_table(schema_prefix)) else table)
    return replace(
        outcome,
        severity="warn",
        error=f"table {table} does not exist: contract pending until it does (meta.contract.requires_tables)",
    )


def _result(
    contract: Contract, table: str, outcomes: list[ExpectationOutcome], validated_at: datetime
) -> ContractResult:
    return ContractResult(
        name=contract.name,
        title=contract.title,
        owner=contract.owner,
        severity=contract.severity,
        binds=contract.binds,
        table=table,
        success=all(outcome.success for outcome in outcomes),
        expectations=outcomes,
        validated_at=validated_at,
    )


def _jsonable(value: Any) -> Any:
    """Dates, decimals and the like as JSON-ready values (dates as ISO strings)."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# ---- GX set-up --------------------------------------------------------------------------------


def _import_gx() -> Any:
    """Import Great Expectations with its logger at WARNING (its INFO chatter floods Airflow task logs)."""
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


def _ephemeral_context() -> EphemeralDataContext:
    """An in-memory GX context: no files written, no progress bars, no analytics."""
    gx = _import_gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _sqlalchemy_url(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ValueError("expected a database URL such as postgresql+psycopg://user@host:5432/database")
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return url


def _psycopg_url(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    return f"postgresql://{rest}" if separator and scheme.startswith("postgresql+") else url


# ---- recording and reporting ------------------------------------------------------------------


def record_results(psycopg_url_or_conn: str | psycopg.Connection, run_id: str, results: list[ContractResult]) -> int:
    """Append one row per expectation to audit.contract_results (created if missing); return the row count.

    Given a URL, the rows are committed; given a connection, they are written in a transaction block of it
    (committed at its end unless the connection already has a transaction open, which the caller commits).
    """
    import psycopg

    rows = [
        (
            run_id,
            result.validated_at,
            result.name,
            result.severity_of(outcome),
            result.owner,
            result.table_of(outcome),
            outcome.expectation,
            outcome.column or None,
            outcome.success,
            _jsonb(outcome.observed_value),
            outcome.unexpected_count,
            _jsonb(outcome.sample),
            outcome.promise or None,
            outcome.error,
        )
        for result in results
        for outcome in result.expectations
    ]
    quarantined = [
        (run_id, result.name, outcome.expectation, outcome.promise or None, result.table_of(outcome), _jsonb(row))
        for result in results
        for outcome in result.failures
        for row in outcome.rows[:QUARANTINE_CAP]
        if isinstance(row, dict)  # whole rows only; a bare value says too little to act on
    ]
    if isinstance(psycopg_url_or_conn, str):
        with psycopg.connect(_psycopg_url(psycopg_url_or_conn)) as conn:
            _write(conn, rows, quarantined)
    else:
        _write(psycopg_url_or_conn, rows, quarantined)
    return len(rows)


def _write(conn: psycopg.Connection, rows: list[tuple[Any, ...]], quarantined: list[tuple[Any, ...]]) -> None:
    with conn.transaction():
        missing = conn.execute(
            "select to_regclass(%s) is null or to_regclass(%s) is null", (AUDIT_TABLE, QUARANTINE_TABLE)
        ).fetchone()[0]
        if missing:
            # concurrent first runs would race on `create schema if not exists`: serialise them
            conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (AUDIT_TABLE,))
            for statement in AUDIT_DDL:
                conn.execute(statement)
        with conn.cursor() as cursor:
            cursor.executemany(
                f"""insert into {AUDIT_TABLE} (run_id, validated_at, contract, severity, owner, table_name,
                    expectation, column_name, success, observed_value, unexpected_count, sample, promise, error)
                    values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                rows,
            )
            if quarantined:
                cursor.executemany(
                    f"""insert into {QUARANTINE_TABLE} (run_id, contract, expectation, promise, table_name, row)
                        values (%s, %s, %s, %s, %s, %s)""",
                    quarantined,
                )


def _jsonb(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return None if value is None else Jsonb(value)


def format_results(results: list[ContractResult]) -> str:
    """A fixed-width pass/fail table, one line per expectation, and a summary line."""
    header = ("contract", "table", "severity", "expectation", "column", "result", "unexpected")
    lines = [
        (
            result.name,
            result.table_of(outcome).rpartition(".")[2],
            result.severity_of(outcome),
            outcome.expectation,
            outcome.column,
            "pass"
            if outcome.success
            else ("ERROR" if outcome.error else "FAIL") + ("" if result.severity_of(outcome) == "block" else " (warn)"),
            "" if outcome.unexpected_count is None else str(outcome.unexpected_count),
        )
        for result in results
        for outcome in result.expectations
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    table = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, tuple("-" * width for width in widths), *lines]
    ]
    failed = [result for result in results if not result.success]
    blocking = [result for result in failed if result.blocks]
    table.append(
        f"{len(results)} contract(s) checked: {len(results) - len(failed)} kept, {len(failed)} broken "
        f"({len(blocking)} blocking)"
    )
    return "\n".join(table)


def raise_for_blocking(results: list[ContractResult]) -> None:
    """Raise ContractBroken when a `block` contract failed; failed `warn` contracts never raise."""
    broken = [result for result in results if result.blocks]
    if broken:
        raise ContractBroken(broken)


def _broken_message(broken: list[ContractResult]) -> str:
    lines = [f"{len(broken)} blocking contract(s) broken, so this build must not be published:"]
    for result in broken:
        lines.append(
            f"* {result.name} ({result.title}): owner {result.owner}, binds {', '.join(result.binds)}, "
            f"table {result.table}"
        )
        for outcome in result.failures:
            on = f" on {outcome.column}" if outcome.column else ""
            where = f" [table {outcome.table}]" if outcome.table else ""
            warn = " (warn only)" if result.severity_of(outcome) == "warn" else ""
            lines.append(f"  - broken promise{warn}: {outcome.promise or outcome.expectation}{where}")
            detail = outcome.error or (
                f"{outcome.unexpected_count} unexpected" if outcome.unexpected_count is not None else "failed"
            )
            if outcome.observed_value is not None and outcome.unexpected_count is None:
                detail += f", observed {json.dumps(outcome.observed_value)}"
            lines.append(f"    {outcome.expectation}{on}: {detail}")
            if outcome.sample:
                lines.append(f"    sample: {json.dumps(outcome.sample)}")
    return "\n".join(lines)
