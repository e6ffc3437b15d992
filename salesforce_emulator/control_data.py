"""Control API additions for the data API (issue 6), under ``/__emulator/orgs/<org>/``.

GET   customization                 the org's customisation (see org_schema.py, rules.py)
PUT   customization                 replace it            {"custom_fields": {...}, ...}
PATCH customization                 merge top-level keys  {"state_country_picklists": true}
POST  fixtures                      {"records": [{"type", "fields", "id"?, "deleted"?}]}
                                    inserted as-is, no rules (ids a recording needs)
POST  queues                        {"name": "Inbound Leads"} → {"id": "00G…"}
GET   api-usage                     {"total", "used", "max", "calls": [...]}
"""

from __future__ import annotations

from flask import Blueprint
from flask import jsonify
from flask import request

from . import ids
from . import org_tools
from .org_schema import customization_of
from .state import emulator_state
from .store import NotFound

bp = Blueprint("control_data", __name__, url_prefix="/__emulator")


@bp.errorhandler(NotFound)
def _not_found(exc):
    return jsonify({"error": str(exc)}), 404


@bp.errorhandler(ValueError)
def _bad_request(exc):
    return jsonify({"error": str(exc)}), 400


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object body")
    return data


def _org_id(org_id: str) -> str:
    if not ids.is_wellformed(org_id):
        raise NotFound(f"no org {org_id}")
    return emulator_state().store.get_org(org_id)["id"]


@bp.get("/orgs/<org_id>/customization")
def get_customization(org_id):
    return jsonify(customization_of(emulator_state().store.get_org(_org_id(org_id))))


@bp.put("/orgs/<org_id>/customization")
def replace_customization(org_id):
    store = emulator_state().store
    return jsonify(org_tools.customize_org(store, _org_id(org_id), replace=True, **_body()))


@bp.patch("/orgs/<org_id>/customization")
def merge_customization(org_id):
    store = emulator_state().store
    return jsonify(org_tools.customize_org(store, _org_id(org_id), **_body()))


@bp.post("/orgs/<org_id>/fixtures")
def add_fixtures(org_id):
    records = _body().get("records")
    if not isinstance(records, list) or not all(
        isinstance(r, dict) and r.get("type") for r in records
    ):
        raise ValueError('expected {"records": [{"type", "fields", "id"?}]}')
    created = org_tools.insert_fixtures(emulator_state().store, _org_id(org_id), records)
    return jsonify({"ids": created}), 201


@bp.post("/orgs/<org_id>/queues")
def add_queue(org_id):
    name = _body().get("name")
    if not name:
        raise ValueError('expected {"name"}')
    queue_id = org_tools.add_queue(emulator_state().store, _org_id(org_id), name)
    return jsonify({"id": queue_id, "name": name}), 201


@bp.get("/orgs/<org_id>/api-usage")
def api_usage(org_id):
    return jsonify(org_tools.api_calls(emulator_state().store, _org_id(org_id)))
