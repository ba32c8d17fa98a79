"""Plumbing shared by the bookstore's FastAPI services, so each service holds only its own rules.

Inventory and ecom validate the same Keycloak tokens, render the same error shape, rate limit the same
way and log the same JSON; one copy keeps them from drifting apart."""
