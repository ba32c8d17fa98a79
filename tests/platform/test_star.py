"""The Flink star schema and the reporting views, fed by real checkouts and cancels through the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from servicekit.catalog import load_catalog

from bookstore.components import Context
from bookstore.config import ROOT
from tests import mirrors
from tests.api import api_client, place_order, set_stock, with_csrf
from tests.keycloak_admin import keycloak_admin, temporary_user
from tests.tokens import admin_token, user_token
from tests.waiting import wait_for

CATALOG = load_catalog(ROOT / "data" / "catalog" / "books.json")
BOOK, OTHER = CATALOG[62], CATALOG[63]
FACT_TIMEOUT = 15.0  # commit -> Flink -> analytics-db, with the machine busy


@pytest.fixture
def shopper(ctx: Context) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """A throwaway customer of its own (user1's cart is shared by other tests) and the API."""
    with (
        keycloak_admin(ctx) as kc,
        temporary_user(kc, "star", roles=("customer",)) as (username, password),
        api_client(ctx) as api,
    ):
        admin = with_csrf(api, {"Authorization": f"Bearer {admin_token(ctx)}"})
        for book in (BOOK, OTHER):
            set_stock(api, admin, book.id, 500)
        yield api, with_csrf(api, {"Authorization": f"Bearer {user_token(ctx, username, password)}"})


def _one(ctx: Context, query: str, *params: Any) -> dict[str, Any] | None:
    with mirrors.analytics(ctx) as dst:
        return dst.execute(query, params).fetchone()


def _book_sales(ctx: Context, book: uuid.UUID) -> dict[str, Any]:
    row = _one(ctx, "select units_sold, revenue from star.agg_book_sales where book_id = %s", book)
    return row or {"units_sold": 0, "revenue": Decimal("0.00")}


class TestOrdersReachTheStarSchema:
    def test_a_checkout_appears_as_fact_lines_and_in_the_aggregates_with_exact_amounts(
        self, ctx: Context, shopper: tuple[httpx.Client, dict[str, str]]
    ) -> None:
        api, headers = shopper
        before = _book_sales(ctx, BOOK.id)
        order = place_order(api, headers, {BOOK.id: 3, OTHER.id: 1})
        order_id = uuid.UUID(order["order_id"])
        query = "select * from star.fact_order_line where order_id = %s order by book_id"
        wait_for(lambda: len(_rows(ctx, query, order_id)) == 2, FACT_TIMEOUT, "both order lines in the facts")
        lines = _rows(ctx, query, order_id)
        by_book = {row["book_id"]: row for row in lines}
        price = Decimal(str(BOOK.price)).quantize(Decimal("0.01"))
        assert by_book[BOOK.id]["quantity"] == 3
        assert by_book[BOOK.id]["unit_price"] == price
        assert by_book[BOOK.id]["line_amount"] == price * 3
        assert by_book[BOOK.id]["order_status"] == "CONFIRMED"
        assert sum(r["line_amount"] for r in lines) == Decimal(str(order["total"]))
        wait_for(
            lambda: (
                _book_sales(ctx, BOOK.id)
                == {"units_sold": before["units_sold"] + 3, "revenue": before["revenue"] + price * 3}
            ),
            FACT_TIMEOUT,
            "the book's aggregate raised by the order",
        )
        volume = _one(ctx, "select units_sold from reporting.product_sales_volume where book_id = %s", BOOK.id)
        assert volume == {"units_sold": before["units_sold"] + 3}

    def test_a_cancel_changes_the_fact_status_and_lowers_the_aggregates(
        self, ctx: Context, shopper: tuple[httpx.Client, dict[str, str]]
    ) -> None:
        api, headers = shopper
        price = Decimal(str(BOOK.price)).quantize(Decimal("0.01"))
        before = _book_sales(ctx, BOOK.id)
        order = place_order(api, headers, {BOOK.id: 2})
        order_id = uuid.UUID(order["order_id"])
        raised = {"units_sold": before["units_sold"] + 2, "revenue": before["revenue"] + price * 2}
        wait_for(lambda: _fact_status(ctx, order_id) == "CONFIRMED", FACT_TIMEOUT, "the order's fact line")
        wait_for(lambda: _book_sales(ctx, BOOK.id) == raised, FACT_TIMEOUT, "the aggregate raised by the order")
        cancelled = api.post(f"/ecom/orders/{order_id}/cancel", headers=headers)
        assert cancelled.status_code == 200, cancelled.text
        wait_for(lambda: _fact_status(ctx, order_id) == "CANCELLED", FACT_TIMEOUT, "the fact line cancelled")
        wait_for(lambda: _book_sales(ctx, BOOK.id) == before, FACT_TIMEOUT, "the aggregate lowered by the cancel")
        row = _one(ctx, "select cancelled_at from star.fact_order_line where order_id = %s", order_id)
        assert row is not None and row["cancelled_at"] is not None

    def test_removing_a_cart_line_deletes_its_mirrored_row(
        self, ctx: Context, shopper: tuple[httpx.Client, dict[str, str]]
    ) -> None:
        api, headers = shopper
        count = "select count(*) as n from {}.cart_item where book_id = %s"
        with mirrors.source(ctx, "ecom") as src:
            before = src.execute(count.format("public"), (OTHER.id,)).fetchone()
        assert before is not None
        wait_for(lambda: _one(ctx, count.format("ecom"), OTHER.id) == before, 5, "the mirror equal before the change")
        added = api.post("/ecom/cart", json={"book_id": str(OTHER.id), "quantity": 1}, headers=headers)
        assert added.status_code == 200, added.text
        more = {"n": before["n"] + 1}
        wait_for(lambda: _one(ctx, count.format("ecom"), OTHER.id) == more, 5, "the cart line mirrored")
        assert api.delete(f"/ecom/cart/items/{OTHER.id}", headers=headers).status_code == 200
        wait_for(lambda: _one(ctx, count.format("ecom"), OTHER.id) == before, 5, "the mirrored cart line deleted")

    def test_the_star_schema_equals_the_same_join_computed_on_the_sources(self, ctx: Context) -> None:
        wait_for(lambda: mirrors.star_equals_sources(ctx) == [], 60, "facts and aggregates equal the sources")


class TestReportingRole:
    def test_the_reporting_role_reads_every_view_and_nothing_else(self, ctx: Context) -> None:
        dsn = (
            f"host=127.0.0.1 port={ctx.port('ANALYTICS_DB_PORT')} dbname=analytics user=reporting"
            f" password={ctx.env['ANALYTICS_REPORTING_PASSWORD']}"
        )
        with psycopg.connect(dsn, autocommit=True) as conn:
            views = [r[0] for r in conn.execute("select viewname from pg_views where schemaname = 'reporting'")]
            assert len(views) >= 10
            for view in views:
                conn.execute(f"select * from reporting.{view} limit 1")  # noqa: S608 - names from the catalog
            assert conn.execute("select count(*) from reporting.cdc_freshness").fetchone()[0] > 0  # type: ignore[index]
            for forbidden in (
                "select 1 from star.fact_order_line",
                "select 1 from ecom.book",
                "delete from star.dim_book",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(forbidden)


def _rows(ctx: Context, query: str, *params: Any) -> list[dict[str, Any]]:
    with mirrors.analytics(ctx) as dst:
        return dst.execute(query, params).fetchall()


def _fact_status(ctx: Context, order_id: uuid.UUID) -> str | None:
    row = _one(ctx, "select order_status from star.fact_order_line where order_id = %s", order_id)
    return None if row is None else str(row["order_status"])
