"""The emails say what was ordered: order id, every line (title, quantity, price) and the total, in text and HTML."""

import email
import email.policy
import json
import smtplib
import uuid
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest

from notifier.emails import CANCELLED, CREATED, render
from notifier.schemas import OrderEvent

REPO_ROOT = Path(__file__).resolve().parents[4]
EXAMPLE = json.loads((REPO_ROOT / "contracts/events/order.created.schema.json").read_text())["examples"][0]


def event(**changes: object) -> OrderEvent:
    return OrderEvent.model_validate(
        {
            "event_id": str(uuid.uuid4()),
            "order_id": str(uuid.uuid4()),
            "email": "reader@example.org",
            "items": [
                {"book_id": str(uuid.uuid4()), "title": "Dune", "quantity": 2, "unit_price": "12.99"},
                {"book_id": str(uuid.uuid4()), "title": "<b>Emma</b> & co", "quantity": 1, "unit_price": "5.00"},
            ],
            "total": "30.98",
            "currency": "EUR",
            "created_at": "2026-11-28T04:00:00Z",
        }
        | changes
    )


def on_the_wire(kind: str, order: OrderEvent, sender: str = "Shop <shop@myecom.net>") -> EmailMessage:
    """The message as smtplib sends it, read back the way a mail client reads it."""
    message = render(kind, order, sender=sender, shop_url="https://myecom.net:30000")
    return cast(EmailMessage, email.message_from_bytes(message.as_bytes(), policy=email.policy.default))


def parts(kind: str, order: OrderEvent) -> tuple[str, str, str]:
    message = on_the_wire(kind, order)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(message["Subject"]), text.get_content(), html.get_content()


class TestRender:
    def test_confirmation_names_the_order_each_line_and_the_total_in_text_and_html(self) -> None:
        order = event()
        subject, text, html = parts(CREATED, order)
        assert subject == f"Your order {order.order_id} is confirmed"
        for body in (text, html):
            assert str(order.order_id) in body
            assert "30.98 EUR" in body
            assert "12.99 EUR" in body and "5.00 EUR" in body
        assert "- Dune x 2 at 12.99 EUR" in text
        assert "<td>Dune</td><td>2</td><td>12.99 EUR</td>" in html

    def test_titles_are_escaped_in_html_and_verbatim_in_text(self) -> None:
        _, text, html = parts(CREATED, event())
        assert "<b>Emma</b> & co x 1" in text
        assert "&lt;b&gt;Emma&lt;/b&gt; &amp; co" in html
        assert "<b>Emma</b>" not in html

    def test_cancellation_says_cancelled(self) -> None:
        order = event(cancelled_at="2026-11-28T04:05:00Z")
        subject, text, _ = parts(CANCELLED, order)
        assert subject == f"Your order {order.order_id} is cancelled"
        assert "cancelled" in text

    def test_the_message_goes_to_the_orders_address_and_names_its_event(self) -> None:
        order = event()
        message = on_the_wire(CREATED, order, sender="s@myecom.net")
        assert message["To"] == "reader@example.org"
        assert message["From"] == "s@myecom.net"
        assert message["X-Bookstore-Event-Id"] == str(order.event_id)
        assert message["X-Bookstore-Order-Id"] == str(order.order_id)

    def test_a_resent_event_has_the_same_message_id_and_another_event_another(self) -> None:
        order = event()
        first, again = on_the_wire(CREATED, order), on_the_wire(CREATED, order)
        other = on_the_wire(CREATED, event())
        assert first["Message-ID"] == again["Message-ID"] == f"<{order.event_id}@myecom.net>"
        assert other["Message-ID"] != first["Message-ID"]

    def test_non_ascii_titles_and_sender_names_survive_the_trip(self) -> None:
        order = event(
            items=[{"book_id": str(uuid.uuid4()), "title": "Cien años — Ø", "quantity": 1, "unit_price": "3.00"}]
        )
        message = on_the_wire(CREATED, order, sender="Librería Ñ <shop@myecom.net>")
        assert message["From"].addresses[0].display_name == "Librería Ñ"
        assert message["From"].addresses[0].addr_spec == "shop@myecom.net"
        text, html = message.get_body(("plain",)), message.get_body(("html",))
        assert text is not None and html is not None
        assert "- Cien años — Ø x 1 at 3.00 EUR" in text.get_content()
        assert "<td>Cien años — Ø</td>" in html.get_content()

    def test_an_order_without_an_address_cannot_be_rendered(self) -> None:
        with pytest.raises(ValueError):
            render(CREATED, event(email=None), sender="s@myecom.net", shop_url="https://x")

    def test_an_event_from_before_titles_and_emails_parses_with_neither(self) -> None:
        # Events published before ecom added them (the topic keeps them) must not look malformed.
        old = OrderEvent.model_validate(EXAMPLE)
        assert old.email is None
        assert old.items[0].title is None
        assert old.total == Decimal(EXAMPLE["total"])

    def test_a_line_without_a_title_is_named_by_its_book(self) -> None:
        order = event(items=[{"book_id": EXAMPLE["items"][0]["book_id"], "quantity": 1, "unit_price": "1.00"}])
        _, text, _ = parts(CREATED, order)
        assert f"- book {EXAMPLE['items'][0]['book_id']} x 1 at 1.00 EUR" in text


class TestOnTheWire:
    """What smtplib's `send_message` hands to the relay (the SMTP session itself is replaced by a recorder)."""

    @staticmethod
    def sent(order: OrderEvent, *, smtputf8: bool) -> dict[str, Any]:
        recorded: dict[str, Any] = {}
        smtp = smtplib.SMTP()  # no host: not connected
        smtp.ehlo_resp = b"relay"
        smtp.esmtp_features = {"smtputf8": ""} if smtputf8 else {}

        def sendmail(from_addr: str, to_addrs: list[str], msg: bytes, mail_options: Any = (), *_: Any) -> dict:
            recorded.update(from_addr=from_addr, to_addrs=to_addrs, msg=msg, mail_options=tuple(mail_options))
            return {}

        smtp.sendmail = sendmail  # type: ignore[method-assign]
        smtp.send_message(render(CREATED, order, sender="Shop <shop@myecom.net>", shop_url="https://x"))
        return recorded

    def test_an_ascii_address_is_sent_plainly(self) -> None:
        sent = self.sent(event(), smtputf8=False)
        assert sent["to_addrs"] == ["reader@example.org"] and sent["mail_options"] == ()
        assert b"\nTo: reader@example.org\n" in sent["msg"].replace(b"\r\n", b"\n")

    def test_a_non_ascii_address_goes_out_as_utf8_with_smtputf8(self) -> None:
        sent = self.sent(event(email="josé@exämple.org"), smtputf8=True)
        assert sent["to_addrs"] == ["josé@exämple.org"]
        assert "SMTPUTF8" in sent["mail_options"]
        assert "\nTo: josé@exämple.org\n".encode() in sent["msg"].replace(b"\r\n", b"\n")
        received = email.message_from_bytes(sent["msg"], policy=email.policy.default)
        text = cast(EmailMessage, received).get_body(("plain",))
        assert text is not None and "- Dune x 2 at 12.99 EUR" in text.get_content()
