import re
from pathlib import Path

import pytest

from config import Config
from lemontaps import create_app

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_pages_send_a_strict_content_security_policy(client):
    csp = client.get("/auth/login").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"].split()[0] == "'self'"


def test_templates_contain_no_inline_script_style_or_handlers():
    offences = []
    for path in TEMPLATES.rglob("*.html"):
        if "email" in path.parts:
            continue  # mail clients, not browsers under our CSP
        text = path.read_text()
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",
            r"\sstyle=",
            r"\son[a-z]+=",
            r"<style",
            r"hx-on",
        ):
            if re.search(pattern, text, re.IGNORECASE):
                offences.append((path.name, pattern))
    assert offences == []


def test_session_cookie_is_httponly_and_samesite_lax(auth, client, account_a):
    response = auth.login("admin@acme.test")
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("lemontaps_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_host_bound():
    class ProductionLike(Config):
        SECRET_KEY = "x" * 32
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        RATELIMIT_STORAGE_URI = "memory://"
        TOKEN_ENCRYPTION_KEYS = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0="

    app = create_app(ProductionLike)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_app_refuses_to_start_without_a_secret_key():
    class NoSecret(Config):
        SECRET_KEY = None

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(NoSecret)


def test_own_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"This page does not exist" in response.data
    assert b"Lemontaps" in response.data


def test_own_413_page(app, auth, client, account_a):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    auth.login("admin@acme.test")
    response = client.post("/profile", data={"name": "x" * 4096, "language": "en"})
    assert response.status_code == 413
    assert b"The upload is too large." in response.data


def test_own_500_page_hides_details(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.data
    assert b"secret internals" not in response.data


def test_htmx_requests_get_a_partial_error(client):
    response = client.get("/no/such/page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert b"<html" not in response.data
    assert b'role="alert"' in response.data


def test_error_pages_are_not_cached_and_sniffing_is_off(client):
    response = client.get("/auth/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/page", 404),
        ("POST", "/auth/login?next=%2Fcontacts%2F", 200),
        ("GET", "/contacts/", 302),
        ("GET", "/integrations/salesforce/callback?state=x&code=y", 302),
        ("GET", "/api/v1/contacts", 401),
    ],
)
def test_every_page_even_an_error_page_is_no_store(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/app.css")
    response.close()  # the file stays open until the response is closed
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_development_and_demo_make_their_own_secret_key(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    from config import DemoConfig
    from config import DevelopmentConfig

    # No key printed in the source: without SECRET_KEY in the environment, one is made.
    assert DevelopmentConfig.SECRET_KEY_FROM_INSTANCE and DemoConfig.SECRET_KEY_FROM_INSTANCE
    with ProcessPoolExecutor(4) as pool:  # web, worker and CLI starting at the same moment
        keys = set(pool.map(_make_secret, [str(tmp_path)] * 8))
    assert len(keys) == 1
    key = keys.pop()
    assert len(key) >= 48 and (tmp_path / "secret.key").read_text() == key
    assert oct((tmp_path / "secret.key").stat().st_mode & 0o777) == "0o600"
    assert _make_secret(str(tmp_path / "other")) != key


def _random() -> str:
    import secrets

    return secrets.token_urlsafe(48)


def _make_secret(directory: str) -> str:
    import os

    from lemontaps.crypto import instance_secret

    os.makedirs(directory, exist_ok=True)
    return instance_secret(directory, "secret.key", _random)
