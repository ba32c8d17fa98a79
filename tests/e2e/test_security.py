"""The storefront's CSP, and API data rendered as text: a book titled like an XSS payload shows as text and
no script runs."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import Dialog, Page, expect

from tests.api import create_book


class TestSecurity:
    def test_the_storefront_sends_a_strict_csp(self, page: Page, storefront: str) -> None:
        response = page.goto(storefront)
        assert response is not None
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "connect-src 'self'" in csp

    def test_an_xss_title_is_shown_as_text_and_no_script_runs(
        self, page: Page, storefront: str, api: httpx.Client, admin_auth: dict[str, str]
    ) -> None:
        marker = uuid.uuid4().hex[:8]
        title = f"<img src=x onerror=alert(1)> {marker}"
        description = "<script>alert('description')</script> should stay text too."
        book_id = create_book(api, admin_auth, title, description=description)
        dialogs: list[Dialog] = []

        def dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog)
            dialog.dismiss()

        page.on("dialog", dismiss)
        page.goto(f"{storefront}/search?q={marker}")
        expect(page.get_by_role("link", name=title)).to_be_visible()
        page.get_by_role("link", name=title).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.get_by_text(description)).to_be_visible()
        assert page.locator("main img[src='x']").count() == 0
        assert dialogs == []
        assert book_id in page.url
