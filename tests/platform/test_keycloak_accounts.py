"""The realm lets shoppers sign up (verified email, password policy, reset by mail through the platform's relay), and
`make up` brings an existing realm's settings to the realm file's without touching anything else."""

from __future__ import annotations

from typing import Any

from bookstore.components import BY_NAME, Context
from bookstore.components.keycloak import Keycloak, apply_realm_settings
from tests.keycloak_admin import keycloak_admin


def _keycloak() -> Keycloak:
    keycloak = BY_NAME["keycloak"]
    assert isinstance(keycloak, Keycloak)
    return keycloak


def _realm(ctx: Context) -> dict[str, Any]:
    with keycloak_admin(ctx) as admin:
        realm: dict[str, Any] = admin.get("").json()
        realm["defaultGroupPaths"] = [g["path"] for g in admin.get("/default-groups").json()]
        return realm


class TestAccountSettings:
    def test_registration_with_verified_email_reset_and_a_password_policy_brute_force_still_on(
        self, ctx: Context
    ) -> None:
        realm = _realm(ctx)
        assert (realm["registrationAllowed"], realm["verifyEmail"], realm["resetPasswordAllowed"]) == (True,) * 3
        assert realm["bruteForceProtected"] is True
        assert realm["duplicateEmailsAllowed"] is False
        policy = realm["passwordPolicy"]
        assert {"length(12)", "notUsername", "notEmail", "passwordHistory(3)"} <= set(policy.split(" and "))
        assert realm["defaultGroupPaths"] == ["/customers"]

    def test_the_realm_sends_mail_through_the_platforms_relay(self, ctx: Context) -> None:
        smtp = _realm(ctx)["smtpServer"]
        assert (smtp["host"], smtp["port"]) == ("127.0.0.1", str(ctx.port("MAILPIT_SMTP_PORT")))
        assert smtp["from"] == "orders@myecom.net"

    def test_a_drifted_setting_is_put_back_and_a_second_run_changes_nothing(self, ctx: Context) -> None:
        with keycloak_admin(ctx) as admin:
            assert admin.put("", json={"registrationAllowed": False}).status_code == 204
        try:
            assert apply_realm_settings(ctx, _keycloak()) == ["registrationAllowed"]
        finally:
            apply_realm_settings(ctx, _keycloak())
        assert _realm(ctx)["registrationAllowed"] is True
        assert apply_realm_settings(ctx, _keycloak()) == []
