"""TLS and mutual TLS through a real server: certificates made in the test (a CA, a server
certificate for 127.0.0.1 and localhost, client certificates from that CA and from a stranger),
plaintext and untrusted clients refused, the SDK's TLS options, and bad TLS settings refused
at start.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from clients import Client
from clients.errors import UnauthenticatedError
from computenet.auth import Role, TokenStore
from computenet.config import Config
from computenet.v1 import scheduler_pb2 as spb
from computenet.v1 import scheduler_pb2_grpc as spb_grpc
from scheduler.testing import ThreadedServer, serve_in_thread

__all__: list[str] = []

TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Pem:
    """A certificate and its private key, PEM-encoded."""

    cert: bytes
    """The certificate."""
    key: bytes
    """Its private key (PKCS#8, unencrypted)."""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    subject: str,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    server: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate for ``subject``: a self-signed CA when ``issuer`` is None, else a leaf
    signed by it (a server leaf names 127.0.0.1 and localhost)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(subject) if issuer is None else issuer[0].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if issuer is None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        ).add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        return builder.sign(key, hashes.SHA256()), key
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False
        )
    return builder.sign(issuer[1], hashes.SHA256()), key


def _pem(pair: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> Pem:
    cert, key = pair
    return Pem(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


@dataclass(frozen=True, slots=True)
class Pki:
    """Everything the tests need, as PEM bytes and files."""

    ca: Pem
    """The CA that signs the server and the good client."""
    server: Pem
    """The server's certificate (127.0.0.1, localhost)."""
    client: Pem
    """A client certificate from the CA."""
    stranger: Pem
    """A client certificate from another CA."""
    stranger_ca: Pem
    """That other CA."""
    files: dict[str, str]
    """Paths of the PEM files: ca, server_cert, server_key."""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA, a server certificate, a client certificate and a stranger's, written to files."""
    ca = _issue("computenet test CA", None)
    other_ca = _issue("someone else's CA", None)
    pems = Pki(
        ca=_pem(ca),
        server=_pem(_issue("computenet server", ca, server=True)),
        client=_pem(_issue("tenant acme", ca)),
        stranger=_pem(_issue("tenant acme", other_ca)),
        stranger_ca=_pem(other_ca),
        files={},
    )
    d = tmp_path_factory.mktemp("pki")
    for name, data in (
        ("ca", pems.ca.cert),
        ("server_cert", pems.server.cert),
        ("server_key", pems.server.key),
    ):
        path = d / f"{name}.pem"
        path.write_bytes(data)
        pems.files[name] = str(path)
    return pems


def _config(tmp_path: Path, pki: Pki, *, mtls: bool, auth: bool = False) -> Config:
    return Config(
        port=0,
        database_url=f"sqlite:///{tmp_path / 'computenet.db'}",
        batch_interval_seconds=0,
        auth=auth,
        tls_cert_file=pki.files["server_cert"],
        tls_key_file=pki.files["server_key"],
        tls_client_ca_file=pki.files["ca"] if mtls else "",
    )


@pytest.fixture
def tls_server(tmp_path: Path, pki: Pki) -> Iterator[ThreadedServer]:
    """A server speaking TLS only."""
    with serve_in_thread(_config(tmp_path, pki, mtls=False)) as server:
        yield server


@pytest.fixture
def mtls_server(tmp_path: Path, pki: Pki) -> Iterator[ThreadedServer]:
    """A server that also requires a client certificate from the CA."""
    with serve_in_thread(_config(tmp_path, pki, mtls=True)) as server:
        yield server


def _policies(channel: grpc.Channel) -> grpc.StatusCode:
    """The status of one ListPolicies call over ``channel`` (OK when it works)."""
    stub = spb_grpc.SchedulerServiceStub(channel)  # type: ignore[no-untyped-call]
    try:
        reply = stub.ListPolicies(spb.ListPoliciesRequest(), timeout=TIMEOUT)
    except grpc.RpcError as exc:
        return exc.code()
    assert reply.policies
    return grpc.StatusCode.OK


def _secure(address: str, creds: grpc.ChannelCredentials) -> grpc.Channel:
    return grpc.secure_channel(address, creds)


class TestTls:
    def test_client_trusting_the_ca_works(self, tls_server: ThreadedServer, pki: Pki) -> None:
        """A TLS client with the CA as its root reaches every service and health."""
        creds = grpc.ssl_channel_credentials(root_certificates=pki.ca.cert)
        with _secure(tls_server.address, creds) as channel:
            assert _policies(channel) == grpc.StatusCode.OK
            health = health_pb2_grpc.HealthStub(channel)
            status = health.Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT).status
            assert status == health_pb2.HealthCheckResponse.SERVING
        # The certificate also names localhost.
        port = tls_server.running.port
        with _secure(f"localhost:{port}", creds) as channel:
            assert _policies(channel) == grpc.StatusCode.OK

    def test_plaintext_client_fails(self, tls_server: ThreadedServer) -> None:
        """A plaintext client gets no answer from a TLS server."""
        with grpc.insecure_channel(tls_server.address) as channel:
            assert _policies(channel) == grpc.StatusCode.UNAVAILABLE

    def test_client_not_trusting_the_ca_fails(self, tls_server: ThreadedServer, pki: Pki) -> None:
        """A client whose roots do not include the server's CA refuses the server."""
        creds = grpc.ssl_channel_credentials(root_certificates=pki.stranger_ca.cert)
        with _secure(tls_server.address, creds) as channel:
            assert _policies(channel) == grpc.StatusCode.UNAVAILABLE

    def test_sdk_with_root_certificates(self, tls_server: ThreadedServer, pki: Pki) -> None:
        """The SDK's ``root_certificates`` option connects over TLS."""
        with Client(
            tls_server.address, root_certificates=pki.ca.cert, retries=0, timeout=TIMEOUT
        ) as client:
            assert client.list_policies().policies


class TestMutualTls:
    def test_client_certificate_from_the_ca_works(
        self, mtls_server: ThreadedServer, pki: Pki
    ) -> None:
        """A client presenting a certificate signed by the CA is served."""
        creds = grpc.ssl_channel_credentials(pki.ca.cert, pki.client.key, pki.client.cert)
        with _secure(mtls_server.address, creds) as channel:
            assert _policies(channel) == grpc.StatusCode.OK

    def test_client_without_a_certificate_fails(
        self, mtls_server: ThreadedServer, pki: Pki
    ) -> None:
        """A TLS client that presents no certificate is refused."""
        creds = grpc.ssl_channel_credentials(root_certificates=pki.ca.cert)
        with _secure(mtls_server.address, creds) as channel:
            assert _policies(channel) == grpc.StatusCode.UNAVAILABLE

    def test_client_certificate_from_another_ca_fails(
        self, mtls_server: ThreadedServer, pki: Pki
    ) -> None:
        """A certificate signed by any other CA is refused."""
        creds = grpc.ssl_channel_credentials(pki.ca.cert, pki.stranger.key, pki.stranger.cert)
        with _secure(mtls_server.address, creds) as channel:
            assert _policies(channel) == grpc.StatusCode.UNAVAILABLE

    def test_plaintext_client_fails(self, mtls_server: ThreadedServer) -> None:
        """A plaintext client gets no answer from an mTLS server."""
        with grpc.insecure_channel(mtls_server.address) as channel:
            assert _policies(channel) == grpc.StatusCode.UNAVAILABLE

    def test_sdk_with_client_certificate_and_token(self, tmp_path: Path, pki: Pki) -> None:
        """The SDK with a client certificate and a bearer token works on an mTLS server with
        authentication; the certificate alone does not authenticate a call."""
        with serve_in_thread(_config(tmp_path, pki, mtls=True, auth=True)) as server:
            _, token = TokenStore(server.running.engine).create(
                name="acme-ci", role=Role.TENANT, tenant="acme"
            )

            def sdk(token: str | None) -> Client:
                return Client(
                    server.address,
                    token=token,
                    tenant="acme",
                    retries=0,
                    timeout=TIMEOUT,
                    root_certificates=pki.ca.cert,
                    private_key=pki.client.key,
                    certificate_chain=pki.client.cert,
                )

            with sdk(token) as client:
                assert client.list_policies().policies
                assert client.list_jobs().items == ()
            with sdk(None) as client, pytest.raises(UnauthenticatedError):
                client.list_policies()


class TestTlsSettings:
    @pytest.mark.parametrize(
        ("cert", "key", "ca"),
        [
            (True, False, False),
            (False, True, False),
            (False, False, True),
            (True, False, True),
        ],
    )
    def test_incomplete_settings_refuse_to_start(
        self, tmp_path: Path, pki: Pki, cert: bool, key: bool, ca: bool
    ) -> None:
        """A certificate without its key (or the reverse), or a client CA without TLS, stops
        the server at start instead of serving plaintext."""
        config = Config(
            port=0,
            database_url=f"sqlite:///{tmp_path / 'computenet.db'}",
            batch_interval_seconds=0,
            tls_cert_file=pki.files["server_cert"] if cert else "",
            tls_key_file=pki.files["server_key"] if key else "",
            tls_client_ca_file=pki.files["ca"] if ca else "",
        )
        with pytest.raises(ValueError, match="tls"), serve_in_thread(config):
            pass
