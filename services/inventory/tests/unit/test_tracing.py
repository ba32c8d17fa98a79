"""servicekit.tracing: a server span per request (probes left out) and the trace context on outgoing calls."""

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from servicekit.tracing import instrument, tracer_provider


@pytest.fixture
def traced() -> Iterator[tuple[FastAPI, TracerProvider, InMemorySpanExporter]]:
    app = FastAPI()

    @app.get("/inven/stock/{book_id}")
    async def stock(book_id: str) -> dict[str, str]:
        return {"book_id": book_id}

    @app.get("/inven/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    exporter = InMemorySpanExporter()
    provider = tracer_provider("inventory", exporter)
    instrument(app, provider, excluded_urls="/inven/health/.*,/inven/metrics")
    yield app, provider, exporter
    FastAPIInstrumentor.uninstrument_app(app)
    HTTPXClientInstrumentor().uninstrument()


async def test_each_request_is_a_server_span_named_by_its_route_and_probes_are_left_out(
    traced: tuple[FastAPI, TracerProvider, InMemorySpanExporter],
) -> None:
    app, provider, exporter = traced
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://inventory") as client:
        assert (await client.get("/inven/stock/b1")).status_code == 200
        assert (await client.get("/inven/health/live")).status_code == 200
    provider.force_flush()
    spans = exporter.get_finished_spans()
    servers = [s for s in spans if s.kind.name == "SERVER"]
    assert [s.name for s in servers] == ["GET /inven/stock/{book_id}"]
    assert servers[0].resource.attributes["service.name"] == "inventory"
    assert not [s for s in spans if "health" in s.name]


async def test_a_request_carrying_trace_context_continues_the_callers_trace(
    traced: tuple[FastAPI, TracerProvider, InMemorySpanExporter],
) -> None:
    app, provider, exporter = traced
    trace_id, caller_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://inventory") as client:
        await client.get("/inven/stock/b2", headers={"traceparent": f"00-{trace_id}-{caller_span}-01"})
    provider.force_flush()
    server = next(s for s in exporter.get_finished_spans() if s.kind.name == "SERVER")
    assert f"{server.context.trace_id:032x}" == trace_id
    assert server.parent is not None and f"{server.parent.span_id:016x}" == caller_span


def test_outgoing_httpx_calls_are_instrumented(traced: tuple[FastAPI, TracerProvider, InMemorySpanExporter]) -> None:
    # (Client spans come from httpx's network transports, which a unit test does not open.)
    assert HTTPXClientInstrumentor().is_instrumented_by_opentelemetry
