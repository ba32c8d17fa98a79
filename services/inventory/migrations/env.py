import os

from inventory.models import Base
from servicekit.migrations import run_env

# Callers (tests, inventory-migrate) may pass a URL explicitly; otherwise INVENTORY_DATABASE_URL.
run_env(Base.metadata, os.environ.get("INVENTORY_DATABASE_URL", ""))
