"""`python -m ecom` / `ecom-service`: migrate, seed, then serve."""

from ecom import migrate, seed
from ecom.config import get_settings
from servicekit.runner import run_service


def main() -> None:
    run_service("ecom.main:create_app", get_settings, migrate=migrate.upgrade, seed=seed.seed)


if __name__ == "__main__":
    main()
