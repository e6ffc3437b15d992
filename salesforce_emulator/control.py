"""``ControlClient``: a small Python wrapper of the ``/__emulator/`` control API, for tests.

control = ControlClient(server.instance_url)          # or any of the three base URLs
org = control.create_org({"name": "Acme", "users": [...]})
control.add_fault(org["id"], kind="503", path="/services/data/*", nth=2)
"""

from __future__ import annotations

from typing import Any

import requests


class ControlError(RuntimeError):
    def __init__(self, response: requests.Response):
        super().__init__(
            f"{response.request.method} {response.url} -> {response.status_code}: "
            f"{response.text[:500]}"
        )
        self.response = response


class ControlClient:
    def __init__(
        self, base_url: str, session: requests.Session | None = None, verify: bool | str = True
    ):
        base_url = base_url.rstrip("/")
        if not base_url.endswith("/__emulator"):
            base_url += "/__emulator"
        self.base_url = base_url
        self._owns_session = session is None
        self.session = session or requests.Session()
        self.verify = verify

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _call(self, method: str, path: str, **kwargs) -> Any:
        response = self.session.request(
            method, self.base_url + path, verify=self.verify, timeout=30, **kwargs
        )
        if response.status_code >= 400:
            raise ControlError(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # orgs
    def overview(self) -> dict:
        return self._call("GET", "/")

    def create_org(self, spec: dict) -> dict:
        return self._call("POST", "/orgs", json=spec)

    def get_org(self, org_id: str) -> dict:
        return self._call("GET", f"/orgs/{org_id}")

    def reset_org(self, org_id: str) -> dict:
        return self._call("POST", f"/orgs/{org_id}/reset")

    def delete_org(self, org_id: str) -> None:
        self._call("DELETE", f"/orgs/{org_id}")

    def org_id(self, name: str) -> str:
        for org in self.overview()["orgs"]:
            if org["name"] == name:
                return org["id"]
        raise LookupError(name)

    def update_settings(self, org_id: str, **settings) -> dict:
        return self._call("PATCH", f"/orgs/{org_id}/settings", json=settings)

    # records
    def list_records(
        self, org_id: str, sobject: str | None = None, include_deleted: bool = False
    ) -> list[dict]:
        params = {"type": sobject} if sobject else {}
        if include_deleted:
            params["include_deleted"] = "1"
        return self._call("GET", f"/orgs/{org_id}/records", params=params)["records"]

    def insert_record(self, org_id: str, sobject: str, fields: dict) -> dict:
        return self._call(
            "POST", f"/orgs/{org_id}/records", json={"type": sobject, "fields": fields}
        )

    # API calls and limits
    def api_calls(self, org_id: str) -> dict:
        return self._call("GET", f"/orgs/{org_id}/api-calls")

    def reset_api_calls(self, org_id: str) -> None:
        self._call("DELETE", f"/orgs/{org_id}/api-calls")

    def limits(self, org_id: str) -> dict:
        return self._call("GET", f"/orgs/{org_id}/limits")

    def set_limits(
        self,
        org_id: str,
        daily_api_requests_max: int | None = None,
        daily_api_requests_used: int | None = None,
    ) -> dict:
        return self._call(
            "PUT",
            f"/orgs/{org_id}/limits",
            json={
                "daily_api_requests_max": daily_api_requests_max,
                "daily_api_requests_used": daily_api_requests_used,
            },
        )

    # faults
    def add_fault(self, org_id: str, **rule) -> dict:
        return self._call("POST", f"/orgs/{org_id}/faults", json=rule)

    def list_faults(self, org_id: str) -> list[dict]:
        return self._call("GET", f"/orgs/{org_id}/faults")

    def delete_fault(self, org_id: str, rule_id: int) -> None:
        self._call("DELETE", f"/orgs/{org_id}/faults/{rule_id}")

    def clear_faults(self, org_id: str) -> None:
        self._call("DELETE", f"/orgs/{org_id}/faults")

    # tokens and connected apps
    def token_stats(self, org_id: str) -> dict:
        return self._call("GET", f"/orgs/{org_id}/tokens")

    def revoke_tokens(self, org_id: str) -> dict:
        return self._call("POST", f"/orgs/{org_id}/revoke-tokens")

    def get_app(self, client_id: str) -> dict:
        return self._call("GET", f"/apps/{client_id}")

    def update_app(self, client_id: str, **settings) -> dict:
        return self._call("PATCH", f"/apps/{client_id}", json=settings)

    def set_callback_urls(self, client_id: str, urls: list[str]) -> dict:
        return self.update_app(client_id, callback_urls=list(urls))
