"""Sending over SMTP (any relay: plain, STARTTLS or implicit TLS, optional login); blocking smtplib in a thread.

One connection is kept open between mails: a connection per mail (TCP, greeting, EHLO, maybe STARTTLS and login,
QUIT) cost the notifier and Mailpit more CPU than the mail itself. It is opened on first use, closed after
`smtp_idle_seconds` without a mail (relays drop idle clients after a few minutes), and dropped after any error so
the next mail starts on a fresh one. A relay that closed a kept connection meanwhile (a restart, its own idle
timeout) is noticed when the next mail is sent: that mail is sent once more on a new connection. If the relay had
taken the mail just before the connection broke, this sends it twice, with the same Message-ID (as a redelivered
event could before)."""

import asyncio
import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from email.message import Message

from notifier.config import Settings

logger = logging.getLogger(__name__)

# A relay closing the connection answers 421 ("service not available, closing transmission channel").
_CLOSING = 421


def connect(settings: Settings) -> smtplib.SMTP:
    """A new connection to the relay, after STARTTLS and login when configured."""
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_tls == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _closed_by_relay(exc: BaseException) -> bool:
    return isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == _CLOSING
    )


class Mailer:
    """Mails go out one at a time over one kept connection (see the module's docstring)."""

    def __init__(
        self,
        settings: Settings,
        *,
        opener: Callable[[Settings], smtplib.SMTP] = connect,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._opener = opener
        self._clock = clock
        self._lock = threading.Lock()
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0

    async def send(self, message: Message) -> None:
        """Deliver `message` to the relay; raises (OSError, smtplib.SMTPException) when it cannot."""
        await asyncio.to_thread(self._send, message)

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    def _send(self, message: Message) -> None:
        with self._lock:
            if self._smtp is not None and self._clock() - self._last_used > self.settings.smtp_idle_seconds:
                self._drop(quit_first=True)
            while True:  # twice at most: after a failure the connection is dropped, so it is no longer kept
                kept = self._smtp is not None
                try:
                    self._connection().send_message(message)
                except BaseException as exc:
                    self._drop(quit_first=False)
                    if not (kept and _closed_by_relay(exc)):
                        raise
                    logger.info("the mail relay closed the kept connection; sending again", extra={"error": repr(exc)})
                    continue
                self._last_used = self._clock()
                return

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._opener(self.settings)
        return self._smtp

    def _close(self) -> None:
        with self._lock:
            self._drop(quit_first=True)

    def _drop(self, *, quit_first: bool) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        if quit_first:
            try:
                smtp.quit()
                return
            except (OSError, smtplib.SMTPException):
                pass  # the relay is gone already: closing the socket is all that is left
        smtp.close()
