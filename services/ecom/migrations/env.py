import os

from ecom.models import Base
from servicekit.migrations import run_env

# Callers (tests, ecom-migrate) may pass a URL explicitly; otherwise ECOM_DATABASE_URL.
run_env(Base.metadata, os.environ.get("ECOM_DATABASE_URL", ""))
