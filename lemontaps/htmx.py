"""Small helpers for htmx requests: partials for HX-Request, polling stop, events."""

import json

from flask import make_response
from flask import render_template
from flask import request

STOP_POLLING = 286  # htmx stops a polling trigger when it gets this status


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def varies_on_htmx(response):
    """Mark an answer that depends on HX-Request, so caches keep the partial and the page apart."""
    response.vary.add("HX-Request")
    return response


def render_page_or_partial(partial: str, page: str | None = None, /, **context):
    """The partial for htmx requests (and when no page is given), the full page otherwise."""
    template = partial if (is_htmx() or page is None) else page
    return varies_on_htmx(make_response(render_template(template, **context)))


def hx_trigger(response, event: str, detail: dict | None = None):
    response.headers["HX-Trigger"] = json.dumps({event: detail or {}})
    return response
