"""Lemontaps Salesforce integration: the application factory."""

import logging
import os
import secrets

from flask import Flask

import config as config_module
from lemontaps.crypto import instance_secret

CONFIG_CLASSES = {
    "production": config_module.Config,
    "development": config_module.DevelopmentConfig,
    "demo": config_module.DemoConfig,
    "testing": config_module.TestingConfig,
}


def create_app(config_class: type | None = None) -> Flask:
    if config_class is None:
        config_class = CONFIG_CLASSES[os.environ.get("APP_CONFIG", "production")]
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.from_object(config_class)
    app.config.from_prefixed_env("LEMONTAPS")
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY") and app.config.get("SECRET_KEY_FROM_INSTANCE"):
        app.config["SECRET_KEY"] = instance_secret(
            app.instance_path, "secret.key", lambda: secrets.token_urlsafe(48)
        )
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set: export SECRET_KEY (see README).")
    quiet_secret_loggers()
    allow_test_email_domains(app.config.get("EMAIL_ALLOW_TEST_DOMAINS", False))
    register_extensions(app)
    register_salesforce(app)
    register_jobs(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_jinja(app)
    register_cli(app)
    return app


def quiet_secret_loggers() -> None:
    # requests-oauthlib logs whole token dicts at DEBUG; never let them reach a log.
    for name in ("requests_oauthlib", "oauthlib"):
        logging.getLogger(name).setLevel(logging.WARNING)


def allow_test_email_domains(allowed: bool) -> None:
    # email-validator refuses reserved names such as *.test; the demo and the tests use them.
    # The library documents SPECIAL_USE_DOMAIN_NAMES as the list to edit for this.
    import email_validator

    if allowed and "test" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("test")


def register_extensions(app: Flask) -> None:
    from lemontaps.extensions import babel
    from lemontaps.extensions import csrf
    from lemontaps.extensions import db
    from lemontaps.extensions import limiter
    from lemontaps.extensions import login_manager
    from lemontaps.extensions import mail
    from lemontaps.extensions import migrate
    from lemontaps.i18n import select_locale
    from lemontaps.services.passwords import PasswordService

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    app.extensions["passwords"] = PasswordService(
        app.config["SECRET_KEY"],
        time_cost=app.config["ARGON2_TIME_COST"],
        memory_cost=app.config["ARGON2_MEMORY_COST"],
        parallelism=app.config["ARGON2_PARALLELISM"],
    )
    from lemontaps import auth_session  # noqa: F401  registers the user loader
    from lemontaps import models as _models  # noqa: F401  registers every table


def register_salesforce(app: Flask) -> None:
    from lemontaps.services.salesforce_setup import build_salesforce_setup

    app.extensions["salesforce"] = build_salesforce_setup(app)


def register_jobs(app: Flask) -> None:
    from lemontaps.queueing import init_rq

    init_rq(app)


def register_blueprints(app: Flask) -> None:
    # An area's package holds only its Blueprint and its routes module attaches the views,
    # so importing a package (for its forms, say) never pulls its views in with it.
    from lemontaps.accounts import routes as accounts
    from lemontaps.api import routes as api
    from lemontaps.auth import routes as auth
    from lemontaps.contacts import routes as contacts
    from lemontaps.exports import routes as exports
    from lemontaps.imports import routes as imports
    from lemontaps.integrations import routes as integrations
    from lemontaps.main import routes as main

    for area in (main, auth, accounts, contacts, exports, integrations, api, imports):
        app.register_blueprint(area.bp)


def register_errorhandlers(app: Flask) -> None:
    from lemontaps.errors import register

    register(app)


def register_security_headers(app: Flask) -> None:
    from lemontaps.security import add_security_headers

    app.after_request(add_security_headers)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        # The client's address (rate limits, logs) and scheme come from the X-Forwarded-*
        # headers set by exactly this many proxies in front of the app; never more.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def register_jinja(app: Flask) -> None:
    from flask_babel import get_locale

    from lemontaps.integrations.messages import check_hint
    from lemontaps.integrations.messages import check_label
    from lemontaps.navigation import nav_links

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["check_label"] = check_label
    app.jinja_env.globals["check_hint"] = check_hint


def register_cli(app: Flask) -> None:
    from lemontaps.cli import register

    register(app)
