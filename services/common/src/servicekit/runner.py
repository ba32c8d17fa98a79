import uvicorn

from servicekit.settings import ServiceSettings


def serve(factory: str, settings: ServiceSettings) -> None:
    """Run the app factory `module:function` under uvicorn the way every service runs."""
    uvicorn.run(
        factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,  # RequestContextMiddleware logs every request with its trace id
        server_header=False,
        workers=settings.workers,
        proxy_headers=False,  # client addresses are derived in servicekit.ratelimit.client_address
    )
