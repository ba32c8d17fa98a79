import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from servicekit.auth.exceptions import InvalidToken
from servicekit.auth.jwks import JwksCache

ALGORITHM = "RS256"  # Keycloak's default; anything else (none, HS*) is refused before key lookup


def _roles(container: Any) -> frozenset[str]:
    roles = container.get("roles") if isinstance(container, dict) else None
    return frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else frozenset()


@dataclass(frozen=True)
class Principal:
    subject: str
    username: str | None = None
    email: str | None = None  # only an address Keycloak verified (claim email_verified)
    realm_roles: frozenset[str] = frozenset()
    client_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        """How stock movements name whoever made the change."""
        return self.username or self.subject

    def has_client_role(self, client: str, role: str) -> bool:
        return role in self.client_roles.get(client, frozenset())

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> "Principal":
        resource_access = claims.get("resource_access")
        clients = resource_access if isinstance(resource_access, dict) else {}
        # Keycloak may omit `sub` (no "basic" scope); the client id still identifies a service account.
        subject = claims.get("sub") or claims.get("azp") or claims.get("client_id")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("token identifies no subject")
        username = claims.get("preferred_username")
        email = claims.get("email")
        verified = claims.get("email_verified") is True and isinstance(email, str) and "@" in email
        return cls(
            subject=subject,
            username=username if isinstance(username, str) else None,
            email=email if verified else None,
            realm_roles=_roles(claims.get("realm_access")),
            client_roles={name: _roles(access) for name, access in clients.items()},
        )


class TokenValidator:
    """Checks Keycloak's RS256 access tokens. A token that passed is remembered until it expires (at most
    `cache_seconds`): checking the signature costs more than the rest of a typical request, and a shopper sends
    the same token with every request for minutes."""

    def __init__(
        self,
        keys: JwksCache,
        *,
        issuer: str,
        audience: str,
        leeway: int = 30,
        cache_seconds: float = 60.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._cache_seconds = cache_seconds
        self._cache_size = cache_size
        self._clock = clock
        self._verified: dict[str, tuple[Principal, float]] = {}

    async def validate(self, token: str) -> Principal:
        now = self._clock()
        cached = self._verified.get(token)
        if cached is not None:
            principal, until = cached
            if now < until:
                return principal
            del self._verified[token]
        claims = await self._verify(token)
        principal = Principal.from_claims(claims)
        if len(self._verified) >= self._cache_size:
            self._verified.clear()  # simpler than LRU; a full cache only costs one signature check per token
        # Until `exp` itself, not exp + leeway: a cached answer is never more lenient than a fresh check.
        self._verified[token] = (principal, min(float(claims["exp"]), now + self._cache_seconds))
        return principal

    async def _verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"tokens must be signed with {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("token header has no key id")
        key = await self._keys.get_key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken("token issued by an untrusted issuer") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("token not intended for this API") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid token") from exc
        return claims
