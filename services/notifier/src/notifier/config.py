"""The notifier's settings (prefix NOTIFIER_): Kafka, Redis (sent-event ids), and the SMTP relay to send through."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

API_PREFIX = "/notifier"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_")

    kafka_bootstrap: str = "127.0.0.1:19092"
    redis_url: str = "redis://127.0.0.1:16379/3"
    # Any SMTP relay: the local mail server by default, a real one in production (TLS and credentials).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=31025, gt=0, lt=65536)
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    # The connection is kept between mails and closed after this long without one (relays drop idle clients).
    smtp_idle_seconds: float = Field(default=30.0, gt=0)
    mail_from: str = "Bookstore <orders@myecom.net>"
    shop_url: str = "https://myecom.net:30000"
    # Bounded retries while SMTP is down (about 2 minutes with these), then the topic's .dlq.
    max_attempts: int = Field(default=10, ge=1, le=50)
    backoff_seconds: float = Field(default=0.5, ge=0)
    max_backoff_seconds: float = Field(default=20.0, ge=0)
    sent_ttl_days: int = Field(default=30, ge=1)  # how long a sent event id is remembered (redeliveries)
    host: str = "127.0.0.1"
    port: int = 18003  # health and metrics
    log_level: str = "INFO"
