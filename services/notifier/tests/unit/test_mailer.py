"""The kept SMTP connection: reused between mails, closed when idle, replaced once when the relay closed it, dropped
after any error. smtplib's connection is faked here; tests/platform/test_notifier.py sends through the real Mailpit
(and stops it under a kept connection)."""

import smtplib
from email.message import Message
from typing import cast

import pytest

from notifier.config import Settings
from notifier.mailer import Mailer


class FakeConnection:
    def __init__(self, number: int) -> None:
        self.number = number
        self.sent: list[Message] = []
        self.fail_with: Exception | None = None
        self.quit_called = self.closed = False

    def send_message(self, message: Message) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)

    def quit(self) -> None:
        self.quit_called = True

    def close(self) -> None:
        self.closed = True


class Relay:
    """Hands out fake connections, or refuses like a relay that is down."""

    def __init__(self) -> None:
        self.connections: list[FakeConnection] = []
        self.down = False

    def open(self, settings: Settings) -> smtplib.SMTP:
        if self.down:
            raise ConnectionRefusedError("relay down")
        self.connections.append(FakeConnection(len(self.connections)))
        return cast(smtplib.SMTP, self.connections[-1])

    def sent_on(self) -> list[int]:
        return [c.number for c in self.connections for _ in c.sent]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def mail(subject: str = "hello") -> Message:
    message = Message()
    message["Subject"] = subject
    message.set_payload("text")
    return message


@pytest.fixture
def relay() -> Relay:
    return Relay()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mailer(relay: Relay, clock: Clock) -> Mailer:
    return Mailer(Settings(smtp_idle_seconds=30), opener=relay.open, clock=clock)


class TestMailer:
    async def test_mails_share_one_connection(self, mailer: Mailer, relay: Relay, clock: Clock) -> None:
        for _ in range(3):
            await mailer.send(mail())
            clock.now += 10
        assert relay.sent_on() == [0, 0, 0]
        assert not relay.connections[0].closed

    async def test_a_connection_idle_too_long_is_quit_and_a_new_one_opened(
        self, mailer: Mailer, relay: Relay, clock: Clock
    ) -> None:
        await mailer.send(mail())
        clock.now += 31
        await mailer.send(mail())
        assert relay.sent_on() == [0, 1]
        assert relay.connections[0].quit_called

    async def test_a_kept_connection_the_relay_closed_is_replaced_once(self, mailer: Mailer, relay: Relay) -> None:
        await mailer.send(mail("first"))
        relay.connections[0].fail_with = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        await mailer.send(mail("second"))
        assert relay.sent_on() == [0, 1]
        assert relay.connections[1].sent[0]["Subject"] == "second"
        assert relay.connections[0].closed

    async def test_a_421_on_a_kept_connection_is_a_closing_relay_too(self, mailer: Mailer, relay: Relay) -> None:
        await mailer.send(mail())
        relay.connections[0].fail_with = smtplib.SMTPSenderRefused(421, b"closing channel", "orders@myecom.net")
        await mailer.send(mail())
        assert relay.sent_on() == [0, 1]

    async def test_a_relay_that_is_down_raises_and_is_tried_afresh_next_time(
        self, mailer: Mailer, relay: Relay
    ) -> None:
        await mailer.send(mail())
        relay.connections[0].fail_with = smtplib.SMTPServerDisconnected("gone")
        relay.down = True
        with pytest.raises(ConnectionRefusedError):
            await mailer.send(mail())
        relay.down = False
        await mailer.send(mail("later"))
        assert relay.sent_on() == [0, 1]
        assert relay.connections[1].sent[0]["Subject"] == "later"

    async def test_a_new_connection_that_fails_is_not_tried_twice(self, relay: Relay, clock: Clock) -> None:
        def failing(settings: Settings) -> smtplib.SMTP:
            connection = cast(FakeConnection, relay.open(settings))
            connection.fail_with = smtplib.SMTPServerDisconnected("closed at once")
            return cast(smtplib.SMTP, connection)

        mailer = Mailer(Settings(), opener=failing, clock=clock)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            await mailer.send(mail())
        assert len(relay.connections) == 1  # the consumer's back-off retries, not the mailer
        assert relay.connections[0].closed

    async def test_a_refused_mail_drops_the_connection_and_is_not_resent(self, mailer: Mailer, relay: Relay) -> None:
        await mailer.send(mail())
        relay.connections[0].fail_with = smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            await mailer.send(mail())
        await mailer.send(mail())
        assert relay.sent_on() == [0, 1]
        assert relay.connections[0].closed

    async def test_close_quits_the_kept_connection(self, mailer: Mailer, relay: Relay) -> None:
        await mailer.close()  # nothing open yet: nothing to do
        await mailer.send(mail())
        await mailer.close()
        assert relay.connections[0].quit_called
        await mailer.send(mail())
        assert relay.sent_on() == [0, 1]
