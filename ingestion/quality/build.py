"""Write the gate's GX file data context (``expectations/``) from the checks table.

    python -m ingestion.quality.build            # rewrites expectations/ in the project
    python -m ingestion.quality.build --out DIR  # somewhere else (the tests compare the two)

What is written, all deterministic (stable ids), so a rebuild with unchanged checks changes no file:

    great_expectations.yml        stores, Data Docs site, the ``warehouse`` data source and one table asset
                                  per feed (the batch views ``quality.<feed>_batch``); no DSN: the connection
                                  string is ``${APPEALS_GX_WAREHOUSE_URL}``, set by the gate at run time
    expectations/<feed>_batch.json            one suite per feed, from ``ingestion.quality.checks``
    validation_definitions/<feed>_batch.json  suite × the feed's batch
    checkpoints/<feed>_batch_gate.json        what the gate runs, with the result format it needs

and for the marts (``ingestion.quality.mart_checks``; run by ``ingestion.quality.marts_gate``):

    great_expectations.yml                    one table asset per published mart, named without a schema:
                                              the connection's search_path picks the schema checked
    expectations/mart_<mart>.json             one suite per mart
    validation_definitions/mart_<mart>.json   suite × the mart's whole table
    checkpoints/marts_publish_gate.json       all the mart validations: what must pass before publishing
"""

from __future__ import annotations

import argparse
import json
import shutil
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ingestion.quality.checks import FEEDS, checks_of
from ingestion.quality.mart_checks import MART_CHECKS, MARTS, checks_of_mart
from ingestion.settings import load_settings

CONTEXT_DIR_NAME = "expectations"
DATASOURCE = "warehouse"
BATCH_DEFINITION = "current_batch"
MART_BATCH_DEFINITION = "whole_table"
MARTS_CHECKPOINT = "marts_publish_gate"
WAREHOUSE_URL_VARIABLE = "APPEALS_GX_WAREHOUSE_URL"
RESULTS_DIR_VARIABLE = "APPEALS_GX_RESULTS_DIR"
DATA_DOCS_DIR_VARIABLE = "APPEALS_GX_DATA_DOCS_DIR"
DATA_DOCS_SITE = "local_site"
PASS_ONE_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
"""Counts for every check, but no example rows: a query for examples would scan the batch once per check.
The gate asks for examples afterwards, only for the checks that found something."""

_NAMESPACE = uuid.UUID("0b6bd0a5-49a1-4d43-8d1c-2f0a1c8d7e11")


def context_dir() -> Path:
    return load_settings().root / CONTEXT_DIR_NAME


def _id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def suite_name(feed: str) -> str:
    return f"{feed}_batch"


def checkpoint_name(feed: str) -> str:
    return f"{feed}_batch_gate"


def view_name(feed: str) -> str:
    return f"{feed}_batch"


def mart_suite_name(mart: str) -> str:
    return f"mart_{mart}"


def mart_asset_name(mart: str) -> str:
    """The table asset of a mart: the mart's name, also its table name (no schema: see the module doc)."""
    return mart


def great_expectations_yml() -> str:
    assets = "".join(
        f"""      {suite_name(feed)}:
        type: table
        id: {_id("asset", feed)}
        table_name: {view_name(feed)}
        batch_metadata:
          feed: {feed}
        batch_definitions:
          {BATCH_DEFINITION}:
            id: {_id("batch_definition", feed)}
            partitioner:
"""
        for feed in FEEDS
    )
    assets += "".join(
        f"""      {mart_asset_name(mart)}:
        type: table
        id: {_id("asset", "mart", mart)}
        table_name: {mart}
        batch_metadata:
          mart: {mart}
        batch_definitions:
          {MART_BATCH_DEFINITION}:
            id: {_id("batch_definition", "mart", mart)}
            partitioner:
"""
        for mart in MARTS
    )
    return f"""# The quality gate's GX project: a GX 1.x file data context. Written by `python -m ingestion.quality.build`
# from ingestion/quality/checks.py; change the checks there and rebuild rather than editing files here.
#
# No DSN is stored here. The gate (ingestion/quality/gate.py) sets the warehouse connection at run time and
# points each connection at one load batch (`-c appeals.batch_id=N`): the table assets are the views
# quality.<feed>_batch (migration V004), which show exactly the rows of that batch, so every expectation runs
# as SQL inside PostgreSQL on exactly the batch.
# The mart assets name the published marts without a schema: ingestion/quality/marts_gate.py connects with
# `-c search_path=<schema>,public`, so the mart suites check whichever schema they are pointed at (the
# candidate marts before they are published).
config_version: 4.0
analytics_enabled: false
progress_bars:
  globally: false
  metric_calculations: false

stores:
  expectations_store:
    class_name: ExpectationsStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      suppress_store_backend_id: true
      base_directory: expectations/
  validation_results_store:
    class_name: ValidationResultsStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      suppress_store_backend_id: true
      base_directory: ${{{RESULTS_DIR_VARIABLE}}}
  checkpoint_store:
    class_name: CheckpointStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      suppress_store_backend_id: true
      base_directory: checkpoints/
  validation_definition_store:
    class_name: ValidationDefinitionStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      suppress_store_backend_id: true
      base_directory: validation_definitions/
expectations_store_name: expectations_store
validation_results_store_name: validation_results_store
checkpoint_store_name: checkpoint_store

# Built on request (`--data-docs`), by default into <state dir>/data_docs (ingestion.settings).
data_docs_sites:
  {DATA_DOCS_SITE}:
    class_name: SiteBuilder
    show_how_to_buttons: false
    store_backend:
      class_name: TupleFilesystemStoreBackend
      suppress_store_backend_id: true
      base_directory: ${{{DATA_DOCS_DIR_VARIABLE}}}
    site_index_builder:
      class_name: DefaultSiteIndexBuilder

fluent_datasources:
  {DATASOURCE}:
    type: sql
    id: {_id("datasource")}
    connection_string: ${{{WAREHOUSE_URL_VARIABLE}}}
    create_temp_table: false
    assets:
{assets}data_context_id: {_id("data_context")}
"""


def placeholder_environment(scratch: Path) -> dict[str, str]:
    """Values for the context's variables when nothing is validated (building, inspecting)."""
    return {
        WAREHOUSE_URL_VARIABLE: "postgresql+psycopg://unset@localhost/unset",
        RESULTS_DIR_VARIABLE: str(scratch / "validations"),
        DATA_DOCS_DIR_VARIABLE: str(scratch / "data_docs"),
    }


def build(out: Path) -> Path:
    """(Re)write the context in ``out``; returns ``out``."""
    import tempfile

    import great_expectations as gx

    from ingestion.quality.kinds import expectation_configuration

    out.mkdir(parents=True, exist_ok=True)
    for folder in ("expectations", "validation_definitions", "checkpoints"):
        shutil.rmtree(out / folder, ignore_errors=True)
        (out / folder).mkdir()
    yml = great_expectations_yml()
    (out / "great_expectations.yml").write_text(yml, encoding="utf-8")
    (out / ".gitignore").write_text("uncommitted/\n", encoding="utf-8")

    with tempfile.TemporaryDirectory() as scratch:
        context = gx.get_context(
            mode="file", context_root_dir=out, runtime_environment=placeholder_environment(Path(scratch))
        )
        datasource = context.data_sources.get(DATASOURCE)
        for feed in FEEDS:
            suite = gx.ExpectationSuite(
                name=suite_name(feed),
                id=_id("suite", feed),
                # as configurations: GX keeps the stable ids of those (Expectation objects with ids are refused)
                expectations=[expectation_configuration(check) for check in checks_of(feed)],
                meta={"feed": feed, "built_by": "python -m ingestion.quality.build"},
            )
            suite = context.suites.add(suite)
            batch_definition = datasource.get_asset(suite_name(feed)).get_batch_definition(BATCH_DEFINITION)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(
                    name=suite_name(feed), id=_id("validation", feed), data=batch_definition, suite=suite
                )
            )
            context.checkpoints.add(
                gx.Checkpoint(
                    name=checkpoint_name(feed),
                    id=_id("checkpoint", feed),
                    validation_definitions=[definition],
                    actions=[],
                    result_format=PASS_ONE_RESULT_FORMAT,
                )
            )
        _add_mart_suites(context, datasource)
    # GX may have rewritten the project file while adding things: put ours (same content, with comments) back.
    (out / "great_expectations.yml").write_text(yml, encoding="utf-8")
    shutil.rmtree(out / "uncommitted", ignore_errors=True)
    _stabilise_ids(out)
    return out


def _add_mart_suites(context, datasource) -> None:  # a GX file context and its warehouse data source
    """One suite and validation definition per mart, and the one checkpoint that runs them all."""
    import great_expectations as gx

    from ingestion.quality.kinds import mart_expectation_configuration

    definitions = []
    for mart in MARTS:
        suite = context.suites.add(
            gx.ExpectationSuite(
                name=mart_suite_name(mart),
                id=_id("suite", "mart", mart),
                expectations=[mart_expectation_configuration(check) for check in checks_of_mart(mart)],
                meta={"mart": mart, "built_by": "python -m ingestion.quality.build"},
            )
        )
        batch_definition = datasource.get_asset(mart_asset_name(mart)).get_batch_definition(
            MART_BATCH_DEFINITION
        )
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(
                    name=mart_suite_name(mart),
                    id=_id("validation", "mart", mart),
                    data=batch_definition,
                    suite=suite,
                )
            )
        )
    context.checkpoints.add(
        gx.Checkpoint(
            name=MARTS_CHECKPOINT,
            id=_id("checkpoint", MARTS_CHECKPOINT),
            validation_definitions=definitions,
            actions=[],
            result_format=PASS_ONE_RESULT_FORMAT,
        )
    )


def _stabilise_ids(out: Path) -> None:
    """Replace the random ids GX gave the suites, expectations, validations and checkpoints by stable ones."""
    by_name = {check.name: check for feed in FEEDS for check in checks_of(feed)}
    for feed in FEEDS:
        _rewrite(
            out / "expectations" / f"{suite_name(feed)}.json", partial(_suite_ids, feed=feed, by_name=by_name)
        )
        _rewrite(
            out / "validation_definitions" / f"{suite_name(feed)}.json", partial(_validation_ids, feed=feed)
        )
        _rewrite(out / "checkpoints" / f"{checkpoint_name(feed)}.json", partial(_checkpoint_ids, feed=feed))
    marts = {check.name: check for check in MART_CHECKS}
    for mart in MARTS:
        name = mart_suite_name(mart)
        _rewrite(out / "expectations" / f"{name}.json", partial(_mart_suite_ids, mart=mart, by_name=marts))
        _rewrite(out / "validation_definitions" / f"{name}.json", partial(_mart_validation_ids, mart=mart))
    _rewrite(out / "checkpoints" / f"{MARTS_CHECKPOINT}.json", _marts_checkpoint_ids)


def _suite_ids(suite: dict, *, feed: str, by_name: dict) -> dict:
    from ingestion.quality.kinds import expectation_id

    expectations = [e | {"id": expectation_id(by_name[e["meta"]["check"]])} for e in suite["expectations"]]
    return suite | {"id": _id("suite", feed), "expectations": expectations}


def _validation_ids(definition: dict, *, feed: str) -> dict:
    return definition | {
        "id": _id("validation", feed),
        "suite": definition["suite"] | {"id": _id("suite", feed)},
    }


def _checkpoint_ids(checkpoint: dict, *, feed: str) -> dict:
    definitions = [v | {"id": _id("validation", feed)} for v in checkpoint["validation_definitions"]]
    return checkpoint | {"id": _id("checkpoint", feed), "validation_definitions": definitions}


def _mart_suite_ids(suite: dict, *, mart: str, by_name: dict) -> dict:
    from ingestion.quality.kinds import expectation_id

    expectations = [e | {"id": expectation_id(by_name[e["meta"]["check"]])} for e in suite["expectations"]]
    return suite | {"id": _id("suite", "mart", mart), "expectations": expectations}


def _mart_validation_ids(definition: dict, *, mart: str) -> dict:
    return definition | {
        "id": _id("validation", "mart", mart),
        "suite": definition["suite"] | {"id": _id("suite", "mart", mart)},
    }


def _marts_checkpoint_ids(checkpoint: dict) -> dict:
    by_name = {mart_suite_name(mart): mart for mart in MARTS}
    definitions = [
        v | {"id": _id("validation", "mart", by_name[v["name"]])}
        for v in checkpoint["validation_definitions"]
    ]
    return checkpoint | {"id": _id("checkpoint", MARTS_CHECKPOINT), "validation_definitions": definitions}


def _rewrite(path: Path, change: Callable[[dict], dict]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(
        json.dumps(change(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: expectations/)")
    args = parser.parse_args(argv)
    print(build(args.out or context_dir()))


if __name__ == "__main__":
    main()
