"""Sending over SMTP (any relay: plain, STARTTLS or implicit TLS, optional login); blocking smtplib in a thread."""

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

from notifier.config import Settings


def _send(settings: Settings, message: EmailMessage) -> None:
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_tls == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


async def send(settings: Settings, message: EmailMessage) -> None:
    """Deliver `message` to the relay; raises (OSError, smtplib.SMTPException) when it cannot."""
    await asyncio.to_thread(_send, settings, message)
