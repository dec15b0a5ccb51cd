"""A throw-away TLS identity for the embedded AWS's HTTPS listener, and a Java truststore for it.

Why: Spark's s3a (AWS SDK for Java v1) propagates a source object's SSE-KMS key when it copies
(every Spark commit renames by copying), and that SDK refuses SSE-KMS parameters over plain
HTTP. Buckets deployed from the templates keep their SSE-KMS default encryption, so Spark talks
to the embedded S3 over HTTPS, trusting only this self-signed certificate (127.0.0.1, localhost).
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import ipaddress
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

TRUSTSTORE_PASSWORD = "local-aws"


@dataclass(frozen=True)
class TlsMaterial:
    certificate: Path
    private_key: Path
    truststore: Path
    truststore_password: str = TRUSTSTORE_PASSWORD


def _keytool() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "keytool").exists():
        return str(Path(java_home) / "bin" / "keytool")
    found = shutil.which("keytool")
    if found is None:
        raise FileNotFoundError(
            "keytool not found: install a Java 17 runtime (it ships keytool) or set JAVA_HOME"
        )
    return found


@functools.cache
def process_tls_material() -> TlsMaterial:
    """The identity every embedded AWS of this process serves HTTPS with, removed when the process ends.
    One for all: a warm Spark driver JVM reads its truststore once, and serves the runs of each embedded
    AWS the process starts, one after the other (`local_aws.spark_drivers`)."""
    directory = Path(tempfile.mkdtemp(prefix="local-aws-tls-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return create_tls_material(directory)


def create_tls_material(directory: Path) -> TlsMaterial:
    """A self-signed certificate for 127.0.0.1/localhost (valid 30 days) and a PKCS12 truststore holding it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local-aws")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    material = TlsMaterial(
        certificate=directory / "local-aws.crt",
        private_key=directory / "local-aws.key",
        truststore=directory / "local-aws-truststore.p12",
    )
    material.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    material.private_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    material.truststore.unlink(missing_ok=True)
    subprocess.run(
        [
            _keytool(),
            "-importcert",
            "-noprompt",
            "-alias",
            "local-aws",
            "-file",
            str(material.certificate),
            "-keystore",
            str(material.truststore),
            "-storetype",
            "PKCS12",
            "-storepass",
            material.truststore_password,
        ],
        check=True,
        capture_output=True,
    )
    return material
