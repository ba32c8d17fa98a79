"""Superset's supervised process (run by the Superset virtualenv's python; the arguments are gunicorn's).

When Superset, its configuration or its admin secret changed since the last start (BOOKSTORE_SUPERSET_SETUP
differs from the stamp file), it first migrates the metadata database, syncs Superset's built-in roles and
permissions, and creates or updates the local admin through Superset's security manager; then it becomes
gunicorn. Doing this here, not in `bookstore up`'s preparation, lets the rest of the platform start meanwhile.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def log(message: str) -> None:
    print(f"superset start: {message}", flush=True)


def superset(*args: str) -> None:
    started = time.monotonic()
    log(f"superset {' '.join(args)} ...")
    subprocess.run([str(Path(sys.executable).parent / "superset"), *args], check=True, stdin=subprocess.DEVNULL)
    log(f"superset {' '.join(args)} done in {time.monotonic() - started:.0f}s")


def ensure_admin() -> None:
    from superset.app import create_app  # noqa: PLC0415 - Superset is only importable in its own virtualenv

    app = create_app()
    with app.app_context():
        from superset import security_manager as sm  # noqa: PLC0415
        from superset.extensions import db  # noqa: PLC0415

        name, password = os.environ["SUPERSET_ADMIN_USER"], os.environ["SUPERSET_ADMIN_PASSWORD"]
        admin = sm.find_role("Admin")
        user = sm.find_user(username=name)
        if user is None:
            if not sm.add_user(name, "Superset", "Admin", f"{name}@superset.local", admin, password=password):
                raise SystemExit(f"could not create the Superset admin {name}")
            log(f"created the local admin {name}")
            return
        sm.reset_password(user.id, password)
        if admin not in user.roles:
            user.roles.append(admin)
        user.active = True
        db.session.commit()
        log(f"updated the local admin {name}")


def main() -> None:
    stamp = Path(os.environ["BOOKSTORE_SUPERSET_STAMP"])
    wanted = os.environ["BOOKSTORE_SUPERSET_SETUP"]
    if not stamp.exists() or stamp.read_text() != wanted:
        superset("db", "upgrade")
        superset("init")  # built-in roles (Admin, Alpha, Gamma, sql_lab) and their permissions
        ensure_admin()
        stamp.write_text(wanted)
    else:
        log("metadata database, roles and admin up to date")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    os.execv(gunicorn, [gunicorn, *sys.argv[1:]])  # noqa: S606 - our own arguments, no shell


if __name__ == "__main__":
    main()
