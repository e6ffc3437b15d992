"""The emulator's WSGI app factory."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from flask import request

from . import control_api
from . import control_data
from . import data_api
from . import faults
from . import oauth
from . import pages
from . import seed
from .hosts import EmulatorUrls
from .responses import sf_error
from .state import EXTENSION_KEY
from .state import EmulatorState
from .store import Store


def create_emulator_app(db_path: str | None = None, **options) -> Flask:
    """A standalone WSGI app that behaves like Salesforce's login and instance hosts.

    Options: ``seed_demo`` (default True), ``callback_urls`` (extra demo-app callbacks),
    ``login_url``/``sandbox_url``/``instance_url`` (base URLs the app answers as; the server
    sets them to its bound ports), ``hang_seconds`` (timeout_after_commit), ``store`` (an
    existing Store to share, instead of opening ``db_path``).
    """
    store = options.pop("store", None) or Store(db_path)
    urls = EmulatorUrls(
        login_url=options.pop("login_url", EmulatorUrls.login_url),
        sandbox_url=options.pop("sandbox_url", EmulatorUrls.sandbox_url),
        instance_url=options.pop("instance_url", EmulatorUrls.instance_url),
    )
    if options.pop("seed_demo", True):
        seed.seed_demo(store, options.pop("callback_urls", None))
    state = EmulatorState(
        store=store, urls=urls, hang_seconds=options.pop("hang_seconds", 30.0), options=options
    )

    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = state
    app.json.sort_keys = False
    app.before_request(faults.apply_faults)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(control_api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(data_api.bp)  # issue 6
    app.register_blueprint(control_data.bp)
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, method_not_allowed)
    app.wsgi_app = faults.FaultActionMiddleware(app.wsgi_app)
    return app


def not_found(_error):
    if request.path.startswith("/services/"):
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    return render_template("not_found.html"), 404


def method_not_allowed(_error):
    if request.path.startswith("/services/"):
        return sf_error(
            405,
            "METHOD_NOT_ALLOWED",
            f"HTTP Method '{request.method}' not allowed. Allowed are GET,HEAD,POST,PATCH,DELETE",
        )
    return "Method not allowed", 405
