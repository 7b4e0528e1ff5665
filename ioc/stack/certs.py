"""The local stack's certificate authority: made once per stack folder at `stack up`, so that the
cluster's TLS listeners (Kafka, Mosquitto) work on a fresh machine without any openssl steps.

Every file is PEM, the one format that librdkafka, the JVM (`ssl.keystore.type=PEM`), Mosquitto and
Python's `ssl` all read. Private keys are written 0600 and never leave the stack folder. The
certificates name `localhost` and `127.0.0.1`, since every local service listens on loopback; a
production deployment brings its own CA and points the same settings at it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 825  # the longest validity that browsers and most TLS stacks still accept


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


def _ca(folder: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The stack's CA, made on first use and read back afterwards (clients keep trusting it)."""
    cert_path, key_path = folder / "ca.pem", folder / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{key_path} is not the EC key this module made")
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
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


def server_cert(folder: Path, name: str, hosts: tuple[str, ...] = ()) -> ServerCert:
    """A certificate for `name` on loopback (and the DNS names in `hosts`, e.g. compose's service
    names), signed by the CA in `folder`; kept once made."""
    paths = ServerCert(
        ca=folder / "ca.pem",
        certificate=folder / f"{name}.pem",
        key=folder / f"{name}-key.pem",
        key_and_chain=folder / f"{name}-keystore.pem",
    )
    if paths.certificate.exists() and paths.key.exists() and paths.key_and_chain.exists():
        return paths
    ca_key, ca_cert = _ca(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(days=SERVER_DAYS)
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
