"""Read-only HTML record pages at ``/<recordId>`` so record links in the app work in the demo."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from . import ids
from .state import emulator_state

bp = Blueprint("pages", __name__)


@bp.get("/<record_id>")
def record_page(record_id: str):
    record = (
        emulator_state().store.get_record(None, record_id) if ids.is_wellformed(record_id) else None
    )
    if record is None:
        return render_template("not_found.html"), 404
    fields = [(name, value) for name, value in record.items() if not name.startswith("_")]
    title = (
        record.get("Name")
        or " ".join(str(record[name]) for name in ("FirstName", "LastName") if record.get(name))
        or record["Id"]
    )
    return render_template("record.html", record=record, fields=fields, title=title)
