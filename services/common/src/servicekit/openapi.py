"""Exporting a service's OpenAPI document to contracts/openapi/<service>.json."""

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic

from fastapi import FastAPI

from servicekit.settings import DEVELOPMENT, REPO_ROOT, S


class OpenApiExport(Generic[S]):
    """`python -m <service>.openapi`; `document()` and `render()` for the test that keeps the export current."""

    def __init__(self, service: str, create_app: Callable[[S], FastAPI], settings_class: type[S]) -> None:
        self._create_app = create_app
        self._settings_class = settings_class
        self.target = REPO_ROOT / "contracts" / "openapi" / f"{service}.json"

    def document(self) -> dict[str, Any]:
        # Building an app connects to nothing (only its lifespan, never run here, would), so it needs no secrets.
        settings = self._settings_class(database_url="postgresql://unused@127.0.0.1/unused", environment=DEVELOPMENT)
        return self._create_app(settings).openapi()

    def render(self) -> str:
        return json.dumps(self.document(), indent=2, ensure_ascii=False) + "\n"

    def main(self) -> None:
        """Write the document to the target, or to the path given as the first argument."""
        target = Path(sys.argv[1]) if len(sys.argv) > 1 else self.target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.render(), encoding="utf-8")
