"""CSV import of contacts (admins only): upload, preview with per-row errors, import."""

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/contacts/import")
