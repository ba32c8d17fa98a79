"""OpenTelemetry traces, when a collector is configured: a server span per request and a client span per outgoing
HTTP call (ecom → inventory, the W3C trace context travelling with it).

Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (the kind deployment points it at its collector; the local platform
has none). Everything else comes from the standard OTEL_* variables: the service name (OTEL_SERVICE_NAME, else
the service's own), resource attributes, propagators, the exporter's protocol and headers."""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

logger = logging.getLogger(__name__)


def tracer_provider(service: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """Spans of this process, batched to the OTLP/HTTP exporter (or `exporter`, which tests pass)."""
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter()))
    return provider


def instrument(app: FastAPI, provider: TracerProvider, *, excluded_urls: str) -> None:
    """Server spans for `app`'s requests (probes and scrapes left out) and client spans for every httpx client."""
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=excluded_urls)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)


def configure_tracing(app: FastAPI, service: str, api_prefix: str, *, endpoint: str) -> None:
    """Trace this app (servicekit.app calls this when OTEL_EXPORTER_OTLP_ENDPOINT, `endpoint`, is set)."""
    provider = tracer_provider(service)
    trace.set_tracer_provider(provider)
    instrument(app, provider, excluded_urls=f"{api_prefix}/health/.*,{api_prefix}/metrics")
    logger.info("tracing on", extra={"endpoint": endpoint, "service": service})
