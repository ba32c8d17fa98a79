"""The local mail server: what is sent over SMTP shows in its API and its web inbox serves the UI."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from typing import Any

import httpx

from bookstore.components import Context
from tests.waiting import wait_for


def _api(ctx: Context) -> str:
    return f"http://127.0.0.1:{ctx.port('MAILPIT_PORT')}/api/v1"


class TestMailServer:
    def test_a_message_sent_over_smtp_appears_in_the_api_with_its_text_and_html(self, ctx: Context) -> None:
        marker = uuid.uuid4().hex
        msg = EmailMessage()
        msg["From"] = "shop@myecom.net"
        msg["To"] = f"reader-{marker}@example.org"
        msg["Subject"] = f"hello {marker}"
        msg.set_content(f"plain {marker}")
        msg.add_alternative(f"<p>html {marker}</p>", subtype="html")
        with smtplib.SMTP("127.0.0.1", ctx.port("MAILPIT_SMTP_PORT"), timeout=10) as smtp:
            smtp.send_message(msg)

        def found() -> dict[str, Any]:
            page = httpx.get(f"{_api(ctx)}/search", params={"query": f"subject:{marker}"}, timeout=5).json()
            return page["messages"][0] if page["messages_count"] == 1 else {}

        summary = wait_for(found, 10, "the message in Mailpit's API")
        assert summary["To"][0]["Address"] == f"reader-{marker}@example.org"
        full = httpx.get(f"{_api(ctx)}/message/{summary['ID']}", timeout=5).json()
        assert f"plain {marker}" in full["Text"]
        assert f"<p>html {marker}</p>" in full["HTML"]

    def test_the_web_inbox_serves_its_ui_assets(self, ctx: Context) -> None:
        # A plain `go install` build answers 404 here: the UI must be built from sources and embedded.
        base = f"http://127.0.0.1:{ctx.port('MAILPIT_PORT')}"
        page = httpx.get(f"{base}/", timeout=5)
        assert page.status_code == 200
        script = httpx.get(f"{base}/dist/app.js", timeout=5)
        assert script.status_code == 200
        assert len(script.content) > 100_000
        assert "javascript" in script.headers["content-type"]
