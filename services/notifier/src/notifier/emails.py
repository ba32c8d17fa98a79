"""The confirmation and cancellation emails: plain text and HTML with the order id, each line (title, quantity,
price) and the total. Titles are escaped in the HTML part (a title is shop data, not markup).

Built with the email package's compat32 classes (`MIMEMultipart`, `MIMEText`): `EmailMessage` parses and refolds
every header through its header registry, which took 1 ms of the notifier's CPU per mail against 0.1 ms here. The
headers set are plain ASCII (ids, a fixed subject) or encoded explicitly (the sender's display name). A non-ASCII
mailbox is the exception: only the newer policies write it as it is (smtplib then sends with SMTPUTF8), so such a
mail is built under `email.policy.SMTPUTF8`."""

from decimal import Decimal
from email import policy
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from html import escape

from notifier.schemas import OrderEvent

CREATED = "order.created"
CANCELLED = "order.cancelled"

_WHAT = {
    CREATED: ("Your order {order} is confirmed", "Thank you for your order. We have reserved these books for you:"),
    CANCELLED: ("Your order {order} is cancelled", "Your order has been cancelled. It contained:"),
}


def _money(value: Decimal, currency: str) -> str:
    return f"{value:.2f} {currency}"


def render(kind: str, event: OrderEvent, *, sender: str, shop_url: str) -> Message:
    """The email for an event of topic `kind` (order.created or order.cancelled) to the order's address."""
    if event.email is None:
        raise ValueError("the order has no email address")
    subject, intro = _WHAT[kind]
    order = str(event.order_id)
    lines = [
        (item.title or f"book {item.book_id}", item.quantity, _money(item.unit_price, event.currency))
        for item in event.items
    ]
    total = _money(event.total, event.currency)

    text = [intro, "", f"Order {order}", ""]
    text += [f"- {title} x {quantity} at {price}" for title, quantity, price in lines]
    text += ["", f"Total: {total}", "", f"Your orders: {shop_url}/orders", ""]

    rows = "".join(
        f"<tr><td>{escape(title)}</td><td>{quantity}</td><td>{escape(price)}</td></tr>"
        for title, quantity, price in lines
    )
    html = (
        f"<html><body><p>{escape(intro)}</p><p>Order <strong>{order}</strong></p>"
        "<table><thead><tr><th>Title</th><th>Quantity</th><th>Price</th></tr></thead>"
        f"<tbody>{rows}</tbody></table><p>Total: <strong>{escape(total)}</strong></p>"
        f'<p><a href="{escape(shop_url)}/orders">Your orders</a></p></body></html>'
    )

    rules = policy.compat32 if event.email.isascii() else policy.SMTPUTF8
    message = MIMEMultipart("alternative", policy=rules)
    message["From"] = formataddr(parseaddr(sender), charset="utf-8")  # a non-ASCII display name RFC 2047-encoded
    message["To"] = event.email
    message["Subject"] = subject.format(order=order)
    # Stable per event: a relay or inbox that deduplicates by Message-ID sees a resend as the same mail.
    message["Message-ID"] = f"<{event.event_id}@myecom.net>"
    message["X-Bookstore-Event-Id"] = str(event.event_id)
    message["X-Bookstore-Order-Id"] = order
    message.attach(MIMEText("\n".join(text), "plain", "utf-8", policy=rules))
    message.attach(MIMEText(html, "html", "utf-8", policy=rules))
    return message
