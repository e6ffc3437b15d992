"""The JSON API of the capture app: /api/v1, Bearer tokens only (never the session cookie)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
