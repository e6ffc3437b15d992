from flask import Blueprint

bp = Blueprint("accounts", __name__)

from lemontaps.accounts import routes  # noqa: E402,F401
