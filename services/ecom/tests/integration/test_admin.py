import uuid
from collections.abc import Callable

from factories import Customer, SigningKey, admin_token, bearer, book_body, csrf_headers, customer_token, stocked_book
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]


async def admin(client: AsyncClient, key: SigningKey) -> dict[str, str]:
    return await csrf_headers(client, bearer(admin_token(key)))


class TestBooks:
    async def test_create_then_find_it_in_the_catalog_and_search(
        self, client: AsyncClient, signing_key: SigningKey
    ) -> None:
        word = f"Zephyr{uuid.uuid4().hex[:6]}"
        body = book_body(title=f"{word} Rising")
        created = await client.post("/ecom/admin/books", json=body, headers=await admin(client, signing_key))
        assert created.status_code == 201, created.text
        book = created.json()
        assert book["title"] == f"{word} Rising"
        assert (await client.get(f"/ecom/books/{book['id']}")).status_code == 200
        found = (await client.get("/ecom/books/search", params={"q": word})).json()
        assert found["items"][0]["id"] == book["id"]  # similar titles of earlier runs may follow

    async def test_isbn_with_hyphens_is_normalised_and_a_duplicate_is_409(
        self, client: AsyncClient, signing_key: SigningKey
    ) -> None:
        isbn = book_body()["isbn13"]
        hyphenated = f"{isbn[:3]}-{isbn[3:4]}-{isbn[4:9]}-{isbn[9:12]}-{isbn[12]}"
        headers = await admin(client, signing_key)
        first = await client.post("/ecom/admin/books", json=book_body(isbn13=hyphenated), headers=headers)
        assert first.json()["isbn13"] == isbn
        second = await client.post("/ecom/admin/books", json=book_body(isbn13=isbn), headers=headers)
        assert (second.status_code, second.json()["error"]) == (409, "isbn_exists")

    async def test_invalid_fields_are_422_naming_the_field_and_nothing_is_created(
        self, client: AsyncClient, signing_key: SigningKey
    ) -> None:
        headers = await admin(client, signing_key)
        marker = f"Invalid{uuid.uuid4().hex[:8]}"
        cases = {
            "isbn13": {"isbn13": "9780306406158"},  # wrong check digit
            "price": {"price": "0"},
            "year": {"year": 3000},
            "author": {"author": ""},
        }
        for field, change in cases.items():
            response = await client.post("/ecom/admin/books", json=book_body(title=marker, **change), headers=headers)
            assert response.status_code == 422, field
            assert response.json()["detail"][0]["loc"][-1] == field
        assert (await client.get("/ecom/books/search", params={"q": marker})).json()["total"] == 0
        unknown = await client.post("/ecom/admin/books", json=book_body(rating=5), headers=headers)
        assert unknown.status_code == 422

    async def test_update_replaces_fields_but_past_orders_keep_title_and_price(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 5, title="Old Title", price="9.00")
        customer = await Customer(signing_key, client).login()
        await customer.add(book)
        order = (await customer.checkout()).json()
        headers = await admin(client, signing_key)
        new = book_body(title="New Title", price="19.00")
        updated = await client.put(f"/ecom/admin/books/{book}", json=new, headers=headers)
        assert updated.status_code == 200, updated.text
        assert (await client.get(f"/ecom/books/{book}")).json()["title"] == "New Title"
        past = (await client.get(f"/ecom/orders/{order['order_id']}", headers=customer.auth)).json()
        assert [(i["title"], i["unit_price"]) for i in past["items"]] == [("Old Title", "9.00")]

    async def test_delete_is_soft_the_book_leaves_the_catalog_and_orders_keep_it(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 5, title="Soon Gone")
        customer = await Customer(signing_key, client).login()
        await customer.add(book)
        order = (await customer.checkout()).json()
        headers = await admin(client, signing_key)
        assert (await client.delete(f"/ecom/admin/books/{book}", headers=headers)).status_code == 204
        assert (await client.get(f"/ecom/books/{book}")).status_code == 404
        assert (await client.delete(f"/ecom/admin/books/{book}", headers=headers)).status_code == 404
        assert (await client.put(f"/ecom/admin/books/{book}", json=book_body(), headers=headers)).status_code == 404
        past = (await client.get(f"/ecom/orders/{order['order_id']}", headers=customer.auth)).json()
        assert past["items"][0]["title"] == "Soon Gone"

    async def test_customers_and_guests_are_refused(
        self, client: AsyncClient, new_client: Callable[[], AsyncClient], signing_key: SigningKey
    ) -> None:
        customer = await csrf_headers(client, bearer(customer_token(signing_key)))
        refused = await client.post("/ecom/admin/books", json=book_body(), headers=customer)
        assert (refused.status_code, refused.json()["detail"]) == (403, "requires the 'admin' role")
        async with new_client() as guest:
            headers = await csrf_headers(guest)
            assert (await guest.post("/ecom/admin/books", json=book_body(), headers=headers)).status_code == 401
            assert (await guest.get("/ecom/admin/orders")).status_code == 401


class TestOrders:
    async def test_lists_every_customers_orders_filtered_by_status(
        self, new_client: Callable[[], AsyncClient], ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 10)
        placed = []
        for _ in range(2):
            async with new_client() as c:
                customer = await Customer(signing_key, c).login()
                await customer.add(book)
                placed.append((await customer.checkout()).json()["order_id"])
        async with new_client() as c:
            headers = bearer(admin_token(signing_key))
            params = {"status": "CONFIRMED", "size": 100}
            page = (await c.get("/ecom/admin/orders", params=params, headers=headers)).json()
            assert set(placed) <= {o["order_id"] for o in page["items"]}
            assert all(o["status"] == "CONFIRMED" for o in page["items"])
            assert {"user_id", "username"} <= set(page["items"][0])
            cancelled = (await c.get("/ecom/admin/orders", params={"status": "CANCELLED"}, headers=headers)).json()
            assert not set(placed) & {o["order_id"] for o in cancelled["items"]}
            bad = await c.get("/ecom/admin/orders", params={"status": "SHIPPED"}, headers=headers)
            assert bad.status_code == 422
