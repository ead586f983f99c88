"""The ``sidak`` entry point: the library's commands plus the service's (serve, keys, db)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from model.cli import app, user_errors
from service.security import Role

keys_app = typer.Typer(
    help="Manage API keys (stored hashed; a key is shown once).", no_args_is_help=True
)
db_app = typer.Typer(help="The service database (keys, audit trail).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")


def _sessions() -> sessionmaker[Session]:
    from service.db.migrate import upgrade
    from service.db.session import make_engine, make_sessionmaker
    from service.settings import get_settings

    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    return make_sessionmaker(engine)


@app.command()
@user_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default SIDAK_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default SIDAK_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
) -> None:
    """Run the scoring API with uvicorn (migrates the database, loads the model)."""
    import uvicorn

    from service.settings import get_settings

    settings = get_settings()
    uvicorn.run(
        "service.main:app_factory",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=False,
    )


@keys_app.command("create")
@user_errors
def keys_create(
    role: Annotated[Role, typer.Option(help="scorer, supervisor or admin.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")] = "",
) -> None:
    """Create a key and print it once (only its SHA-256 is stored)."""
    from service.security import create_key

    with _sessions()() as session:
        row, token = create_key(session, role, name)
    typer.echo(f"Created key {row.id} ({row.role}, {row.name!r}). Store it now; it is not kept:")
    typer.echo(token)


@keys_app.command("list")
@user_errors
def keys_list() -> None:
    """List keys: id, role, name, prefix, created, revoked (never the secret)."""
    from service.security import list_keys

    with _sessions()() as session:
        rows = list_keys(session)
    if not rows:
        typer.echo("No keys yet: sidak keys create --role admin")
        return
    typer.echo(f"{'id':>4}  {'role':<10}  {'prefix':<12}  {'created':<20}  {'revoked':<20}  name")
    for row in rows:
        revoked = f"{row.revoked_at:%Y-%m-%d %H:%M:%S}" if row.revoked_at else "-"
        typer.echo(
            f"{row.id:>4}  {row.role:<10}  {row.prefix:<12}  "
            f"{row.created_at:%Y-%m-%d %H:%M:%S}  {revoked:<20}  {row.name}"
        )


@keys_app.command("revoke")
@user_errors
def keys_revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id (sidak keys list).")],
) -> None:
    """Revoke a key: refused within SIDAK_KEY_CACHE_SECONDS (default 5 s); stays listed."""
    from service.security import revoke_key

    with _sessions()() as session:
        row = revoke_key(session, key_id)
    if row is None:
        typer.echo(f"No key with id {key_id}.", err=True)
        raise typer.Exit(code=2)
    from service.settings import get_settings

    ttl = get_settings().key_cache_seconds
    typer.echo(
        f"Revoked key {row.id} ({row.role}, {row.name!r}); running services refuse it within "
        f"{ttl:g} s (SIDAK_KEY_CACHE_SECONDS)."
    )


@app.command("audit")
@user_errors
def audit(
    limit: Annotated[int, typer.Option(min=1, help="How many rows (newest first).")] = 50,
    since: Annotated[str | None, typer.Option(help="From this moment (ISO 8601).")] = None,
    route: Annotated[str | None, typer.Option(help="Only this route, e.g. /v1/score.")] = None,
    key_id: Annotated[int | None, typer.Option(help="Only calls made with this key.")] = None,
) -> None:
    """Show the audit trail: who called what, when, how many rows, which model."""
    from datetime import datetime

    from model.errors import SidakError
    from service.audit import read_events

    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError:
        raise SidakError(f"--since {since!r} is not an ISO 8601 date or time.") from None
    with _sessions()() as session:
        rows = read_events(session, limit=limit, since=start, route=route, key_id=key_id)
    if not rows:
        typer.echo("No audited calls match.")
        return
    typer.echo(
        f"{'id':>6}  {'at (UTC)':<19}  {'key':>4}  {'role':<10}  {'status':>6}  "
        f"{'rows':>6}  {'route':<24}  {'outcome':<14}  model"
    )
    for row in rows:
        typer.echo(
            f"{row.id:>6}  {row.at:%Y-%m-%d %H:%M:%S}  {row.key_id or '-':>4}  "
            f"{row.role or '-':<10}  {row.status_code:>6}  {row.n_transactions or '-':>6}  "
            f"{row.method + ' ' + row.route:<24}  {row.outcome:<14}  {row.model_version or '-'}"
        )


@db_app.command("upgrade")
@user_errors
def db_upgrade() -> None:
    """Apply the service database migrations (also done when the service starts)."""
    from service.db.migrate import current, upgrade
    from service.db.session import make_engine
    from service.settings import get_settings

    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    typer.echo(f"Database at revision {current(engine)}: {engine.url.render_as_string()}")


__all__ = ["app"]
