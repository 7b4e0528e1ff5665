"""The local stack's certificate authority: made once per stack folder at `stack up`, so that the
cluster's TLS listeners (Kafka, Mosquitto) work on a fresh machine without any openssl steps.

Every file is PEM, the one format that librdkafka, the JVM (`ssl.keystore.type=PEM`), Mosquitto and
Python's `ssl` all read. Private keys are written 0600 and never leave the stack folder. The
certificates name `localhost` and `127.0.0.1`, since every local service listens on loopback; a
production deployment brings its own CA and points the same settings at it.

Certificates are kept once made, so that clients keep trusting them, but not past their end: a
certificate that has expired, or will within RENEW_BEFORE, is issued again when it is next asked
for (at every `stack up`), and a CA that does so is made anew together with every certificate it
signed. Clients trust the CA file, not a server's certificate, so they accept a renewed one as it is.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ioc.stack.artifacts import Progress

CA_DAYS = 3650
SERVER_DAYS = 825  # the longest validity that browsers and most TLS stacks still accept
# How long before its end a certificate is issued again: a stack brought up a few days before its
# certificate expires would otherwise stop at every TLS handshake while it runs.
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class ServerCert:
    """A server's certificate chain and key, and the CA that clients must trust to accept it."""

    ca: Path
    certificate: Path
    key: Path
    key_and_chain: Path  # key then certificates in one file: the JVM's PEM keystore


def write_private(path: Path, data: bytes) -> None:
    """Write a secret so that only this user can read it, even for the moment before a chmod."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """Whether `ca` signed `cert`: not so once the CA was made anew, and clients would refuse it."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    # PKCS#8 unencrypted: the one private-key PEM the JVM's PEM keystore reads without a password.
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "IOC local stack"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def renewal_due(cert: x509.Certificate, now: dt.datetime) -> bool:
    """Whether `cert` must be issued again at `now`: it has expired, expires within RENEW_BEFORE, or
    is not valid yet (the clock was set back since it was made); TLS clients refuse all three."""
    return not cert.not_valid_before_utc <= now < cert.not_valid_after_utc - RENEW_BEFORE


def _validity(cert: x509.Certificate, now: dt.datetime) -> str:
    """Why a certificate is renewed, in words for `stack up`'s progress (dates only, no key)."""
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now < start:
        return f"is not valid before {start:%Y-%m-%d %H:%M} UTC"
    return f"{'expired' if end <= now else 'expires'} on {end:%Y-%m-%d}"


def quiet(_: str) -> None:
    """Progress for callers that say nothing of renewals (compose-secrets, the tests' brokers)."""


def _ca(
    folder: Path, now: dt.datetime, progress: Progress
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The stack's CA, made on first use and read back afterwards (clients keep trusting it), and made
    anew when it is due for renewal."""
    cert_path, key_path = folder / "ca.pem", folder / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if not renewal_due(cert, now):
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise TypeError(f"{key_path} is not the EC key this module made")
            return key, cert
        progress(
            f"TLS: the CA in {folder} {_validity(cert, now)}: made a new one; every certificate it "
            "signed is issued again"
        )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("IOC local stack CA"))
        .issuer_name(_name("IOC local stack CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    write_private(key_path, _key_pem(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def server_cert(
    folder: Path,
    name: str,
    hosts: tuple[str, ...] = (),
    *,
    now: dt.datetime | None = None,
    progress: Progress = quiet,
) -> ServerCert:
    """A certificate for `name` on loopback (and the DNS names in `hosts`, e.g. compose's service
    names), signed by the CA in `folder`: kept once made, issued again (and said in `progress`) when
    it is due for renewal at `now` or its CA was made anew since."""
    now = now or dt.datetime.now(dt.UTC)
    paths = ServerCert(
        ca=folder / "ca.pem",
        certificate=folder / f"{name}.pem",
        key=folder / f"{name}-key.pem",
        key_and_chain=folder / f"{name}-keystore.pem",
    )
    ca_key, ca_cert = _ca(folder, now, progress)
    if paths.certificate.exists() and paths.key.exists() and paths.key_and_chain.exists():
        current = x509.load_pem_x509_certificate(paths.certificate.read_bytes())
        if renewal_due(current, now):
            progress(f"TLS: the certificate of {name} {_validity(current, now)}: issued a new one")
        elif not _signed_by(current, ca_cert):
            progress(f"TLS: the certificate of {name} was signed by the former CA: issued a new one")
        else:
            return paths
    key = ec.generate_private_key(ec.SECP256R1())
    # Never past the CA's own end: the chain would break there, before this certificate is due.
    start = now - dt.timedelta(minutes=5)
    end = min(now + dt.timedelta(days=SERVER_DAYS), ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    *(x509.DNSName(host) for host in (*hosts, "localhost")),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    write_private(paths.key, _key_pem(key))
    write_private(paths.key_and_chain, _key_pem(key) + cert_pem + ca_pem)
    paths.certificate.write_bytes(cert_pem + ca_pem)
    return paths
