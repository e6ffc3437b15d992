"""Response headers every page gets: CSP without inline code, and the usual hardening."""

from flask import current_app
from flask import request


def _oauth_form_targets() -> str:
    # "Authorize Salesforce" is a form POST answered by a redirect to the login host, and
    # browsers apply form-action to that redirect too.
    emulator = current_app.extensions["salesforce"].hosts.emulator_urls
    return " ".join(["https://*.salesforce.com", *sorted(set(emulator))])


def content_security_policy() -> str:
    cdn = current_app.config["HTMX_CDN_ORIGIN"]
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {cdn}",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            f"form-action 'self' {_oauth_form_targets()}",
        ]
    )


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        # Pages hold personal data or a CSRF token, error pages too (a 404 has no endpoint):
        # keep them out of shared caches and the back/forward cache.
        headers["Cache-Control"] = "no-store"
    return response
