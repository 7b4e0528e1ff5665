"""The stack's certificates are renewed before they break it: the decision at the margin, a server
certificate issued again from the same CA, a CA made anew with every certificate it signed, and what
`stack up` says. Real certificates in tmp_path; the clock is passed in, nothing sleeps.

The refusal a client gives when it is shown an expired certificate anyway is in
tests/integration/test_expired_certificates.py.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509

from ioc.endpoints import write_state
from ioc.settings import Settings, StackSettings
from ioc.stack.certs import CA_DAYS, RENEW_BEFORE, SERVER_DAYS, ServerCert, renewal_due, server_cert
from ioc.stack.manager import LocalStack

T0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def read(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def assert_signed_by_its_ca(cert: ServerCert) -> None:
    read(cert.certificate).verify_directly_issued_by(read(cert.ca))  # raises when not


def test_a_certificate_is_due_within_the_margin_before_its_end_and_before_its_start(tmp_path: Path) -> None:
    cert = read(server_cert(tmp_path, "kafka", now=T0).certificate)
    end = cert.not_valid_after_utc
    assert end == T0 + dt.timedelta(days=SERVER_DAYS)
    assert not renewal_due(cert, T0)
    assert not renewal_due(cert, end - RENEW_BEFORE - dt.timedelta(seconds=1))
    assert renewal_due(cert, end - RENEW_BEFORE)
    assert renewal_due(cert, end + dt.timedelta(days=1))  # expired
    assert renewal_due(cert, T0 - dt.timedelta(days=1))  # not valid yet: the clock was set back


def test_a_server_certificate_due_is_issued_again_from_the_same_ca_and_said(tmp_path: Path) -> None:
    made = server_cert(tmp_path, "kafka", now=T0)
    first, ca = made.certificate.read_bytes(), made.ca.read_bytes()
    said: list[str] = []

    assert server_cert(tmp_path, "kafka", now=T0 + dt.timedelta(days=700), progress=said.append) == made
    assert made.certificate.read_bytes() == first and said == []  # not due: kept, nothing said

    later = T0 + dt.timedelta(days=SERVER_DAYS - 10)
    renewed = server_cert(tmp_path, "kafka", now=later, progress=said.append)
    assert said == ["TLS: the certificate of kafka expires on 2032-04-05: issued a new one"]
    assert renewed == made and renewed.certificate.read_bytes() != first
    assert renewed.ca.read_bytes() == ca  # clients keep trusting the CA file they have
    assert read(renewed.certificate).not_valid_after_utc == later + dt.timedelta(days=SERVER_DAYS)
    assert_signed_by_its_ca(renewed)
    assert renewed.key.stat().st_mode & 0o077 == 0
    # The keystore the JVM reads is the new key and chain, not the old one.
    assert renewed.key_and_chain.read_bytes().endswith(renewed.certificate.read_bytes())


def test_an_expiring_ca_is_made_anew_and_every_certificate_it_signed_is_issued_again(tmp_path: Path) -> None:
    old_ca = server_cert(tmp_path, "kafka", now=T0).ca.read_bytes()
    server_cert(tmp_path, "mosquitto", now=T0)
    said: list[str] = []
    later = T0 + dt.timedelta(days=CA_DAYS - 10)

    kafka = server_cert(tmp_path, "kafka", now=later, progress=said.append)
    mosquitto = server_cert(tmp_path, "mosquitto", now=later, progress=said.append)

    assert said == [
        f"TLS: the CA in {tmp_path} expires on 2039-12-30: made a new one; every certificate it signed "
        "is issued again",
        "TLS: the certificate of kafka expired on 2032-04-05: issued a new one",
        "TLS: the certificate of mosquitto expired on 2032-04-05: issued a new one",
    ]
    assert kafka.ca.read_bytes() != old_ca
    assert_signed_by_its_ca(kafka)
    assert_signed_by_its_ca(mosquitto)
    assert not any("PRIVATE KEY" in line for line in said)


def test_a_certificate_of_a_replaced_ca_is_issued_again_and_never_outlives_its_ca(tmp_path: Path) -> None:
    made = server_cert(tmp_path, "kafka", now=T0)
    made.ca.unlink()  # a CA deleted (or replaced) by hand: the certificate's chain is broken
    said: list[str] = []

    renewed = server_cert(tmp_path, "kafka", now=T0, progress=said.append)
    assert said == ["TLS: the certificate of kafka was signed by the former CA: issued a new one"]
    assert_signed_by_its_ca(renewed)

    # Issued a year before the CA ends: it ends with the CA, so both are renewed together.
    near_ca_end = T0 + dt.timedelta(days=CA_DAYS - 365)
    (tmp_path / "kafka.pem").unlink()
    capped = read(server_cert(tmp_path, "kafka", now=near_ca_end).certificate)
    assert capped.not_valid_after_utc == read(renewed.ca).not_valid_after_utc


def test_stack_up_says_what_it_renewed_and_that_running_services_need_a_restart(tmp_path: Path) -> None:
    expired_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=SERVER_DAYS + 1)
    server_cert(tmp_path / "secrets" / "tls", "kafka", now=expired_at)
    write_state(tmp_path, {"kafka": {"port": 9101, "pid": os.getpid(), "brokers": 1, "secure": True}})
    said: list[str] = []
    stack = LocalStack(Settings(stack=StackSettings(dir=tmp_path)), said.append)

    stack._renew_certificates()

    assert len(said) == 2
    assert said[0].startswith("TLS: the certificate of kafka expired on ")
    assert said[1] == (
        "TLS: kafka still use the former certificate until restarted: `ioc stack down`, then `ioc stack up`"
    )
    assert not renewal_due(read(stack.secrets.server_cert("kafka").certificate), dt.datetime.now(dt.UTC))
    said.clear()
    stack._renew_certificates()
    assert said == []  # renewed once, then kept
