"""REST calls against one org's instance, with the refresh-once-on-401 rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from lemontaps.salesforce.errors import HostNotAllowed
from lemontaps.salesforce.errors import InvalidSession
from lemontaps.salesforce.errors import TransientError
from lemontaps.salesforce.errors import error_from_response

API_VERSION = "62.0"
TIMEOUT = (5, 60)
LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")


@dataclass
class ApiUsage:
    used: int
    limit: int

    @property
    def fraction(self) -> float:
        return self.used / self.limit if self.limit else 1.0


class SalesforceClient:
    """One org, one access token. `refresh_access_token()` is called once on a 401 and must
    return a fresh access token (it owns locking and persisting rotated refresh tokens)."""

    def __init__(
        self,
        http: requests.Session,
        instance_url: str,
        access_token: str,
        refresh_access_token: Callable[[], str] | None = None,
        api_version: str = API_VERSION,
        is_allowed_host: Callable[[str], bool] = None,
    ):
        if is_allowed_host is not None and not is_allowed_host(instance_url):
            raise HostNotAllowed(f"instance URL not allowed: {instance_url}")
        self.http = http
        self.instance_url = instance_url.rstrip("/")
        self.access_token = access_token
        self.refresh_access_token = refresh_access_token
        self.api_version = api_version
        self.last_usage: ApiUsage | None = None
        self.calls = 0

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.api_version}"

    def request(
        self, method: str, path: str, *, headers: dict | None = None, **kwargs
    ) -> requests.Response:
        """Send one request; refresh the token and retry once on 401 INVALID_SESSION_ID."""
        response = self._send(method, path, headers, **kwargs)
        if response.status_code == 401 and self.refresh_access_token is not None:
            response.close()
            self.access_token = self.refresh_access_token()
            response = self._send(method, path, headers, **kwargs)
        if response.status_code >= 400:
            with response:
                raise error_from_response(response)
        return response

    def _send(self, method: str, path: str, headers: dict | None, **kwargs) -> requests.Response:
        url = path if path.startswith("http") else self.instance_url + path
        all_headers = {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}
        all_headers.update(headers or {})
        try:
            response = self.http.request(
                method, url, headers=all_headers, timeout=kwargs.pop("timeout", TIMEOUT), **kwargs
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise TransientError(
                f"Salesforce unreachable: {type(error).__name__}", url=url
            ) from None
        self.calls += 1
        self._note_usage(response)
        return response

    def _note_usage(self, response: requests.Response) -> None:
        match = LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.last_usage = ApiUsage(int(match.group(1)), int(match.group(2)))

    def json(self, method: str, path: str, **kwargs) -> Any:
        with self.request(method, path, **kwargs) as response:
            if response.status_code == 204 or not response.content:
                return None
            return response.json()

    # Resources the product uses -------------------------------------------------------

    def limits(self) -> dict:
        return self.json("GET", f"{self.data_path}/limits/")

    def describe(self, sobject: str) -> dict:
        return self.json("GET", f"{self.data_path}/sobjects/{sobject}/describe/")

    def query(self, soql: str) -> dict:
        return self.json("GET", f"{self.data_path}/query/", params={"q": soql})

    def composite(self, subrequests: list[dict], all_or_none: bool = False) -> dict:
        return self.json(
            "POST",
            f"{self.data_path}/composite/",
            json={"allOrNone": all_or_none, "compositeRequest": subrequests},
        )

    def create_collection(
        self, records: list[dict], all_or_none: bool = False, headers: dict | None = None
    ) -> list[dict]:
        return self.json(
            "POST",
            f"{self.data_path}/composite/sobjects/",
            headers=headers,
            json={"allOrNone": all_or_none, "records": records},
        )

    def upsert_collection(
        self,
        sobject: str,
        external_id_field: str,
        records: list[dict],
        all_or_none: bool = False,
        headers: dict | None = None,
    ) -> list[dict]:
        return self.json(
            "PATCH",
            f"{self.data_path}/composite/sobjects/{sobject}/{external_id_field}/",
            headers=headers,
            json={"allOrNone": all_or_none, "records": records},
        )


__all__ = ["SalesforceClient", "ApiUsage", "InvalidSession"]
