"""`python -m ecom.openapi`: export the OpenAPI document to contracts/openapi/ecom.json."""

import json
import sys
from pathlib import Path
from typing import Any

from ecom.config import REPO_ROOT, Settings
from ecom.main import create_app

EXPORTED = REPO_ROOT / "contracts" / "openapi" / "ecom.json"


def document() -> dict[str, Any]:
    # Building the app connects to nothing; the lifespan (which does) never runs here.
    return create_app(Settings(database_url="postgresql://unused@127.0.0.1/unused")).openapi()


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else EXPORTED
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()
