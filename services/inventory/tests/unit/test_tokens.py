import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from factories import (
    AUDIENCE,
    ISSUER,
    SigningKey,
    admin_token,
    jwks,
    make_token,
    new_signing_key,
    service_token,
    unsigned_token,
)

from servicekit.auth.exceptions import InvalidToken, KeysUnavailable
from servicekit.auth.jwks import JwksCache
from servicekit.auth.tokens import Principal, TokenValidator


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


class FakeIdp:
    """Serves a JWKS document and counts fetches; `fail` simulates the provider being down."""

    def __init__(self, *keys: SigningKey) -> None:
        self.document = jwks(*keys)
        self.fetches = 0
        self.fail = False

    async def fetch(self) -> dict[str, Any]:
        self.fetches += 1
        if self.fail:
            raise ConnectionError("identity provider down")
        return self.document


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def validator_for(idp: FakeIdp, clock: Clock | None = None) -> TokenValidator:
    cache = JwksCache(idp.fetch, min_refresh_seconds=10, max_age_seconds=600, clock=clock or Clock())
    return TokenValidator(cache, issuer=ISSUER, audience=AUDIENCE, leeway=5)


class TestTokenValidator:
    async def test_valid_service_token_yields_its_roles(self, signing_key: SigningKey) -> None:
        principal = await validator_for(FakeIdp(signing_key)).validate(service_token(signing_key))
        assert principal.has_client_role("inventory-service", "inventory:reserve")
        assert principal.actor == "service-account-ecom-service"
        assert "admin" not in principal.realm_roles

    async def test_valid_admin_token_yields_realm_roles(self, signing_key: SigningKey) -> None:
        principal = await validator_for(FakeIdp(signing_key)).validate(admin_token(signing_key))
        assert principal.realm_roles == {"customer", "admin"}
        assert not principal.has_client_role("inventory-service", "inventory:reserve")

    async def test_audience_may_be_one_of_several(self, signing_key: SigningKey) -> None:
        token = make_token(signing_key, aud=["account", AUDIENCE])
        assert (await validator_for(FakeIdp(signing_key)).validate(token)).subject

    @pytest.mark.parametrize(
        ("claim_args", "message"),
        [
            ({"expires_in": -120}, "expired"),
            ({"iss": "https://evil.example/realms/bookstore"}, "issuer"),
            ({"iss": ISSUER + "/"}, "issuer"),
            ({"aud": "account"}, "not intended"),
        ],
    )
    async def test_refuses_bad_claims(self, signing_key: SigningKey, claim_args: dict[str, Any], message: str) -> None:
        with pytest.raises(InvalidToken, match=message):
            await validator_for(FakeIdp(signing_key)).validate(make_token(signing_key, **claim_args))

    async def test_accepts_expiry_within_the_leeway(self, signing_key: SigningKey) -> None:
        token = make_token(signing_key, expires_in=-2)
        assert (await validator_for(FakeIdp(signing_key)).validate(token)).subject

    async def test_refuses_a_token_without_exp(self, signing_key: SigningKey) -> None:
        token = make_token(signing_key, exp=None)
        with pytest.raises(InvalidToken):
            await validator_for(FakeIdp(signing_key)).validate(token)

    async def test_refuses_a_signature_from_another_key(self, signing_key: SigningKey) -> None:
        impostor = SigningKey(signing_key.kid, new_signing_key().private_key)
        with pytest.raises(InvalidToken, match="invalid"):
            await validator_for(FakeIdp(signing_key)).validate(make_token(impostor))

    async def test_refuses_a_tampered_payload(self, signing_key: SigningKey) -> None:
        header, payload, signature = make_token(signing_key).split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        forged = _b64(claims | {"realm_access": {"roles": ["admin"]}})
        with pytest.raises(InvalidToken):
            await validator_for(FakeIdp(signing_key)).validate(f"{header}.{forged}.{signature}")

    async def test_refuses_alg_none(self, signing_key: SigningKey) -> None:
        with pytest.raises(InvalidToken, match="RS256"):
            await validator_for(FakeIdp(signing_key)).validate(unsigned_token(signing_key))

    async def test_refuses_hs256_signed_with_the_public_key(self, signing_key: SigningKey) -> None:
        # Algorithm confusion: an HMAC "signature" keyed with the public RSA key must not verify.
        public_pem = signing_key.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = _b64({"alg": "HS256", "typ": "JWT", "kid": signing_key.kid})
        payload = _b64({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": 9999999999})
        signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        token = f"{header}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
        with pytest.raises(InvalidToken, match="RS256"):
            await validator_for(FakeIdp(signing_key)).validate(token)

    @pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "e30.e30."])
    async def test_refuses_garbage(self, signing_key: SigningKey, token: str) -> None:
        with pytest.raises(InvalidToken):
            await validator_for(FakeIdp(signing_key)).validate(token)


class TestVerifiedTokenCache:
    """A token that passed is not checked again until it expires or `cache_seconds` pass."""

    @pytest.fixture
    def decodes(self, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        calls: list[str] = []
        real = jwt.decode

        def counting(token: str, *args: Any, **kwargs: Any) -> Any:
            calls.append(token)
            return real(token, *args, **kwargs)

        monkeypatch.setattr("servicekit.auth.tokens.jwt.decode", counting)
        return calls

    def validator(self, idp: FakeIdp, clock: Clock) -> TokenValidator:
        keys = JwksCache(idp.fetch, min_refresh_seconds=10, max_age_seconds=600, clock=clock)
        return TokenValidator(keys, issuer=ISSUER, audience=AUDIENCE, leeway=5, cache_seconds=60, clock=clock)

    async def test_a_verified_token_is_answered_from_the_cache(
        self, signing_key: SigningKey, decodes: list[str]
    ) -> None:
        validator = self.validator(FakeIdp(signing_key), Clock())
        token = admin_token(signing_key)
        first, second = await validator.validate(token), await validator.validate(token)
        assert first == second and first.realm_roles == {"customer", "admin"}
        assert decodes == [token]

    async def test_the_cache_keeps_a_token_at_most_cache_seconds(
        self, signing_key: SigningKey, decodes: list[str]
    ) -> None:
        clock = Clock()
        validator = self.validator(FakeIdp(signing_key), clock)
        token = admin_token(signing_key)
        await validator.validate(token)
        clock.now += 59
        await validator.validate(token)
        clock.now += 2
        await validator.validate(token)
        assert len(decodes) == 2

    async def test_a_cached_token_is_checked_again_once_it_expires(
        self, signing_key: SigningKey, decodes: list[str]
    ) -> None:
        token = make_token(signing_key, expires_in=30)
        exp = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["exp"]
        clock = Clock()
        clock.now = exp - 10
        validator = self.validator(FakeIdp(signing_key), clock)
        await validator.validate(token)
        clock.now = exp - 1
        await validator.validate(token)
        assert len(decodes) == 1
        # Past exp the cache no longer answers (a fresh check applies the leeway and the real clock).
        clock.now = exp
        await validator.validate(token)
        assert len(decodes) == 2

    async def test_a_refused_token_is_not_remembered(self, signing_key: SigningKey, decodes: list[str]) -> None:
        validator = self.validator(FakeIdp(signing_key), Clock())
        token = make_token(signing_key, aud="account")
        for _ in range(2):
            with pytest.raises(InvalidToken, match="not intended"):
                await validator.validate(token)
        assert len(decodes) == 2


class TestJwksCache:
    async def test_keys_are_fetched_once_and_cached(self, signing_key: SigningKey) -> None:
        idp = FakeIdp(signing_key)
        validator = validator_for(idp)
        for _ in range(5):
            await validator.validate(service_token(signing_key))
        assert idp.fetches == 1

    async def test_a_rotated_key_is_picked_up_on_first_sight(self, signing_key: SigningKey) -> None:
        clock = Clock()
        idp = FakeIdp(signing_key)
        validator = validator_for(idp, clock)
        await validator.validate(service_token(signing_key))
        clock.now += 60
        rotated = new_signing_key()
        idp.document = jwks(rotated)
        assert (await validator.validate(service_token(rotated))).subject
        assert idp.fetches == 2

    async def test_unknown_kids_refetch_at_most_once_per_interval(self, signing_key: SigningKey) -> None:
        clock = Clock()
        idp = FakeIdp(signing_key)
        validator = validator_for(idp, clock)
        await validator.validate(service_token(signing_key))
        clock.now += 60
        stranger = new_signing_key()
        for _ in range(20):
            with pytest.raises(InvalidToken, match="unknown key"):
                await validator.validate(service_token(stranger))
        assert idp.fetches == 2
        clock.now += 11
        with pytest.raises(InvalidToken):
            await validator.validate(service_token(stranger))
        assert idp.fetches == 3

    async def test_keys_older_than_max_age_are_refreshed(self, signing_key: SigningKey) -> None:
        clock = Clock()
        idp = FakeIdp(signing_key)
        validator = validator_for(idp, clock)
        await validator.validate(service_token(signing_key))
        clock.now += 601
        await validator.validate(service_token(signing_key))
        assert idp.fetches == 2

    async def test_a_failed_refresh_keeps_the_cached_keys(self, signing_key: SigningKey) -> None:
        clock = Clock()
        idp = FakeIdp(signing_key)
        validator = validator_for(idp, clock)
        await validator.validate(service_token(signing_key))
        clock.now += 601
        idp.fail = True
        assert (await validator.validate(service_token(signing_key))).subject

    async def test_no_keys_at_all_is_service_unavailable(self, signing_key: SigningKey) -> None:
        idp = FakeIdp(signing_key)
        idp.fail = True
        with pytest.raises(KeysUnavailable):
            await validator_for(idp).validate(service_token(signing_key))

    async def test_encryption_keys_are_ignored(self, signing_key: SigningKey) -> None:
        idp = FakeIdp(signing_key)
        idp.document["keys"][0]["use"] = "enc"
        with pytest.raises(KeysUnavailable):
            await validator_for(idp).validate(service_token(signing_key))


class TestPrincipalEmail:
    """ecom snapshots the customer's address from the token at checkout: only a verified one counts."""

    def test_a_verified_email_is_taken(self) -> None:
        claims = {"sub": "u1", "email": "reader@example.org", "email_verified": True}
        assert Principal.from_claims(claims).email == "reader@example.org"

    @pytest.mark.parametrize(
        "claims",
        [
            {"sub": "u1", "email": "reader@example.org", "email_verified": False},
            {"sub": "u1", "email": "reader@example.org"},
            {"sub": "u1", "email": "reader@example.org", "email_verified": "true"},
            {"sub": "u1", "email": "not-an-address", "email_verified": True},
            {"sub": "u1", "email_verified": True},
        ],
    )
    def test_an_unverified_or_missing_email_is_none(self, claims: dict[str, Any]) -> None:
        assert Principal.from_claims(claims).email is None
