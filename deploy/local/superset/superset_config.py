# Superset's configuration for the local platform (SUPERSET_CONFIG_PATH points here). Every value that differs
# per machine or is secret comes from the environment `bookstore up` starts Superset with
# (bookstore/components/superset.py); nothing secret is written here.
# ruff: noqa: N802 - Flask-AppBuilder's method names
from __future__ import annotations

import logging
import os
from typing import Any

from flask_appbuilder.security.manager import AUTH_OAUTH
from superset.security import SupersetSecurityManager

log = logging.getLogger("bookstore.superset")

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["BOOKSTORE_SUPERSET_METADATA_URL"]
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}

# Redis (its own database number) for Superset's caches and the rate limiter.
_REDIS = os.environ["BOOKSTORE_SUPERSET_REDIS_URL"]
_DATA_SECONDS = int(os.environ.get("BOOKSTORE_SUPERSET_DATA_CACHE_SECONDS", "5"))
CACHE_CONFIG = {
    "CACHE_TYPE": "RedisCache",
    "CACHE_DEFAULT_TIMEOUT": 300,
    "CACHE_KEY_PREFIX": "superset_",
    "CACHE_REDIS_URL": _REDIS,
}
# Chart data: a new order reaches analytics-db in about a second (CDC), so a few seconds of caching keeps it
# on the dashboards within 10 s of its checkout while a dashboard's burst of identical queries hits the cache.
DATA_CACHE_CONFIG = {**CACHE_CONFIG, "CACHE_KEY_PREFIX": "superset_data_", "CACHE_DEFAULT_TIMEOUT": _DATA_SECONDS}
_DAY = 86400
FILTER_STATE_CACHE_CONFIG = {**CACHE_CONFIG, "CACHE_KEY_PREFIX": "superset_filter_", "CACHE_DEFAULT_TIMEOUT": _DAY}
EXPLORE_FORM_DATA_CACHE_CONFIG = {**CACHE_CONFIG, "CACHE_KEY_PREFIX": "superset_form_", "CACHE_DEFAULT_TIMEOUT": _DAY}
RATELIMIT_STORAGE_URI = _REDIS

# Only analytics-db is registered (by the assets import); nobody adds databases or uploads files.
PREVENT_UNSAFE_DB_CONNECTIONS = True
FEATURE_FLAGS = {"ALERT_REPORTS": False, "THUMBNAILS": False}
SUPERSET_WEBSERVER_TIMEOUT = 60
SQLLAB_CTAS_NO_LIMIT = False

# Sign-in: Keycloak (OpenID Connect, authorization code + PKCE, confidential client `superset`). The browser is
# sent to Keycloak's public address; Superset itself talks to Keycloak over loopback (token, keys), and checks
# the ID token's signature, issuer and audience (authlib). Realm roles decide the Superset role.
AUTH_TYPE = AUTH_OAUTH
# The REST API's password login stays open to local accounts (only the automation admin has a password; people
# signed in through Keycloak have none).
AUTH_API_LOGIN_ALLOW_MULTIPLE_PROVIDERS = True
_ISSUER = os.environ["BOOKSTORE_OIDC_ISSUER"]  # https://idp.keycloak.net:30000/realms/bookstore
_BACKCHANNEL = os.environ["BOOKSTORE_OIDC_BACKCHANNEL"]  # http://127.0.0.1:<port>/realms/bookstore
OAUTH_PROVIDERS = [
    {
        "name": "keycloak",
        "icon": "fa-key",
        "token_key": "access_token",
        "remote_app": {
            "client_id": "superset",
            "client_secret": os.environ["SUPERSET_OIDC_CLIENT_SECRET"],
            "authorize_url": f"{_ISSUER}/protocol/openid-connect/auth",
            "access_token_url": f"{_BACKCHANNEL}/protocol/openid-connect/token",
            "api_base_url": f"{_BACKCHANNEL}/protocol/",
            "jwks_uri": f"{_BACKCHANNEL}/protocol/openid-connect/certs",
            "issuer": _ISSUER,
            "id_token_signing_alg_values_supported": ["RS256"],
            "client_kwargs": {"scope": "openid email profile", "code_challenge_method": "S256"},
        },
    }
]
ANALYST_ROLE = "Analyst"  # read-only: created and kept by `bookstore up` (bookstore/reports.py)
AUTH_USER_REGISTRATION = True  # a first sign-in creates the Superset user, with the roles its realm roles map to
AUTH_ROLES_MAPPING = {"analyst": [ANALYST_ROLE], "admin": ["Admin"]}
AUTH_ROLES_SYNC_AT_LOGIN = True  # a realm role taken away in Keycloak is taken away here at the next sign-in
PERMANENT_SESSION_LIFETIME = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"


class BookstoreSecurityManager(SupersetSecurityManager):
    """Reads the user from the ID token authlib already verified (its `realm_roles` claim comes from the
    client's role mapper) and refuses anyone whose realm roles map to no Superset role."""

    def get_oauth_user_info(self, provider: str, resp: dict[str, Any]) -> dict[str, Any]:
        if provider != "keycloak":
            return super().get_oauth_user_info(provider, resp)
        claims = resp.get("userinfo") or {}
        return {
            "username": claims.get("preferred_username", ""),
            "first_name": claims.get("given_name", ""),
            "last_name": claims.get("family_name", ""),
            "email": claims.get("email", ""),
            "role_keys": list(claims.get("realm_roles", [])),
        }

    def auth_user_oauth(self, userinfo: dict[str, Any]) -> Any:
        if not userinfo.get("username") or not self._oauth_calculate_user_roles(userinfo):
            log.warning(
                "sign-in refused for %r: realm roles %s grant no existing Superset role (mapping: %s)",
                userinfo.get("username"),
                userinfo.get("role_keys"),
                AUTH_ROLES_MAPPING,
            )
            return None
        return super().auth_user_oauth(userinfo)

    def _oauth_calculate_user_roles(self, userinfo: dict[str, Any]) -> list[Any]:
        # Only the mapped roles: no AUTH_USER_REGISTRATION_ROLE given to everyone who signs in.
        return list(set(self.get_roles_from_keys(userinfo.get("role_keys", []))))


CUSTOM_SECURITY_MANAGER = BookstoreSecurityManager
