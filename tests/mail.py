"""The local mail server's REST API, as the tests read it: messages to an address, their text."""

from __future__ import annotations

import re
from typing import Any

import httpx

from bookstore.components import Context
from tests.waiting import wait_for


def api(ctx: Context) -> str:
    return f"http://127.0.0.1:{ctx.port('MAILPIT_PORT')}/api/v1"


def search(ctx: Context, query: str) -> list[dict[str, Any]]:
    """Summaries of the messages matching a Mailpit search (`to:a@b.c`, `subject:"..."`), newest first."""
    page = httpx.get(f"{api(ctx)}/search", params={"query": query}, timeout=5).json()
    return list(page["messages"])


def text_of(ctx: Context, summary: dict[str, Any]) -> str:
    return str(httpx.get(f"{api(ctx)}/message/{summary['ID']}", timeout=5).json()["Text"])


def wait_for_mail(ctx: Context, query: str, subject: str, timeout: float = 60) -> str:
    """The text of the newest message matching `query` whose subject contains `subject`."""

    def found() -> list[dict[str, Any]]:
        return [m for m in search(ctx, query) if subject in m["Subject"]]

    return text_of(ctx, wait_for(found, timeout, f"a mail '{subject}' ({query})")[0])


def link_in(text: str, fragment: str) -> str:
    """The first https link in a mail's text that contains `fragment`."""
    match = re.search(rf"https://\S*{re.escape(fragment)}\S*", text)
    assert match, f"no link with {fragment!r} in:\n{text}"
    return match.group(0)
