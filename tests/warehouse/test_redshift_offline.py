"""Redshift with no server: every model compiles for the redshift target and its SQL parses and lints clean
in sqlfluff's redshift dialect; the COPY load script renders from the same source definitions."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from foundation.warehouse.build import redshift_load_sql
from foundation.warehouse.contract import PROJECT_DIR, source_tables
from foundation.warehouse.dbt_runner import dbt_command, dbt_environment

pytestmark = [pytest.mark.dbt]
SQLFLUFF = str(Path(sys.executable).with_name("sqlfluff"))
REDSHIFT_LINT = str(PROJECT_DIR / "ci" / "sqlfluff-redshift.cfg")


def lint(path: Path, exclude: str | None = None) -> subprocess.CompletedProcess:
    """sqlfluff lint with the Redshift config; with exclude, files whose path contains it are skipped."""
    paths = [str(path)]
    if exclude and path.is_dir():
        paths = [str(p) for p in sorted(path.rglob("*.sql")) if exclude not in str(p)]
    return subprocess.run(
        [
            SQLFLUFF,
            "lint",
            "--processes",
            "2",
            "--config",
            REDSHIFT_LINT,
            "--format",
            "github-annotation-native",
            *paths,
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )


def test_every_model_and_test_compiles_for_redshift_offline_and_lints_clean(tmp_path):
    target = tmp_path / "redshift"
    command = dbt_command(
        ["--no-populate-cache", "compile", "--vars", "{offline_compile: true}"],
        "redshift",
        target_path=str(target),
    )
    completed = subprocess.run(command, env=dbt_environment(), cwd=PROJECT_DIR, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr

    compiled = target / "compiled" / "supplychain"
    models = [p for p in (compiled / "models").rglob("*.sql") if not p.parent.name.endswith(".yml")]
    assert {p.stem for p in models} == {p.stem for p in (PROJECT_DIR / "models").rglob("*.sql")}
    assert len(list(compiled.rglob("*.sql"))) > 150  # the data tests, generic and singular, compiled too
    # The incremental branch is what was compiled: lines picked by arrival (the drop files that changed, then a
    # checksum the fact lacks), never by the ERP's clock.
    fct_sales = " ".join((compiled / "models/marts/core/fct_sales.sql").read_text().split())
    assert "loaded_versions.line_checksum = checksummed.line_checksum" in fct_sales
    assert "select changed_files.source_file from changed_files" in fct_sales
    assert "updated_at >=" not in fct_sales

    # Models are ours: every rule that judges meaning. Tests include dbt's own generic tests: they must parse.
    result = lint(compiled / "models", exclude=".yml/")
    assert result.returncode == 0, result.stdout + result.stderr
    # The lint parsed every model (an unparsable one fails it: the last test below); parse the rest, the data tests,
    # gathered in one folder since `sqlfluff parse` takes one path. Parsing the models again took a third of the time.
    tests = tmp_path / "compiled-tests"
    for path in compiled.rglob("*.sql"):
        if path not in models:
            (tests / path.relative_to(compiled)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, tests / path.relative_to(compiled))
    assert len(list(tests.rglob("*.sql"))) == len(list(compiled.rglob("*.sql"))) - len(models)
    parsed = subprocess.run(
        [SQLFLUFF, "parse", "--dialect", "redshift", "--templater", "raw", str(tests)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert parsed.returncode == 0, [line for line in parsed.stdout.splitlines() if "unparsable" in line][:20]


def test_copy_script_covers_every_source_table_and_parses_as_redshift(tmp_path):
    script = redshift_load_sql(
        "s3://supply-chain-data-lake/processed", "arn:aws:iam::123456789012:role/RedshiftCopyRole"
    )
    for table in source_tables():
        assert (
            f"copy processed.{table.name}\nfrom 's3://supply-chain-data-lake/processed/{table.processed_path}/'"
            in script
        )
    assert script.count("format as parquet") == len(source_tables())
    assert "source_file varchar(1024)" in script  # Redshift's bare varchar would be 256 characters
    # The width every text value is checked against before the COPY is the one the script declares, column by column.
    for table in source_tables():
        for column, width in table.redshift_widths.items():
            assert f"    {column} varchar({width})" in script, (table.name, column)
    path = tmp_path / "load_processed_zone.sql"
    path.write_text(script)
    result = lint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_catches_sql_redshift_cannot_parse(tmp_path):
    bad = tmp_path / "bad.sql"
    bad.write_text("select product_id from processed.sales qualify row_number() over () = 1 limit\n")
    assert lint(bad).returncode != 0
