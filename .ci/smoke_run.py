"""Smoke run of the demo as a user would: `make run` is up; log in over HTTP as the demo admin,
connect the emulator's org through the real OAuth pages, push 5 contacts, see them exported."""

import html
import re
import sys
import time

import requests

APP = "http://127.0.0.1:5000"
EMULATOR_CONTROL = "http://127.0.0.1:8901/__emulator"
ADMIN, PASSWORD = "admin@demo.lemontaps.test", "lemontaps-demo"
SF_USER, SF_PASSWORD = "admin@demo.lemontaps.test", "demo-sf-pass"


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def hidden_inputs(page: str) -> dict:
    return {
        html.unescape(n): html.unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page)
    }


def wait_for_app(timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{APP}/auth/login", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    sys.exit("the app did not come up")


def main() -> None:
    wait_for_app()
    web = requests.Session()
    login_page = web.get(f"{APP}/auth/login").text
    response = web.post(
        f"{APP}/auth/login",
        data={"email": ADMIN, "password": PASSWORD, "csrf_token": csrf(login_page)},
    )
    assert "Log out" in response.text, "login failed"

    page = web.get(f"{APP}/integrations/salesforce").text
    start = web.post(
        f"{APP}/integrations/salesforce/authorize",
        allow_redirects=False,
        data={"environment": "production", "csrf_token": csrf(page)},
    )
    assert start.status_code == 303, start.text
    authorize_url = start.headers["Location"]
    browser = requests.Session()
    form = browser.get(authorize_url).text
    consent = browser.post(
        authorize_url,
        data={**hidden_inputs(form), "step": "login", "username": SF_USER, "password": SF_PASSWORD},
    )
    back = browser.post(
        authorize_url,
        allow_redirects=False,
        data={**hidden_inputs(consent.text), "step": "consent", "oaapprove": "Allow"},
    )
    callback = web.get(back.headers["Location"])
    assert "Connected to Salesforce org" in callback.text, callback.text[:2000]
    print("connected")

    table = web.get(f"{APP}/contacts/").text
    ids = re.findall(r'name="contact_ids" value="(\d+)"', table)[:5]
    assert len(ids) == 5, "no contacts in the demo table"
    pushed = web.post(f"{APP}/exports/push", data={"contact_ids": ids, "csrf_token": csrf(table)})
    assert pushed.status_code == 200, pushed.status_code
    push_id = re.search(r"push=(\d+)", pushed.url).group(1)
    print(f"push {push_id} started for contacts {ids}")

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        states = exported_states(web, ids)
        if all(s not in ("queued", "pushing", "waiting") for s in states.values()):
            break
        time.sleep(1)
    print("states:", states)
    assert all(s in ("exported", "duplicate", "failed") for s in states.values()), states
    assert list(states.values()).count("exported") >= 1, states
    print("smoke run passed")


def exported_states(web: requests.Session, ids: list[str]) -> dict[str, str]:
    """What the table's Export column shows for each contact."""
    page = web.get(f"{APP}/contacts/").text
    states = {}
    for contact_id in ids:
        found = re.search(rf'id="export-status-{contact_id}"[^>]*data-state="([a-z_]+)"', page)
        states[contact_id] = found.group(1) if found else "unknown"
    return states


if __name__ == "__main__":
    main()
