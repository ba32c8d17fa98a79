"""tests.keycloak_admin: the admin client's token is fetched again when Keycloak refuses it (admin tokens live a
minute; a load run keeps its client for minutes and must still delete its users)."""

import httpx

from tests.keycloak_admin import RefreshingToken


def test_a_refused_token_is_fetched_again_and_the_request_sent_once_more() -> None:
    valid = {"token-2"}
    seen: list[str] = []

    def keycloak(request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        seen.append(token)
        return httpx.Response(204 if token in valid else 401)

    tokens = iter(["token-1", "token-2", "token-3"])
    with httpx.Client(transport=httpx.MockTransport(keycloak), auth=RefreshingToken(lambda: next(tokens))) as c:
        assert c.delete("http://keycloak/users/1").status_code == 204
        assert c.delete("http://keycloak/users/2").status_code == 204
    assert seen == ["token-1", "token-2", "token-2"]


def test_a_token_refused_twice_is_the_callers_401() -> None:
    tokens = iter(["a", "b"])
    with httpx.Client(
        transport=httpx.MockTransport(lambda _: httpx.Response(401)), auth=RefreshingToken(lambda: next(tokens))
    ) as c:
        assert c.get("http://keycloak/users").status_code == 401
