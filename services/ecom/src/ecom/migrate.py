"""`ecom-migrate`: bring the database schema to the latest revision (also run at startup)."""

from ecom.config import SERVICE_ROOT, get_settings
from servicekit.migrations import Migrations

migrations = Migrations(SERVICE_ROOT, get_settings)
upgrade, downgrade, main = migrations.upgrade, migrations.downgrade, migrations.main

if __name__ == "__main__":
    main()
