"""Test helpers for services: a signing key the app trusts and Keycloak-shaped tokens signed with it."""

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://idp.keycloak.net:30000/realms/bookstore"
AUDIENCE = "bookstore-api"
RESERVE_ROLES = {"inventory-service": ["inventory:reserve"]}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return public | {"kid": self.kid, "use": "sig", "alg": "RS256"}


def new_signing_key(kid: str | None = None) -> SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid or f"test-{uuid.uuid4().hex[:8]}", private_key)


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in keys]}


def claims(
    *,
    sub: str | None = None,
    realm_roles: list[str] | None = None,
    client_roles: dict[str, list[str]] | None = None,
    iss: str = ISSUER,
    aud: str | list[str] = AUDIENCE,
    expires_in: int = 300,
    **extra: Any,
) -> dict[str, Any]:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": iss,
        "aud": aud,
        "sub": sub or str(uuid.uuid4()),
        "iat": now,
        "exp": now + expires_in,
        "typ": "Bearer",
        "realm_access": {"roles": realm_roles or []},
        "resource_access": {client: {"roles": roles} for client, roles in (client_roles or {}).items()},
    }
    return body | extra


def make_token(key: SigningKey, **claim_args: Any) -> str:
    return jwt.encode(claims(**claim_args), key.private_key, algorithm="RS256", headers={"kid": key.kid})


def service_token(key: SigningKey, **claim_args: Any) -> str:
    """What Keycloak issues to the ecom-service client (client credentials)."""
    return make_token(
        key,
        client_roles=RESERVE_ROLES,
        azp="ecom-service",
        preferred_username="service-account-ecom-service",
        **claim_args,
    )


def admin_token(key: SigningKey, **claim_args: Any) -> str:
    return make_token(key, realm_roles=["customer", "admin"], preferred_username="admin1", **claim_args)


def customer_token(key: SigningKey, **claim_args: Any) -> str:
    return make_token(key, realm_roles=["customer"], preferred_username="user1", **claim_args)


def unsigned_token(key: SigningKey, **claim_args: Any) -> str:
    """`alg: none`, the classic forgery."""
    return jwt.encode(claims(**claim_args), None, algorithm="none", headers={"kid": key.kid})  # type: ignore[arg-type]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
