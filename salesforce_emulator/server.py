"""Serving the emulator: three loopback ports (production login, sandbox login, instance).

``port`` is the production login host (like login.salesforce.com), ``port + 1`` the sandbox
login host (like test.salesforce.com), ``port + 2`` the instance / My Domain host that
``instance_url`` points to. Each listening socket stamps its requests with its host kind.
Werkzeug's threaded server runs one thread per request, so parallel requests (and injected
latency) don't queue behind each other.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from .app import create_emulator_app
from .faults import ResponseLostAfterCommit
from .hosts import HostKindMiddleware
from .state import emulator_state

PORT_OFFSETS = {"production": 0, "sandbox": 1, "instance": 2}


class EmulatorRequestHandler(WSGIRequestHandler):
    def connection_dropped(self, error, environ=None):
        # A dropped-connection fault: end this keep-alive connection with no response at all.
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class QuietRequestHandler(EmulatorRequestHandler):
    def log(self, type, message, *args):  # noqa: A002 - werkzeug's signature
        pass


class HangThenDrop:
    """Server side of ``timeout_after_commit``: hold the socket open, then drop it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        try:
            return self.app(environ, start_response)
        except ResponseLostAfterCommit as lost:
            time.sleep(lost.hang_seconds)
            raise  # a ConnectionError: werkzeug closes the socket without a response


def make_self_signed_cert(directory: str) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1 and localhost (for clients that insist on TLS)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = Path(directory, "sf-emulator-cert.pem")
    key_path = Path(directory, "sf-emulator-key.pem")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@dataclass
class EmulatorServer:
    """A running emulator: its URLs, the WSGI app, and how to stop it."""

    app: object
    servers: dict[str, BaseWSGIServer]
    cert_path: str | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _tempdir: str | None = None
    _owns_app: bool = True

    @property
    def urls(self):
        return emulator_state(self.app).urls

    @property
    def login_url(self) -> str:
        return self.urls.login_url

    @property
    def sandbox_url(self) -> str:
        return self.urls.sandbox_url

    @property
    def instance_url(self) -> str:
        return self.urls.instance_url

    @property
    def control_url(self) -> str:
        return self.instance_url + "/__emulator"

    def serve_forever_in_threads(self) -> None:
        for kind, server in self.servers.items():
            thread = threading.Thread(
                target=server.serve_forever,
                name=f"sf-emulator-{kind}",
                kwargs={"poll_interval": 0.1},
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self.servers.values():
            if self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if self._owns_app:
            emulator_state(self.app).close()
        if self._tempdir:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def build_server(
    host: str = "127.0.0.1",
    port: int = 8899,
    https: bool = False,
    db_path: str | None = None,
    seed_demo: bool = True,
    callback_urls: list[str] | None = None,
    quiet: bool = False,
    app=None,
    **options,
) -> EmulatorServer:
    """Bind the three ports (``port=0``: three ephemeral ports) and point the app's URLs at them."""
    owns_app = app is None
    if app is None:
        app = create_emulator_app(
            db_path, seed_demo=seed_demo, callback_urls=callback_urls, **options
        )
    tempdir = cert_path = None
    ssl_context = None
    if https:
        tempdir = tempfile.mkdtemp(prefix="sf-emulator-")
        cert_path, key_path = make_self_signed_cert(tempdir)
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(cert_path, key_path)
    handler = QuietRequestHandler if quiet else EmulatorRequestHandler
    servers: dict[str, BaseWSGIServer] = {}
    try:
        for kind, offset in PORT_OFFSETS.items():
            wsgi = HangThenDrop(HostKindMiddleware(app, kind))
            servers[kind] = make_server(
                host,
                port + offset if port else 0,
                wsgi,
                threaded=True,
                request_handler=handler,
                ssl_context=ssl_context,
            )
    except BaseException:
        for server in servers.values():
            server.server_close()
        raise
    scheme = "https" if https else "http"
    urls = emulator_state(app).urls
    urls.login_url = f"{scheme}://{host}:{servers['production'].server_port}"
    urls.sandbox_url = f"{scheme}://{host}:{servers['sandbox'].server_port}"
    urls.instance_url = f"{scheme}://{host}:{servers['instance'].server_port}"
    return EmulatorServer(
        app=app, servers=servers, cert_path=cert_path, _tempdir=tempdir, _owns_app=owns_app
    )


def start_in_thread(host: str = "127.0.0.1", port: int = 0, **kwargs) -> EmulatorServer:
    """Start on ephemeral ports in background threads (for tests). Call ``.stop()``."""
    kwargs.setdefault("quiet", True)
    server = build_server(host, port, **kwargs)
    server.serve_forever_in_threads()
    return server


def serve(
    host: str = "127.0.0.1",
    port: int = 8899,
    https: bool = False,
    db_path: str | None = None,
    seed_demo: bool = True,
    callback_urls: list[str] | None = None,
    on_ready=None,
    **options,
) -> None:
    """Serve until interrupted (blocking)."""
    server = build_server(
        host,
        port,
        https=https,
        db_path=db_path,
        seed_demo=seed_demo,
        callback_urls=callback_urls,
        **options,
    )
    if on_ready is not None:
        on_ready(server)
    server.serve_forever_in_threads()
    try:
        while all(thread.is_alive() for thread in server._threads):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
