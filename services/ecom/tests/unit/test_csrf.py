"""The guest cookie and the CSRF check's binding, without Redis (the store is faked)."""

import secrets
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from ecom.config import Settings
from ecom.csrf.dependencies import (
    CSRF_HEADER,
    GUEST_COOKIE,
    binding,
    clear_guest_cookie,
    ensure_guest_id,
    guest_id,
    require_csrf,
    set_guest_cookie,
)
from ecom.csrf.service import CsrfInvalid
from servicekit.auth.tokens import Principal

VALID_GUEST = secrets.token_urlsafe(32)


def request(method: str = "GET", cookie: str | None = None, headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if cookie is not None:
        raw.append((b"cookie", f"{GUEST_COOKIE}={cookie}".encode()))
    return Request({"type": "http", "method": method, "path": "/ecom/cart", "headers": raw, "app": FakeApp()})


def set_cookies(response: Response) -> list[tuple[str, str, dict[str, str]]]:
    """Each Set-Cookie header as (name, value, attributes with lower-cased names; flags map to "")."""
    cookies = []
    for name, value in response.raw_headers:
        if name != b"set-cookie":
            continue
        first, *attributes = value.decode().split("; ")
        cookie_name, _, cookie_value = first.partition("=")
        parsed = {}
        for attribute in attributes:
            key, _, attribute_value = attribute.partition("=")
            parsed[key.lower()] = attribute_value
        cookies.append((cookie_name, cookie_value, parsed))
    return cookies


def settings(**overrides: Any) -> Settings:
    return Settings(**({"database_url": "postgresql://u:p@127.0.0.1/ecom", "environment": "development"} | overrides))


class FakeCsrfStore:
    def __init__(self) -> None:
        self.checked: list[tuple[str, str | None]] = []

    async def verify(self, binding: str, token: str | None) -> None:
        self.checked.append((binding, token))


class FakeApp:
    def __init__(self) -> None:
        self.state = SimpleNamespace(csrf=FakeCsrfStore())


class TestGuestId:
    def test_token_urlsafe_32_value_is_accepted(self) -> None:
        assert guest_id(request(cookie=VALID_GUEST)) == VALID_GUEST

    @pytest.mark.parametrize(
        "value",
        [
            "",
            VALID_GUEST[:-1],  # 42 characters
            VALID_GUEST + "A",  # 44 characters
            "A" * 42 + "=",
            "A" * 42 + "+",
            "A" * 42 + "/",
            "A" * 42 + ".",
            "A" * 42 + "\u00e9",
        ],
    )
    def test_anything_else_counts_as_no_cookie(self, value: str) -> None:
        assert guest_id(request(cookie=value)) is None

    def test_missing_cookie_is_none(self) -> None:
        assert guest_id(request()) is None


class TestBinding:
    def test_signed_in_user_wins_over_the_guest_cookie(self) -> None:
        assert binding(Principal(subject="user-1"), VALID_GUEST) == "user:user-1"

    def test_guest_is_bound_by_cookie(self) -> None:
        assert binding(None, VALID_GUEST) == f"guest:{VALID_GUEST}"

    def test_nobody_has_no_binding(self) -> None:
        assert binding(None, None) is None


class TestGuestCookie:
    def test_cookie_is_http_only_secure_lax_and_scoped_to_the_api(self) -> None:
        response = Response()
        set_guest_cookie(response, VALID_GUEST, max_age=604800, secure=True)
        [(name, value, attributes)] = set_cookies(response)
        assert (name, value) == (GUEST_COOKIE, VALID_GUEST)
        assert attributes["path"] == "/ecom"
        assert attributes["max-age"] == "604800"
        assert attributes["samesite"] == "lax"
        assert "httponly" in attributes
        assert "secure" in attributes
        assert "domain" not in attributes  # host-only: never shared with other sites' subdomains

    def test_secure_flag_can_be_turned_off_for_plain_http_tests(self) -> None:
        response = Response()
        set_guest_cookie(response, VALID_GUEST, max_age=60, secure=False)
        [(_, _, attributes)] = set_cookies(response)
        assert "secure" not in attributes
        assert "httponly" in attributes

    def test_clearing_expires_the_same_cookie(self) -> None:
        response = Response()
        clear_guest_cookie(response, secure=True)
        [(name, value, attributes)] = set_cookies(response)
        assert (name, value) == (GUEST_COOKIE, '""')
        assert attributes["max-age"] == "0"
        assert attributes["path"] == "/ecom"
        assert "secure" in attributes and "httponly" in attributes

    def test_new_visitor_gets_a_fresh_valid_id(self) -> None:
        response = Response()
        issued = ensure_guest_id(request(), response, settings(guest_cart_ttl_seconds=3600))
        assert guest_id(request(cookie=issued)) == issued
        [(_, value, attributes)] = set_cookies(response)
        assert value == issued
        assert attributes["max-age"] == "3600"

    def test_returning_guest_keeps_the_id_and_the_cookie_is_renewed(self) -> None:
        response = Response()
        renewed = ensure_guest_id(request(cookie=VALID_GUEST), response, settings(guest_cart_ttl_seconds=900))
        assert renewed == VALID_GUEST
        [(_, value, attributes)] = set_cookies(response)
        assert value == VALID_GUEST
        assert attributes["max-age"] == "900"

    def test_malformed_cookie_is_replaced(self) -> None:
        issued = ensure_guest_id(request(cookie="forged"), Response(), settings())
        assert issued != "forged"
        assert guest_id(request(cookie=issued)) == issued

    def test_two_new_visitors_get_different_ids(self) -> None:
        assert ensure_guest_id(request(), Response(), settings()) != ensure_guest_id(request(), Response(), settings())


class TestRequireCsrf:
    @pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
    async def test_safe_methods_are_not_checked(self, method: str) -> None:
        req = request(method)
        await require_csrf(req, None, None)
        assert req.app.state.csrf.checked == []

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
    async def test_change_without_user_or_guest_cookie_is_refused(self, method: str) -> None:
        with pytest.raises(CsrfInvalid):
            await require_csrf(request(method), None, None)

    async def test_user_token_is_checked_against_the_user_binding(self) -> None:
        req = request("POST", cookie=VALID_GUEST, headers={CSRF_HEADER: "tok"})
        await require_csrf(req, Principal(subject="user-1"), VALID_GUEST)
        assert req.app.state.csrf.checked == [("user:user-1", "tok")]

    async def test_guest_token_is_checked_against_the_cookie_binding(self) -> None:
        req = request("DELETE", cookie=VALID_GUEST)
        await require_csrf(req, None, VALID_GUEST)
        assert req.app.state.csrf.checked == [(f"guest:{VALID_GUEST}", None)]
