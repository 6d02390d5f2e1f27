"""The `callscope` command. Thin: it parses options, calls services and prints.

Output for people goes through Rich; `--json` gives one JSON object on stdout for scripts.
Errors print one clear line on stderr and exit non-zero without a traceback.
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from callscope.config import Settings

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="callscope: call tracking and call analytics."
)
db_app = typer.Typer(no_args_is_help=True, help="Database migrations.")
account_app = typer.Typer(no_args_is_help=True, help="Accounts (tenants).")
token_app = typer.Typer(no_args_is_help=True, help="API tokens of an account.")
app.add_typer(db_app, name="db")
app.add_typer(account_app, name="account")
app.add_typer(token_app, name="token")
import_app = typer.Typer(no_args_is_help=True, help="Import calls from files.")
app.add_typer(import_app, name="import")
jobs_app = typer.Typer(invoke_without_command=True, help="Analysis jobs: list, retry.")
app.add_typer(jobs_app, name="jobs")
reports_app = typer.Typer(no_args_is_help=True, help="The reports' precomputed tables.")
app.add_typer(reports_app, name="reports")

out = Console(soft_wrap=True)  # transcripts and tables are not cut to 80 columns
err = Console(stderr=True, soft_wrap=True)  # one error, one line: scripts grep it


class State:
    overrides: dict[str, Any] = {}


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load_settings(**extra: Any) -> Settings:
    values = {**State.overrides, **{k: v for k, v in extra.items() if v is not None}}
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid settings: {problems}", 2)


@contextmanager
def session_scope(settings: Settings) -> Iterator[Session]:
    """A session that commits when the block succeeds; refuses an unmigrated database."""
    from callscope.db.engine import make_engine, make_sessionmaker
    from callscope.db.migrate import current_revision, head_revision

    engine = make_engine(settings.effective_database_url)
    try:
        try:
            current = current_revision(engine)
        except Exception as exc:
            fail(f"cannot open the database: {exc.__class__.__name__}: {exc}")
        if current != head_revision():
            fail("the database is not migrated to the latest version: run `callscope db upgrade`")
        with make_sessionmaker(engine)() as session:
            yield session
            session.commit()
    finally:
        engine.dispose()


@app.callback()
def root(
    data_dir: Annotated[
        Path | None, typer.Option(help="data directory (CALLSCOPE_DATA_DIR)", show_default=False)
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="database URL (CALLSCOPE_DATABASE_URL)", show_default=False)
    ] = None,
) -> None:
    """callscope: call tracking and call analytics."""
    State.overrides = {}
    if data_dir is not None:
        State.overrides["data_dir"] = data_dir
    if database_url is not None:
        State.overrides["database_url"] = database_url


@app.command()
def config(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the effective settings, secrets masked."""
    values = load_settings().masked()
    if as_json:
        print(json.dumps(values))
        return
    table = Table("setting", "value", title="callscope settings")
    for key, value in values.items():
        table.add_row(f"CALLSCOPE_{key.upper()}", str(value))
    out.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    migrate: Annotated[bool, typer.Option(help="upgrade the database first")] = True,
) -> None:
    """Run the web server (API, tracking endpoints, webhooks)."""
    settings = load_settings()
    _serve(settings, host, port, migrate)


def _serve(settings: Settings, host: str, port: int, migrate: bool) -> None:
    import uvicorn

    from callscope import logs
    from callscope.db import migrate as migrations
    from callscope.web import create_app

    logs.configure(settings.log_level_number)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        _alembic(lambda: migrations.upgrade(settings.effective_database_url))
    app = create_app(settings)
    # What the imports and the app built will live as long as the process: keep it out of
    # the collector's full passes, which otherwise stop every request for up to 190 ms on
    # this 2-core machine (the p99 of even GET /livez under load; bench/RESULTS.md).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Upgrade the database schema (to the latest by default)."""
    from callscope.db import migrate

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _alembic(lambda: migrate.upgrade(settings.effective_database_url, revision))
    out.print(f"database at [bold]{revision}[/]")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="target, e.g. -1 or base")]) -> None:
    """Downgrade the database schema to REVISION."""
    from callscope.db import migrate

    settings = load_settings()
    _alembic(lambda: migrate.downgrade(settings.effective_database_url, revision))
    out.print(f"database at [bold]{revision}[/]")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the latest one."""
    from callscope.db.engine import make_engine
    from callscope.db.migrate import current_revision, head_revision

    engine = make_engine(load_settings().effective_database_url)
    try:
        current = _alembic(lambda: current_revision(engine))
    finally:
        engine.dispose()
    head = head_revision()
    state = "up to date" if current == head else "needs `callscope db upgrade`"
    out.print(f"current: {current or '(empty)'}  head: {head}  ({state})")


def _alembic(action: Any) -> Any:
    from alembic.util.exc import CommandError

    try:
        return action()
    except CommandError as exc:
        fail(str(exc))
    except Exception as exc:  # a database that cannot be reached, a broken file
        fail(f"{exc.__class__.__name__}: {exc}")


def _resolve_account(session: Session, account: int | None) -> int:
    from callscope.accounts.repository import AccountRepository

    accounts = AccountRepository(session).list()
    if account is not None:
        if not any(a.id == account for a in accounts):
            fail(f"no account {account}")
        return account
    if len(accounts) == 1:
        return accounts[0].id
    fail("several accounts exist: pass --account ID" if accounts else "no accounts yet")


@account_app.command("create")
def account_create(
    name: Annotated[str, typer.Argument(help="business name")],
    email: Annotated[str, typer.Option(help="email of the admin user")],
    timezone: Annotated[str, typer.Option(help="IANA time zone for reports")] = "UTC",
    currency: Annotated[str, typer.Option(help="ISO 4217 currency")] = "USD",
    password: Annotated[
        str | None,
        typer.Option(help="admin password (or CALLSCOPE_ADMIN_PASSWORD); generated if not given"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an account with its admin user; prints one API token, once."""
    from callscope.accounts.schemas import AccountCreate
    from callscope.accounts.service import create_account
    from callscope.api.problems import Problem

    password = password or os.environ.get("CALLSCOPE_ADMIN_PASSWORD") or None
    try:
        data = AccountCreate(
            name=name, email=email, timezone=timezone, currency=currency, password=password
        )
    except ValidationError as exc:
        fail("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()), 2)
    with session_scope(load_settings()) as session:
        try:
            created = create_account(session, data)
        except Problem as exc:
            fail(exc.detail)
        result = {
            "account_id": created.account.id,
            "email": created.admin.email,
            "password": created.password,
            "api_token": created.token,
        }
    if as_json:
        print(json.dumps(result))
        return
    out.print(f"account [bold]{created.account.name}[/] created, id {created.account.id}")
    out.print(f"admin user: {created.admin.email}  password: {created.password}")
    out.print(f"API token (shown once): [bold green]{created.token}[/]")


@account_app.command("list")
def account_list() -> None:
    """List accounts."""
    from callscope.accounts.repository import AccountRepository

    with session_scope(load_settings()) as session:
        table = Table("id", "name", "timezone", "currency", "created")
        for a in AccountRepository(session).list():
            table.add_row(str(a.id), a.name, a.timezone, a.currency, f"{a.created_at:%Y-%m-%d}")
    out.print(table)


AccountOption = Annotated[
    int | None, typer.Option("--account", help="account id (optional when there is one)")
]


@token_app.command("create")
def token_create(
    account: AccountOption = None,
    name: Annotated[str, typer.Option(help="what the token is for")] = "cli",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an API token; it is printed once and only its hash is stored."""
    from callscope.accounts.service import create_token

    if not 1 <= len(name) <= 100:
        fail("--name must be 1 to 100 characters", 2)
    with session_scope(load_settings()) as session:
        account_id = _resolve_account(session, account)
        new = create_token(session, account_id, name)
        row_id, prefix = new.row.id, new.row.prefix
    if as_json:
        print(json.dumps({"id": row_id, "prefix": prefix, "api_token": new.token}))
        return
    out.print(f"token {row_id} ({prefix}...) for account {account_id}, shown once:")
    out.print(f"[bold green]{new.token}[/]")


@token_app.command("list")
def token_list(
    account: AccountOption = None,
    revoked: Annotated[bool, typer.Option("--revoked", help="include revoked tokens")] = False,
) -> None:
    """List an account's tokens (prefixes only; tokens themselves are never stored)."""
    from callscope.accounts.service import list_tokens

    with session_scope(load_settings()) as session:
        account_id = _resolve_account(session, account)
        table = Table("id", "name", "prefix", "created", "last used", "revoked")
        for t in list_tokens(session, account_id, include_revoked=revoked):
            table.add_row(
                str(t.id),
                t.name,
                t.prefix + "...",
                f"{t.created_at:%Y-%m-%d %H:%M}",
                f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
                f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
            )
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="token id or visible prefix (cs_...)")],
    account: AccountOption = None,
) -> None:
    """Revoke a token: requests with it get 401 from now on."""
    from callscope.accounts.service import revoke_token
    from callscope.api.problems import Problem

    with session_scope(load_settings()) as session:
        account_id = _resolve_account(session, account)
        try:
            row = revoke_token(session, account_id, token.removesuffix("..."))
        except Problem:
            fail(f"no single token {token!r} in account {account_id}")
        out.print(f"token {row.id} ({row.prefix}...) revoked")


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option(help="where the demo's data lives")] = Path("var/demo"),
    seed_only: Annotated[bool, typer.Option("--seed-only", help="seed and exit")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    pool_size: Annotated[int, typer.Option(min=1, max=1000, help="DNI pool numbers")] = 8,
    hold_seconds: Annotated[
        int, typer.Option(min=1, max=86_400, help="pool hold time (short for simulations)")
    ] = 1800,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """Seed a demo plumbing business and serve it (or only seed, with --seed-only)."""
    from callscope import demo_model
    from callscope.db import migrate
    from callscope.demo import categorise, seed_demo
    from callscope.intel.service import Intelligence

    overrides: dict[str, Any] = {"data_dir": data_dir}
    if "database_url" not in State.overrides and not os.environ.get("CALLSCOPE_DATABASE_URL"):
        overrides["database_url"] = f"sqlite:///{(data_dir / 'callscope.db').resolve()}"
    settings = load_settings(**overrides)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # the local model only: the demo's calls are not sent to a configured LLM
    intelligence = Intelligence(settings.model_copy(update={"llm_url": None}))
    models = intelligence.classifier.cache or settings.data_dir / "models"
    demo_model.borrow(models)
    training = demo_model.train_in_background(models)
    _alembic(lambda: migrate.upgrade(settings.effective_database_url))
    with err.status("seeding the demo: calls and transcripts"), session_scope(settings) as session:
        seed = seed_demo(session, pool_size=pool_size, hold_seconds=hold_seconds)
    with err.status("categorising the calls (the first run trains the call model)"):
        if training is not None:
            training.join()
        intelligence.prepare(None)  # outside the transaction below, which holds SQLite's lock
        demo_model.keep(models)
        with session_scope(settings) as session:
            seed = categorise(session, intelligence, seed)
    info = seed.as_dict() | {
        "database_url": settings.masked()["database_url"],
        "data_dir": str(settings.data_dir.resolve()),
        "url": f"http://{host}:{port}",
    }
    if as_json:
        print(json.dumps(info), flush=True)
    else:
        out.print(
            f"[bold]Rapid Rooter Plumbing[/] demo, account {seed.account_id}: "
            f"{seed.calls} calls, {seed.insights} categorised"
        )
        out.print(f"dashboard: http://{host}:{port}/")
        out.print(f"log in:    {seed.email} / [bold green]{seed.password}[/]   (new each seed)")
        out.print(f"API docs:  http://{host}:{port}/docs   (Authorize with the token below)")
        out.print(f"API token: [bold green]{seed.api_token}[/]")
        out.print(f"site key:  {seed.site_key}   pool: {', '.join(seed.pool_numbers)}")
    if not seed_only:
        sys.stdout.flush()
        _serve(settings, host, port, migrate=False)


@reports_app.command("refresh")
def reports_refresh(
    account: Annotated[
        int | None, typer.Option("--account", help="account id (default: every account)")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="rebuild everything from the calls")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per account")] = False,
) -> None:
    """Bring the daily rollups and attribution credits up to date (reports do it too, when
    they are read; run this after an upgrade or a large import so no report waits for it)."""
    from dataclasses import asdict

    from sqlalchemy import select

    from callscope.accounts.models import Account
    from callscope.reports.rollups import refresh

    with session_scope(load_settings()) as session:
        ids = list(session.scalars(select(Account.id).order_by(Account.id)))
    if account is not None:
        if account not in ids:
            fail(f"no account {account}")
        ids = [account]
    for account_id in ids:
        with session_scope(load_settings()) as session:
            done = refresh(session, account_id, full=full)
        if as_json:
            print(json.dumps({"account_id": account_id, **asdict(done)}))
            continue
        what = "rebuilt" if done.full_days or done.full_credits else "updated"
        out.print(
            f"account {account_id}: {what}; {done.days} local days counted, "
            f"{done.credited} qualified calls credited, in {done.seconds:.1f} s"
        )


@import_app.command("asterisk-cdr")
def import_asterisk_cdr(
    file: Annotated[Path, typer.Argument(help="Master.csv of Asterisk's cdr_csv")],
    account: AccountOption = None,
    recordings: Annotated[
        Path | None, typer.Option(help="directory of recordings named with the uniqueid")
    ] = None,
    tz: Annotated[
        str | None, typer.Option(help="time zone of the CDR times (default: the account's)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Import calls from an Asterisk/FreePBX CDR file; re-running it adds only new rows."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from callscope.accounts.models import Account
    from callscope.calls.cdr_import import import_cdr, index_recordings
    from callscope.db.engine import make_engine, make_sessionmaker
    from callscope.reports.rollups import refresh as refresh_reports

    if not file.is_file():
        fail(f"{file}: no such file")
    if recordings is not None and not recordings.is_dir():
        fail(f"{recordings}: not a directory")
    settings = load_settings()
    with session_scope(settings) as session:
        account_id = _resolve_account(session, account)
        zone_name = tz or session.get_one(Account, account_id).timezone
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"unknown time zone {zone_name!r}")
    linked = index_recordings(recordings) if recordings else None
    with file.open("rb") as counting:
        total = sum(chunk.count(b"\n") for chunk in iter(lambda: counting.read(1 << 20), b""))
    engine = make_engine(settings.effective_database_url)
    try:
        with (
            file.open("rb") as stream,
            Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                disable=as_json or not err.is_terminal,
            ) as bar,
        ):
            task = bar.add_task("importing", total=total)
            report = import_cdr(
                make_sessionmaker(engine),
                account_id,
                stream,
                zone,
                linked,
                progress=lambda n: bar.advance(task, n),
            )
    finally:
        engine.dispose()
    # Bring the reports' rollups up to date now, so that no report has to (for a large
    # import, a report would otherwise read the calls until `reports refresh` is run).
    began = time.perf_counter()
    with session_scope(settings) as session:
        refresh_reports(session, account_id)
    refreshed = round(time.perf_counter() - began, 1)
    if as_json:
        print(json.dumps({**report.as_dict(), "reports_refreshed_s": refreshed}))
        return
    out.print(
        f"{report.rows} rows: {report.new} new calls, {report.seen} already imported, "
        f"{len(report.bad)} bad rows, {report.recordings} with a recording; "
        f"reports brought up to date in {refreshed:.1f} s"
    )
    for bad in report.bad[:50]:
        err.print(f"line {bad.line}: {bad.reason}", highlight=False)
    if len(report.bad) > 50:
        err.print(f"... and {len(report.bad) - 50} more bad rows", highlight=False)
    if report.incomplete_last_line:
        err.print("the last line has no line end yet: it is read on the next run")


@app.command()
def worker(
    queue: Annotated[
        list[str] | None, typer.Option(help="queue to work (repeatable; default: all)")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="threads per queue")] = None,
) -> None:
    """Run analysis jobs in the foreground (CALLSCOPE_JOBS_BACKEND=redis for many machines)."""
    import signal
    import threading

    from callscope.analysis.worker import JobWorker
    from callscope.db.engine import make_engine, make_sessionmaker
    from callscope.jobs.queue import QUEUES
    from callscope.logs import configure

    names = tuple(queue or QUEUES)
    unknown = [q for q in names if q not in QUEUES]
    if unknown:
        fail(f"unknown queue {unknown[0]!r} (known: {', '.join(QUEUES)})")
    settings = load_settings()
    with session_scope(settings):
        pass  # refuses an unmigrated database before any work starts
    engine = make_engine(settings.effective_database_url)
    try:
        job_worker = JobWorker(make_sessionmaker(engine), settings, names, workers)
    except ValueError as exc:
        fail(str(exc))
    configure(settings.log_level_number)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    job_worker.start()
    err.print(f"worker {job_worker.worker} on {', '.join(names)} ({settings.jobs_backend})")
    try:
        stop.wait()
    finally:
        job_worker.stop()
        engine.dispose()


@jobs_app.callback()
def jobs_list(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="queued, running, done or failed")] = None,
    account: AccountOption = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List jobs, newest first, with their state and the reason of failures."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy import func, select

    from callscope.jobs.models import Job, JobState

    if state is not None and state not in JobState.__members__:
        fail(f"--state: expected one of {', '.join(JobState.__members__)}, got {state!r}")
    settings = load_settings()
    with session_scope(settings) as session:
        account_id = _resolve_account(session, account)
        stmt = select(Job).where(Job.account_id == account_id)
        if state:
            stmt = stmt.where(Job.state == state)
        rows = list(session.scalars(stmt.order_by(Job.id.desc()).limit(limit)))
        counts = dict(
            session.execute(
                select(Job.state, func.count())
                .where(Job.account_id == account_id)
                .group_by(Job.state)
            ).all()
        )
    if as_json:
        items = [
            {
                "id": j.id, "kind": j.kind, "queue": j.queue, "call_id": j.call_id,
                "state": j.state, "attempts": j.attempts, "error": j.error,
                "run_after": j.run_after.isoformat(), "worker": j.worker,
            }
            for j in rows
        ]  # fmt: skip
        print(json.dumps({"counts": counts, "jobs": items}))
        return
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in JobState.__members__)
    out.print(summary)
    table = Table("id", "kind", "call", "state", "attempts", "error / worker")
    for j in rows:
        table.add_row(
            str(j.id), j.kind, str(j.call_id or "-"), j.state, str(j.attempts),
            j.error or j.worker or "",
        )  # fmt: skip
    out.print(table)


@jobs_app.command("retry")
def jobs_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="job ids (default: all failed)")] = None,
    account: AccountOption = None,
) -> None:
    """Run failed (or done) jobs again now."""
    from callscope.jobs.models import Job, JobState
    from callscope.jobs.service import requeue

    settings = load_settings()
    with session_scope(settings) as session:
        account_id = _resolve_account(session, account)
        where = Job.account_id == account_id
        where = where & (Job.id.in_(ids) if ids else Job.state == JobState.failed.value)
        count = requeue(session, where)
    out.print(f"{count} jobs queued again")


@app.command()
def reanalyze(
    call: Annotated[list[int] | None, typer.Option(help="a call id (repeatable)")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="calls started from this time (UTC)")
    ] = None,
    until: Annotated[datetime | None, typer.Option(help="calls started before this time")] = None,
    account: AccountOption = None,
    wait: Annotated[bool, typer.Option(help="show progress until the jobs finish")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Analyse calls again (after a model upgrade): by call ids or a time range."""
    from datetime import UTC

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from sqlalchemy import func, select

    from callscope.calls.models import Call, RecordingStatus
    from callscope.jobs.models import Job, JobState
    from callscope.jobs.service import requeue, schedule_calls

    if not call and since is None and until is None:
        fail("say which calls: --call ID, or --since/--until")
    settings = load_settings()
    with session_scope(settings) as session:
        account_id = _resolve_account(session, account)
        chosen = select(Call.id).where(
            Call.account_id == account_id,
            Call.recording_status == RecordingStatus.stored.value,
        )
        if call:
            chosen = chosen.where(Call.id.in_(call))
        if since is not None:
            chosen = chosen.where(Call.started_at >= since.replace(tzinfo=since.tzinfo or UTC))
        if until is not None:
            chosen = chosen.where(Call.started_at < until.replace(tzinfo=until.tzinfo or UTC))
        schedule_calls(session, chosen)
        which = Job.call_id.in_(chosen) & (Job.kind == "analyze")
        requeue(session, which & (Job.state.in_([JobState.done.value, JobState.failed.value])))
        job_ids = list(session.scalars(select(Job.id).where(which)))
    if as_json and not wait:
        print(json.dumps({"jobs": len(job_ids)}))
        return
    if not wait:
        out.print(f"{len(job_ids)} calls queued for analysis")
        return
    from callscope.db.engine import make_engine, make_sessionmaker

    engine = make_engine(settings.effective_database_url)
    maker = make_sessionmaker(engine)
    try:
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err, disable=as_json or not err.is_terminal,
        ) as bar:  # fmt: skip
            task = bar.add_task("analysing", total=len(job_ids))
            while True:
                with maker() as session:
                    counts = dict(
                        session.execute(
                            select(Job.state, func.count())
                            .where(Job.id.in_(job_ids))
                            .group_by(Job.state)
                        ).all()
                    )
                finished = counts.get("done", 0) + counts.get("failed", 0)
                bar.update(task, completed=finished)
                if finished >= len(job_ids):
                    break
                time.sleep(0.5)
    finally:
        engine.dispose()
    if as_json:
        print(
            json.dumps(
                {
                    "jobs": len(job_ids),
                    "done": counts.get("done", 0),
                    "failed": counts.get("failed", 0),
                }
            )
        )
    else:
        out.print(f"{counts.get('done', 0)} analysed, {counts.get('failed', 0)} failed")


LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _languages(value: str) -> list[str]:
    langs = [x.strip().lower() for x in value.split(",") if x.strip()]
    bad = [x for x in langs if not LANGUAGE.match(x)]
    if not langs or bad:
        fail(f"--languages: expected ISO 639-1 codes like en,de,ru, got {value!r}")
    return langs


@app.command()
def analyze(
    file: Annotated[Path, typer.Argument(help="a call recording (WAV, MP3, OGG, FLAC...)")],
    language: Annotated[
        str | None, typer.Option(help="the language spoken (ISO code); default: detected")
    ] = None,
    languages: Annotated[
        str, typer.Option(help="languages to choose from when detecting")
    ] = "en,de,ru",
    phones: Annotated[bool, typer.Option(help="also redact phone numbers")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Transcribe and redact one recording, with no server or database."""
    from callscope.speech.audio import AudioError
    from callscope.speech.engine import SpeechConfigError
    from callscope.speech.pipeline import analyze as run_analysis

    if language is not None and not LANGUAGE.match(language):
        fail(f"--language: expected an ISO 639-1 code like en, got {language!r}")
    settings = load_settings()
    try:
        transcript, _ = run_analysis(
            file, settings, language=language, languages=_languages(languages), phones=phones
        )
    except (AudioError, SpeechConfigError) as exc:
        fail(str(exc))
    from callscope.intel.service import Intelligence
    from callscope.intel.text import Document

    document = Document.from_turns(
        [{"speaker": t.speaker, "text": t.text} for t in transcript.turns], transcript.language
    )
    (result,) = Intelligence(settings).analyze([document], None)
    analysis = result.fields()
    if as_json:
        print(
            json.dumps(
                {"file": str(file), "transcript": transcript.to_dict(), "analysis": analysis}
            )
        )
        return
    out.print(
        f"[bold]{file.name}[/]: {transcript.duration:.1f} s, {transcript.channels} channel(s), "
        f"language {transcript.language or '-'} ({transcript.language_source}), "
        f"model {transcript.model}, processed in {transcript.processing_seconds:.1f} s"
        + (
            f" ({1 / transcript.real_time_factor:.1f}x real time)"
            if transcript.real_time_factor
            else ""
        ),
        highlight=False,
    )
    if not transcript.turns:
        out.print("(no speech)")
    for turn in transcript.turns:
        out.print(
            f"[dim]{_clock(turn.start)}-{_clock(turn.end)}[/] [bold]{turn.speaker}[/]: {turn.text}",
            highlight=False,
        )
    if transcript.redactions:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(transcript.redactions.items()))
        out.print(f"redacted: {counts}", highlight=False)
    out.print(
        f"category [bold]{analysis['category']}[/] ({analysis['confidence']:.2f}"
        + (", needs review" if analysis["needs_review"] else "")
        + f"), caller {analysis['sentiment']}, lead score {analysis['lead_score']}"
        + (f", topics: {', '.join(analysis['topics'])}" if analysis["topics"] else ""),
        highlight=False,
    )


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


@app.command()
def redact(
    source: Annotated[
        Path | None, typer.Option("--in", help="file to read (default: stdin)")
    ] = None,
    target: Annotated[
        Path | None, typer.Option("--out", help="file to write (default: stdout)")
    ] = None,
    phones: Annotated[bool, typer.Option(help="also redact phone numbers")] = False,
) -> None:
    """Redact cards, codes, IBANs, account numbers and emails from text or JSON Lines.

    Input whose first line is a JSON object is read as JSON Lines: each line's `text` field
    is redacted and the other fields kept. Nothing is written unless every line is good.
    """
    from callscope import redaction

    if source is not None and not source.is_file():
        fail(f"{source}: no such file")
    try:
        raw = source.read_text(encoding="utf-8") if source else sys.stdin.read()
    except UnicodeDecodeError as exc:
        fail(f"the input is not UTF-8 text ({exc.reason} at byte {exc.start})")
    first = next((line for line in raw.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        lines = []
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                fail(f"line {number}: not JSON ({exc.msg})")
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                fail(f"line {number}: expected an object with a string `text` field")
            record["text"] = redaction.redact(record["text"], phones).text
            lines.append(json.dumps(record, ensure_ascii=False))
        result = "".join(line + "\n" for line in lines)
    else:
        result = redaction.redact(raw, phones).text
    if target is None:
        sys.stdout.write(result)
        return
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(result, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(f"{target}: cannot write ({exc.strerror})")


CLASSIFY_BATCH = 256


@app.command()
def classify(
    source: Annotated[
        Path | None, typer.Option("--in", help="JSON Lines to read (default: stdin)")
    ] = None,
    target: Annotated[
        Path | None, typer.Option("--out", help="JSON Lines to write (default: stdout)")
    ] = None,
    account: Annotated[
        int | None,
        typer.Option(
            help="use this account's custom categories and corrections (needs the database)"
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="processes (default: one per CPU core, at most 8)"),
    ] = None,
) -> None:
    """Categorise transcripts: one JSON object a line in, one verdict a line out, same order.

    A line is {"id", "lang"?, "turns": [{"speaker", "text"}]} or {"id", "lang"?, "text"}.
    A line that cannot be read gets {"id", "line", "error"} and the run goes on.
    """
    import multiprocessing

    from callscope.intel.lines import Batches, run_in_worker
    from callscope.intel.service import Context, Intelligence

    if source is not None and not source.is_file():
        fail(f"{source}: no such file")
    settings = load_settings()
    intelligence = Intelligence(settings)
    context: Context | None = None
    if account is not None:
        with session_scope(settings) as session:
            context = intelligence.context(session, _resolve_account(session, account))
    intelligence.prepare(context)  # the model and the account's head, before the fork
    batches = Batches(intelligence, context)
    count = workers or min(8, os.cpu_count() or 1)
    partial = target.with_name(target.name + ".partial") if target is not None else None
    try:
        reader = source.open(encoding="utf-8") if source else sys.stdin
        writer = partial.open("w", encoding="utf-8") if partial else sys.stdout
    except OSError as exc:
        fail(f"cannot open {exc.filename}: {exc.strerror}")

    undecodable: list[str] = []

    def read() -> Iterator[list[tuple[int, str]]]:
        batch: list[tuple[int, str]] = []
        number = 0
        while True:
            try:
                line = reader.readline()
            except UnicodeDecodeError as exc:  # stop reading; reported below
                undecodable.append(f"line {number + 1}: the input is not UTF-8 ({exc.reason})")
                break
            if not line:
                break
            number += 1
            if line.strip():
                batch.append((number, line))
            if len(batch) >= CLASSIFY_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    errors = lines = 0
    pool = None
    try:
        if count > 1:
            Batches.current = batches
            pool = multiprocessing.get_context("fork").Pool(count)
            results: Iterator[list[tuple[bool, str]]] = pool.imap(run_in_worker, read())
        else:
            results = map(batches.run, read())
        for rows in results:
            for is_error, row in rows:
                errors += is_error
                lines += 1
                writer.write(row + "\n")
        writer.flush()
    except OSError as exc:
        fail(f"cannot write: {exc.strerror}")
    finally:
        if pool is not None:
            pool.terminate()
        if source:
            reader.close()
        if partial:
            writer.close()
    if undecodable:
        if partial is not None:
            partial.unlink(missing_ok=True)
        fail(undecodable[0])
    if partial is not None and target is not None:
        partial.replace(target)
    if errors:
        err.print(f"{errors} line(s) had errors; {lines - errors} classified", highlight=False)


def main() -> None:
    app()
