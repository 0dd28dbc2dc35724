"""The simulator's self-signed TLS certificate: made on first start, kept in the data folder.

Generated with the ``cryptography`` package (RSA 2048, SHA-256, valid ten years, SAN
``localhost`` / ``127.0.0.1`` / ``::1``); the files are ``smsc-cert.pem`` and ``smsc-key.pem``
in ``console.paths.data_dir() / "tls"`` unless another folder is given.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.errors import SimulatorError
from console.paths import data_dir

CERT_FILE = "smsc-cert.pem"
KEY_FILE = "smsc-key.pem"
COMMON_NAME = "Infobip Test Console simulator"


def default_cert_dir() -> Path:
    """Where the certificate lives by default."""
    return data_dir() / "tls"


def ensure_certificate(cert_dir: Path | str | None = None) -> tuple[Path, Path]:
    """(certificate, key) paths; generates a self-signed pair when either file is missing."""
    folder = Path(cert_dir) if cert_dir is not None else default_cert_dir()
    cert, key = folder / CERT_FILE, folder / KEY_FILE
    if cert.is_file() and key.is_file():
        return cert, key
    folder.mkdir(parents=True, exist_ok=True)
    cert_pem, key_pem = generate_self_signed()
    # the key is written private first, so it is never readable by others even briefly
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_pem)
    cert.write_bytes(cert_pem)
    return cert, key


def generate_self_signed(common_name: str = COMMON_NAME) -> tuple[bytes, bytes]:
    """A fresh self-signed certificate and its private key, both PEM."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
    except ImportError as exc:  # pragma: no cover - cryptography ships with the venv
        raise SimulatorError("TLS needs the 'cryptography' package to make a certificate") from exc
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    san = x509.SubjectAlternativeName([
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def server_context(cert_dir: Path | str | None = None) -> ssl.SSLContext:
    """A TLS server context with the simulator's certificate (made on first use)."""
    cert, key = ensure_certificate(cert_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise SimulatorError(f"cannot load the TLS certificate {cert}: {exc}") from exc
    return ctx


def client_context(cert_dir: Path | str | None = None) -> ssl.SSLContext:
    """A client context that trusts exactly the simulator's certificate (for tests and tools)."""
    cert, _ = ensure_certificate(cert_dir)
    ctx = ssl.create_default_context(cafile=str(cert))
    return ctx
