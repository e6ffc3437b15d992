"""Which hosts may see our OAuth requests and bearer tokens.

Salesforce's own domains over HTTPS, plus the configured emulator's loopback URLs. Checked for
the login host an admin picks and for the `instance_url` a token response names (mix-up/SSRF)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

SALESFORCE_DOMAIN_SUFFIXES = (
    ".salesforce.com",
    ".force.com",
    ".salesforce-setup.com",
    ".cloudforce.com",
)
MY_DOMAIN_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?(?:--[a-z0-9]+)?$")


def origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class HostPolicy:
    production_login_url: str = "https://login.salesforce.com"
    sandbox_login_url: str = "https://test.salesforce.com"
    emulator_urls: tuple[str, ...] = field(default_factory=tuple)

    def is_allowed(self, url: str) -> bool:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        if not host or parts.username or parts.password:
            return False
        if origin_of(url) in {origin_of(u) for u in self.emulator_urls}:
            # The emulator may use plain HTTP, but only on loopback.
            return parts.scheme == "https" or is_loopback(host)
        return (
            parts.scheme == "https"
            and parts.port in (None, 443)
            and (host.endswith(SALESFORCE_DOMAIN_SUFFIXES))
        )

    def login_url_for(self, environment: str, my_domain: str = "") -> str:
        """The login host for the admin's choice; raises HostNotAllowed for anything else."""
        from lemontaps.salesforce.errors import HostNotAllowed

        if environment == "production":
            return origin_of(self.production_login_url)
        if environment == "sandbox":
            return origin_of(self.sandbox_login_url)
        if environment != "my_domain":
            raise HostNotAllowed("unknown environment")
        candidate = my_domain.strip().lower().rstrip("/")
        if not candidate:
            raise HostNotAllowed("empty My Domain")
        if "://" not in candidate:
            if MY_DOMAIN_NAME.match(candidate):
                candidate = f"{candidate}.my.salesforce.com"
            candidate = "https://" + candidate
        parts = urlsplit(candidate)
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise HostNotAllowed("a My Domain is a host name, without a path")
        if not self.is_allowed(candidate):
            raise HostNotAllowed("not a Salesforce domain")
        return origin_of(candidate)
