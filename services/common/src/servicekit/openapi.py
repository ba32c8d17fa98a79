"""Exporting a service's OpenAPI document to contracts/openapi/<service>.json."""

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI


class OpenApiExport:
    def __init__(self, build_app: Callable[[], FastAPI], target: Path) -> None:
        # Building an app connects to nothing; only its lifespan (never run here) would.
        self._build_app = build_app
        self.target = target

    def document(self) -> dict[str, Any]:
        return self._build_app().openapi()

    def render(self) -> str:
        return json.dumps(self.document(), indent=2, ensure_ascii=False) + "\n"

    def main(self) -> None:
        """Write the document to the target, or to the path given as the first argument."""
        target = Path(sys.argv[1]) if len(sys.argv) > 1 else self.target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.render(), encoding="utf-8")
