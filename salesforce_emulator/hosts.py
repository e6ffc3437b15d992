"""The three hosts the emulator answers as, and how a request knows which one it arrived on.

``production`` ~ login.salesforce.com, ``sandbox`` ~ test.salesforce.com, ``instance`` ~ the
org's My Domain (what ``instance_url`` points to). The threaded server sets the kind per
listening socket in the WSGI environ; otherwise it is derived from the Host header.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

HOST_KIND_KEY = "salesforce_emulator.host_kind"
HOST_KINDS = ("production", "sandbox", "instance")

DEFAULT_LOGIN_URL = "http://login.sf-emulator.localhost"
DEFAULT_SANDBOX_URL = "http://test.sf-emulator.localhost"
DEFAULT_INSTANCE_URL = "http://lemontaps-demo.my.sf-emulator.localhost"


@dataclass
class EmulatorUrls:
    login_url: str = DEFAULT_LOGIN_URL
    sandbox_url: str = DEFAULT_SANDBOX_URL
    instance_url: str = DEFAULT_INSTANCE_URL

    def base_for(self, kind: str) -> str:
        return {
            "production": self.login_url,
            "sandbox": self.sandbox_url,
            "instance": self.instance_url,
        }[kind]

    def kind_for_host(self, host: str) -> str | None:
        host = host.lower()
        for kind in HOST_KINDS:
            if urlsplit(self.base_for(kind)).netloc.lower() == host:
                return kind
        return None

    def as_dict(self) -> dict[str, str]:
        return {
            "login_url": self.login_url,
            "sandbox_url": self.sandbox_url,
            "instance_url": self.instance_url,
        }


def host_kind_of(environ: dict, urls: EmulatorUrls) -> str:
    kind = environ.get(HOST_KIND_KEY)
    if kind in HOST_KINDS:
        return kind
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    # Unknown hosts are treated as the production login host, the most common entry point.
    return urls.kind_for_host(host) or "production"


class HostKindMiddleware:
    """Stamps every request arriving through one listening socket with that socket's host kind."""

    def __init__(self, app, kind: str):
        if kind not in HOST_KINDS:
            raise ValueError(kind)
        self.app = app
        self.kind = kind

    def __call__(self, environ, start_response):
        environ[HOST_KIND_KEY] = self.kind
        return self.app(environ, start_response)
