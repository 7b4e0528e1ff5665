"""The console wired from the settings, served in the foreground (`ioc console serve`) or in a
thread of `ioc run`."""

from __future__ import annotations

import logging
import threading
import time

import clickhouse_connect
import uvicorn
from clickhouse_connect.driver.client import Client
from fastapi import FastAPI

from console.accounts import SignIn, accounts_file, console_dir
from console.app import Console, build_app
from console.audit import ConsoleAudit
from console.router_client import RouterClient
from console.sessions import Sessions, session_key
from console.store import AlertStore
from ioc.endpoints import resolve
from ioc.province import load_province
from ioc.settings import Settings
from routing.roster import RosterError, load_roster
from routing.service import console_token
from wall.web.app import wall_app
from warehouse.users import GRAFANA, WRITER, client_auth

log = logging.getLogger(__name__)


def _warehouse(settings: Settings, user: str) -> Client:
    """clickhouse-connect on the warehouse as `user` (on a ClickHouse server, CLICKHOUSE_URL's own
    login), resolved at each connection so a restarted local warehouse on a new port is found. Without
    a session, so that the page handlers and the live queue's threads can share one client (a session
    refuses concurrent queries)."""
    return clickhouse_connect.get_client(
        dsn=resolve(settings, need=("clickhouse",)).clickhouse,
        database=settings.clickhouse.database,
        autogenerate_session_id=False,
        connect_timeout=5,
        send_receive_timeout=30,
        **client_auth(settings, user),
    )


def make_console(settings: Settings) -> Console:
    """The console's parts: accounts, sessions, audit, the warehouse readers and the router."""
    province = load_province(settings.province_file)
    try:
        roster = load_roster(settings.routing.roster, province)
    except RosterError as error:  # the console still serves; hand-over and names need the roster
        log.error("the duty roster could not be read, so officers' names and units are missing: %s", error)
        roster = None
    directory = console_dir(settings)
    ui = settings.console
    return Console(
        province=province,
        roster=roster,
        store=AlertStore(lambda: _warehouse(settings, GRAFANA), lambda: _warehouse(settings, WRITER)),
        sessions=Sessions(
            session_key(ui.session_secret.get_secret_value(), directory / "session_key"),
            ui.session_ttl_min * 60,
        ),
        sign_in=SignIn(accounts_file(settings)),
        audit=ConsoleAudit(directory / "audit.jsonl"),
        router=RouterClient(
            ui.router_url or settings.routing.ack_public_url, console_token(settings), ui.router_timeout_s
        ),
        queue_interval_s=ui.queue_interval_s,
    )


def console_app(settings: Settings) -> FastAPI:
    """The console's application, with the wall's pages served under console.app.WALL_PATH."""
    return build_app(make_console(settings), wall=wall_app(settings, resolve(settings, need=("clickhouse",))))


def url_of(settings: Settings) -> str:
    return f"http://{settings.console.host}:{settings.console.port}/"


def _config(settings: Settings) -> uvicorn.Config:
    # Open live queues never end by themselves: a stop waits this long for them, then closes them.
    return uvicorn.Config(
        console_app(settings),
        host=settings.console.host,
        port=settings.console.port,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )


def serve(settings: Settings) -> None:
    """Serve until interrupted."""
    uvicorn.Server(_config(settings)).run()


class BackgroundConsole:
    """The console in a daemon thread of `ioc run`, stopped with it."""

    def __init__(self, settings: Settings) -> None:
        self.server = uvicorn.Server(_config(settings))
        self.url = url_of(settings)
        self.thread = threading.Thread(target=self.server.run, name="console-http", daemon=True)

    def start(self, timeout_s: float = 30.0) -> BackgroundConsole:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the console did not start on {self.url}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
