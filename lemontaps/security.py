"""Response headers every page gets: CSP without inline code, and the usual hardening."""

from flask import current_app, request


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
            "form-action 'self'",
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
    if request.endpoint and request.endpoint != "static":
        # Pages hold personal data: keep them out of shared caches and the back/forward cache.
        headers.setdefault("Cache-Control", "no-store")
    return response
