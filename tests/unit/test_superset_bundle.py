"""The Superset assets bundle imports whole: every reference resolves (Superset's importer silently drops a chart
whose dataset or dashboard reference is missing), every chart sits on one dashboard and asks its dataset only for
columns and metrics it has, and no secret is committed."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "analytics" / "superset" / "bundle"
MIGRATIONS = ROOT / "analytics" / "warehouse" / "versions"
KINDS = ("databases", "datasets", "charts", "dashboards")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
PASSWORD_MASK = "XXXXXXXXXX"
SALES = {"Product Sales Volume", "Sales Over Time", "Top Books by Revenue", "Revenue by Author", "Revenue by Genre"}
REQUIRED = {  # dashboard slug -> titles of the charts it must show
    "sales": SALES | {"Revenue", "Orders", "Average Order Value"},
    "inventory": {"Stock Health", "Stock vs Reserved", "Inventory Turnover", "Low Stock", "Stock Movements Over Time"},
    "operations": {"CDC Freshness", "Order Status Distribution", "Orders per Minute"},
}
TITLES = {"sales": "Sales", "inventory": "Inventory", "operations": "Operations"}
# Viz types Superset 6.1 rewrites on import (superset/migrations/shared/migrate_viz/processors.py), and filter_box.
LEGACY_VIZ = {"treemap", "pivot_table", "dual_line", "sunburst", "line", "area", "bar", "dist_bar", "bubble"}
LEGACY_VIZ |= {"heatmap", "histogram", "sankey", "filter_box"}
SQL_WORDS = {"and", "or", "not", "null", "case", "when", "then", "else", "end", "as", "distinct", "is", "in", "like"}
# Keys explore adds to the params when it saves a chart's query context.
SAVE_KEYS = {"force", "result_format", "result_type"}

Doc = dict[str, Any]


@cache
def load(kind: str) -> dict[str, Doc]:
    """Every YAML file of one kind (a folder of the bundle), by its path in the bundle."""
    files = sorted(p for p in (BUNDLE / kind).rglob("*") if p.is_file())
    docs = {str(p.relative_to(BUNDLE)): yaml.safe_load(p.read_text()) for p in files}
    assert all(isinstance(doc, dict) for doc in docs.values()), f"not a YAML mapping in {kind}/"
    return docs


def by_uuid(kind: str) -> dict[str, Doc]:
    return {str(doc["uuid"]): doc for doc in load(kind).values()}


def query_context(chart: Doc) -> Doc:
    context: Doc = json.loads(chart["query_context"])
    return context


def charts_by_title() -> dict[str, Doc]:
    return {chart["slice_name"]: chart for chart in load("charts").values()}


def placed(dashboard: Doc) -> list[Doc]:
    """The CHART components of a dashboard's layout."""
    return [node for node in dashboard["position"].values() if isinstance(node, dict) and node["type"] == "CHART"]


def sql_identifiers(expression: str) -> set[str]:
    """The column names a SQL expression reads: words that are neither functions, keywords nor in quotes."""
    words = re.findall(r"\b([A-Za-z_]\w*)\b(?!\s*\()", re.sub(r"'[^']*'", "", expression))
    return {word for word in words if word.lower() not in SQL_WORDS}


def requested(chart: Doc) -> tuple[set[str], set[str], set[str]]:
    """What a chart's params and saved query ask its dataset for: columns, saved metrics, and names that may be
    either (a plain name in an order-by)."""
    columns: set[str] = set()
    metrics: set[str] = set()
    either: set[str] = set()

    def metric(item: Any) -> None:
        if isinstance(item, str):
            metrics.add(item)
        elif item["expressionType"] == "SIMPLE":
            columns.add(item["column"]["column_name"])
        else:
            columns.update(sql_identifiers(item["sqlExpression"]))

    def column(item: Any) -> None:
        if isinstance(item, str):
            columns.add(item)
        elif item.get("isColumnReference") or item.get("columnType") == "BASE_AXIS":
            columns.add(item["sqlExpression"])
        else:
            columns.update(sql_identifiers(item["sqlExpression"]))

    params = chart["params"]
    for item in [*params.get("metrics", []), *([params["metric"]] if "metric" in params else [])]:
        metric(item)
    for item in [*params.get("groupby", []), *params.get("all_columns", []), *params.get("columns", [])]:
        column(item)
    if "x_axis" in params:
        column(params["x_axis"])
    either.update(json.loads(order)[0] for order in params.get("order_by_cols", []))
    for adhoc in params.get("adhoc_filters", []):
        if adhoc["expressionType"] == "SIMPLE":
            columns.add(adhoc["subject"])
        else:
            columns.update(sql_identifiers(adhoc["sqlExpression"]))
    for query in query_context(chart)["queries"]:
        for item in query.get("metrics") or []:
            metric(item)
        for item in query.get("columns") or []:
            column(item)
        for item, _ascending in query.get("orderby") or []:
            if isinstance(item, str):
                either.add(item)
            else:
                metric(item)
        columns.update(f["col"] for f in query.get("filters") or [] if isinstance(f["col"], str))
    return columns, metrics, either


class TestFiles:
    def test_every_file_is_a_version_1_yaml_mapping_the_importer_reads(self) -> None:
        files = sorted(str(p.relative_to(BUNDLE)) for p in BUNDLE.rglob("*") if p.is_file())
        assert "metadata.yaml" in files
        for name in files:
            # Superset skips files named .* or _* and anything but .yaml without a word.
            assert name.endswith(".yaml") and not Path(name).name.startswith((".", "_")), name
            assert name == "metadata.yaml" or name.split("/")[0] in KINDS, name
        assert sum(len(load(kind)) for kind in KINDS) == len(files) - 1
        metadata = yaml.safe_load((BUNDLE / "metadata.yaml").read_text())
        assert (metadata["version"], metadata["type"]) == ("1.0.0", "assets")
        for kind in KINDS:
            assert {doc["version"] for doc in load(kind).values()} == {"1.0.0"}, kind

    def test_uuids_are_well_formed_and_unique(self) -> None:
        uuids = [str(doc["uuid"]) for kind in KINDS for doc in load(kind).values()]
        assert all(UUID.fullmatch(u) for u in uuids)
        assert [u for u, n in Counter(uuids).items() if n > 1] == []


class TestReferences:
    def test_datasets_read_the_bundles_database(self) -> None:
        databases = by_uuid("databases")
        assert [name for name, ds in load("datasets").items() if ds["database_uuid"] not in databases] == []

    def test_charts_their_saved_queries_and_params_name_a_dataset_of_the_bundle(self) -> None:
        datasets = by_uuid("datasets")
        for chart in load("charts").values():
            dataset = chart["dataset_uuid"]
            context = query_context(chart)
            assert dataset in datasets, chart["slice_name"]
            assert context["datasource"] == {"id": dataset, "type": "table"}, chart["slice_name"]
            assert chart["params"]["datasource"] == context["form_data"]["datasource"] == f"{dataset}__table"
            assert all(
                query.get("datasource", context["datasource"]) == context["datasource"] for query in context["queries"]
            )

    def test_dashboards_place_only_charts_of_the_bundle_under_their_titles(self) -> None:
        charts = by_uuid("charts")
        for dashboard in load("dashboards").values():
            nodes = placed(dashboard)
            assert [node["meta"]["uuid"] for node in nodes if node["meta"]["uuid"] not in charts] == []
            assert all(node["meta"]["sliceName"] == charts[node["meta"]["uuid"]]["slice_name"] for node in nodes)
            # The importer maps each chartId to the new chart's id (and fails without one); any unique number does.
            chart_ids = [node["meta"]["chartId"] for node in nodes]
            assert all(isinstance(i, int) for i in chart_ids) and len(set(chart_ids)) == len(chart_ids)

    def test_dashboard_metadata_holds_no_chart_ids_and_only_bundle_datasets(self) -> None:
        datasets = by_uuid("datasets")
        for dashboard in load("dashboards").values():
            metadata = dashboard["metadata"]
            for key in ("chart_configuration", "expanded_slices", "filter_scopes", "timed_refresh_immune_slices"):
                assert not metadata.get(key), (dashboard["slug"], key)
            natives = metadata.get("native_filter_configuration", [])
            targets = {t["datasetUuid"] for n in natives for t in n["targets"] if "datasetUuid" in t}
            assert targets <= set(datasets), dashboard["slug"]

    def test_every_uuid_written_anywhere_is_an_object_of_the_bundle(self) -> None:
        known = {u for kind in KINDS for u in by_uuid(kind)}
        mentioned = {m.group(0) for p in BUNDLE.rglob("*.yaml") for m in UUID.finditer(p.read_text())}
        assert mentioned - known == set()


class TestDashboards:
    def test_three_dashboards_sales_inventory_and_operations(self) -> None:
        dashboards = {d["slug"]: d["dashboard_title"] for d in load("dashboards").values()}
        assert dashboards == TITLES

    def test_every_chart_is_on_exactly_one_dashboard(self) -> None:
        counts = Counter(node["meta"]["uuid"] for d in load("dashboards").values() for node in placed(d))
        assert {chart["slice_name"]: counts[u] for u, chart in by_uuid("charts").items() if counts[u] != 1} == {}

    def test_the_required_charts_are_on_their_dashboards(self) -> None:
        titles = {u: chart["slice_name"] for u, chart in by_uuid("charts").items()}
        for dashboard in load("dashboards").values():
            on_it = {titles[node["meta"]["uuid"]] for node in placed(dashboard)}
            assert REQUIRED[dashboard["slug"]] <= on_it, dashboard["slug"]
        assert len(titles) >= 16 and len(set(titles.values())) == len(titles)

    def test_every_dashboard_refreshes_itself_every_ten_seconds(self) -> None:
        refresh = {d["slug"]: d["metadata"]["refresh_frequency"] for d in load("dashboards").values()}
        assert refresh == dict.fromkeys(TITLES, 10)


class TestCharts:
    def test_product_sales_volume_is_a_bar_of_units_sold_per_title_most_sold_first(self) -> None:
        chart = charts_by_title()["Product Sales Volume"]
        (query,) = query_context(chart)["queries"]
        assert chart["viz_type"] == "echarts_timeseries_bar" and chart["params"]["x_axis"] == "title"
        assert [c["label"] for c in query["columns"]] == ["title"]
        assert [m["label"] for m in query["metrics"]] == ["Units sold"]
        assert {"operation": "sort", "options": {"by": "Units sold", "ascending": False}} in query["post_processing"]

    def test_sales_over_time_is_a_daily_line_of_revenue_and_orders(self) -> None:
        chart = charts_by_title()["Sales Over Time"]
        (query,) = query_context(chart)["queries"]
        assert chart["viz_type"] == "echarts_timeseries_line"
        assert [(c["label"], c["timeGrain"]) for c in query["columns"]] == [("sales_date", "P1D")]
        assert [m["label"] for m in query["metrics"]] == ["Revenue", "Orders"]
        assert query["series_columns"] == []  # one row per day, not split into series

    def test_charts_use_current_viz_types(self) -> None:
        for chart in load("charts").values():
            viz = chart["viz_type"]
            assert viz == chart["params"]["viz_type"] and viz not in LEGACY_VIZ, chart["slice_name"]

    def test_the_saved_query_is_the_one_of_the_charts_params(self) -> None:
        for chart in load("charts").values():
            context = query_context(chart)
            form_data = {k: v for k, v in context["form_data"].items() if k not in SAVE_KEYS}
            assert form_data == chart["params"], chart["slice_name"]
            assert context["queries"] and (context["result_type"], context["result_format"]) == ("full", "json")

    def test_no_chart_filters_by_time_unless_asked(self) -> None:
        for chart in load("charts").values():
            params = chart["params"]
            temporal = [f for f in params["adhoc_filters"] if f.get("operator") == "TEMPORAL_RANGE"]
            assert params["time_range"] == "No filter", chart["slice_name"]
            assert all(f["comparator"] == "No filter" for f in temporal), chart["slice_name"]
            for query in query_context(chart)["queries"]:
                assert query.get("time_range", "No filter") == "No filter"
                assert all(f["val"] == "No filter" for f in query["filters"] if f["op"] == "TEMPORAL_RANGE")

    def test_charts_ask_their_dataset_only_for_its_columns_and_saved_metrics(self) -> None:
        datasets = by_uuid("datasets")
        unknown = {}
        for chart in load("charts").values():
            dataset = datasets[chart["dataset_uuid"]]
            columns = {c["column_name"] for c in dataset["columns"]}
            metrics = {m["metric_name"] for m in dataset["metrics"]}
            wanted_columns, wanted_metrics, either = requested(chart)
            missing = (wanted_columns - columns) | (wanted_metrics - metrics) | (either - columns - metrics)
            if missing:
                unknown[chart["slice_name"]] = missing
        assert unknown == {}

    def test_the_sort_of_a_chart_is_one_of_its_metrics_or_its_axis(self) -> None:
        for chart in load("charts").values():
            params = chart["params"]
            if "x_axis_sort" in params:
                labels = {m if isinstance(m, str) else m["label"] for m in params["metrics"]}
                assert params["x_axis_sort"] in labels | {params["x_axis"]}, chart["slice_name"]

    def test_the_column_check_sees_names_inside_sql_metrics_filters_and_order_bys(self) -> None:
        assert requested(charts_by_title()["Average Order Value"])[0] == {"revenue", "orders"}
        assert sql_identifiers("SUM(x) / NULLIF(SUM(y), 0) + CASE WHEN z IN ('low') THEN 1 END") == {"x", "y", "z"}
        columns, metrics, either = requested(charts_by_title()["Low Stock"])
        assert "health" in columns and metrics == set() and either == {"available", "title"}


class TestDatasets:
    def test_a_dataset_per_reporting_view(self) -> None:
        views = {v for p in MIGRATIONS.glob("*.py") for v in re.findall(r"create view reporting\.(\w+)", p.read_text())}
        datasets = {(ds["schema"], ds["table_name"]) for ds in load("datasets").values()}
        assert datasets == {("reporting", view) for view in views}
        assert all(path == f"datasets/analytics/{ds['table_name']}.yaml" for path, ds in load("datasets").items())

    def test_dates_and_timestamps_are_temporal_columns(self) -> None:
        for ds in load("datasets").values():
            for column in ds["columns"]:
                temporal = column["type"].startswith(("DATE", "TIMESTAMP"))
                assert column["is_dttm"] is temporal, (ds["table_name"], column["column_name"])
            assert ds["main_dttm_col"] is None or ds["main_dttm_col"] in {c["column_name"] for c in ds["columns"]}


class TestDatabase:
    def test_the_uri_carries_the_password_mask_not_a_password(self) -> None:
        (database,) = load("databases").values()
        uri = urlsplit(database["sqlalchemy_uri"])
        assert (uri.scheme, uri.username, uri.path) == ("postgresql+psycopg2", "reporting", "/analytics")
        assert uri.password == PASSWORD_MASK
        assert database["database_name"] == "analytics" and "password" not in database

    def test_superset_reads_it_only_from_charts(self) -> None:
        (database,) = load("databases").values()
        flags = ("expose_in_sqllab", "allow_dml", "allow_run_async", "allow_ctas", "allow_cvas", "allow_csv_upload")
        assert {flag: database[flag] for flag in flags} == dict.fromkeys(flags, False)
