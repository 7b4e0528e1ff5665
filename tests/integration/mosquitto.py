"""A real Mosquitto (Debian's package) as production runs it: one TLS listener, no anonymous client,
the password and ACL files that `ioc ingest mqtt-accounts render` writes, and a certificate from the
stack's own CA (ioc.stack.certs)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from ingest.mqtt_accounts import Accounts, render
from ingest.mqtt_bridge import Route
from ioc.stack.certs import server_cert
from ioc.stack.ports import free_port, is_listening

MOSQUITTO = "/usr/sbin/mosquitto"


@dataclass(frozen=True)
class SecuredBroker:
    port: int
    ca: Path  # the CA clients trust
    passwords: Path  # one file per user, as render made them

    def password(self, username: str) -> str:
        return (self.passwords / username).read_text().strip()

    def client(self, client_id: str, username: str, password: str) -> mqtt.Client:
        """An MQTT 5 client over TLS, not yet connected."""
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        client.tls_set(ca_certs=str(self.ca))
        client.username_pw_set(username, password)
        return client


@contextmanager
def secured_mosquitto(
    folder: Path, accounts: Accounts, routes: tuple[Route, ...], certificate_issued: dt.datetime | None = None
) -> Iterator[SecuredBroker]:
    """Mosquitto on a free port; its certificate issued now, or at `certificate_issued` (long ago:
    expired; ahead: not valid yet)."""
    rendered = render(accounts, routes, folder / "passwords", folder / "accounts")
    cert = server_cert(folder / "tls", "mosquitto", now=certificate_issued)
    port = free_port()
    config = folder / "mosquitto.conf"
    # Started as root, Mosquitto would drop to its own user, who cannot read our 0600 files.
    user = "user root\n" if os.geteuid() == 0 else ""
    config.write_text(
        f"{user}per_listener_settings false\nallow_anonymous false\npersistence false\n"
        f"password_file {rendered.password_file}\nacl_file {rendered.acl_file}\n"
        f"listener {port} 127.0.0.1\ncertfile {cert.certificate}\nkeyfile {cert.key}\n"
    )
    log_path = folder / "mosquitto.log"
    with log_path.open("wb") as log:
        broker = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not is_listening(port):
            assert broker.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        yield SecuredBroker(port, cert.ca, folder / "passwords")
    finally:
        broker.terminate()
        broker.wait(10)
