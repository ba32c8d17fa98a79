"""`bookstore`: the local platform's command line (the Makefile's targets call it)."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time

import typer
from rich.console import Console

from bookstore import analytics, keeper, platform, provision
from bookstore.components import BY_NAME

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
cdc_app = typer.Typer(no_args_is_help=True, help="Change data capture into analytics-db.")
app.add_typer(cdc_app, name="cdc")
console = Console()


def _fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(1)


@app.command("provision")
def provision_cmd() -> None:
    """Install system packages (as root), JVM artifacts into the cache, and build Keycloak."""
    started = time.monotonic()
    try:
        ctx = platform.build_context()
        platform.provision_all(ctx, console)
    except provision.PrerequisiteError as exc:
        _fail(str(exc))
    console.print(f"[green]✓[/] provisioned in {time.monotonic() - started:.1f}s")


@app.command()
def up(provision_first: bool = typer.Option(True, "--provision/--no-provision")) -> None:
    """Provision, then start every component and wait until each is ready. Harmless when already up."""
    try:
        ctx = platform.build_context()
        if provision_first:
            platform.provision_all(ctx, console)
        elapsed = platform.up(ctx, console)
    except (provision.PrerequisiteError, platform.PlatformError) as exc:
        _fail(str(exc))
    platform.print_urls(ctx, console)
    console.print(f"[green]✓[/] all components ready in {elapsed:.1f}s")


@app.command()
def status() -> None:
    """Each component's state, readiness, port, pid and uptime; exits 1 if anything is not ready."""
    ctx = platform.build_context(write_secrets=False)
    if not platform.status(ctx, console):
        raise typer.Exit(1)


@cdc_app.command("status")
def cdc_status() -> None:
    """Connectors and tasks, replication slots and retained WAL, mirror freshness; exits 1 if any is bad."""
    ctx = platform.build_context(write_secrets=False)
    if not analytics.print_health(ctx, console):
        raise typer.Exit(1)


@app.command()
def down() -> None:
    """Stop every component; data is kept."""
    platform.down(platform.build_context(write_secrets=False), console)


@app.command()
def clean() -> None:
    """Stop everything and delete var/ (data, logs, certificates, secrets)."""
    platform.clean(platform.build_context(write_secrets=False), console)


@app.command()
def logs(
    component: str = typer.Argument(..., help="component name, e.g. kafka"),
    follow: bool = typer.Option(False, "--follow", "-f"),
    lines: int = typer.Option(200, "--lines", "-n"),
) -> None:
    """Show a component's log (var/log/<component>.log)."""
    ctx = platform.build_context(write_secrets=False)
    if component not in BY_NAME and component != "supervisord":
        _fail(f"unknown component {component!r}; one of: {', '.join(BY_NAME)}")
    path = ctx.paths.log / f"{component}.log"
    if not path.exists():
        _fail(f"no log yet at {path}")
    args = ["tail", "-n", str(lines), *(["-F"] if follow else []), str(path)]
    sys.exit(subprocess.call(args))


@app.command("test-env", hidden=True)
def test_env() -> None:
    """Shell exports pointing the services' integration tests at disposable databases of the platform."""
    ctx = platform.build_context(write_secrets=False)
    redis = f"redis://:{ctx.env['REDIS_PASSWORD']}@127.0.0.1:{ctx.port('REDIS_PORT')}"
    for service in ("ECOM", "INVENTORY"):
        url = ctx.env[f"{service}_DATABASE_URL"]
        print(f"export {service}_TEST_DATABASE_URL={shlex.quote(url + '_test')}")
    print(f"export INVENTORY_TEST_REDIS_URL={shlex.quote(redis + '/14')}")
    print(f"export ECOM_TEST_REDIS_URL={shlex.quote(redis + '/13')}")


@app.command("_keep-analytics", hidden=True)
def keep_analytics() -> None:
    """The analytics-keeper component: restarts failed CDC connectors, resubmits the Flink job after a crash."""
    keeper.run(platform.build_context(write_secrets=False))


@app.command("_exec", hidden=True)
def exec_(component: str) -> None:
    """Supervisor's entry point: run a component in the foreground with its environment."""
    platform.exec_component(component)


if __name__ == "__main__":
    app()
