"""`python -m inventory` / `inventory-service`: migrate, seed, then serve."""

from inventory import migrate, seed
from inventory.config import get_settings
from servicekit.runner import run_service


def main() -> None:
    run_service("inventory.main:create_app", get_settings, migrate=migrate.upgrade, seed=seed.seed)


if __name__ == "__main__":
    main()
