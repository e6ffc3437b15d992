"""The control API under ``/__emulator/`` (JSON in, JSON out). Documented in README.md."""

from __future__ import annotations

from flask import Blueprint
from flask import jsonify
from flask import request

from . import faults
from . import ids
from . import orgs
from . import tokens
from .seed import DEMO_CLIENT_ID
from .state import emulator_state
from .store import Conflict
from .store import NotFound

bp = Blueprint("control", __name__, url_prefix="/__emulator")

ENDPOINTS = [
    "GET    /__emulator/",
    "POST   /__emulator/orgs                      create an org from a JSON spec",
    "GET    /__emulator/orgs/<org>                org, users, connected apps, limits, rules",
    "DELETE /__emulator/orgs/<org>",
    "POST   /__emulator/orgs/<org>/reset          back to its spec",
    "GET    /__emulator/orgs/<org>/records?type=Lead&include_deleted=1",
    "POST   /__emulator/orgs/<org>/records        {type, fields}",
    "GET    /__emulator/orgs/<org>/api-calls      counted calls per endpoint",
    "DELETE /__emulator/orgs/<org>/api-calls      reset the counters",
    "GET    /__emulator/orgs/<org>/limits",
    "PUT    /__emulator/orgs/<org>/limits         {daily_api_requests_max, ..._used}",
    "PATCH  /__emulator/orgs/<org>/settings       {api_enabled, session_timeout_seconds, ...}",
    "GET    /__emulator/orgs/<org>/faults",
    "POST   /__emulator/orgs/<org>/faults         a fault rule",
    "DELETE /__emulator/orgs/<org>/faults[/<id>]",
    "GET    /__emulator/orgs/<org>/tokens         live token counts per user and app",
    "POST   /__emulator/orgs/<org>/revoke-tokens  revoke all its OAuth tokens now",
    "GET    /__emulator/apps/<client_id>",
    "PATCH  /__emulator/apps/<client_id>          {callback_urls, rotate_refresh_tokens, ...}",
]


def error(status: int, message: str):
    return jsonify({"error": message}), status


@bp.errorhandler(NotFound)
def not_found(exc):
    return error(404, str(exc))


@bp.errorhandler(Conflict)
def conflict(exc):
    return error(409, str(exc))


@bp.errorhandler(ValueError)
def bad_request(exc):
    return error(400, str(exc))


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object body")
    return data


def org_id_param(org_id: str) -> str:
    if not ids.is_wellformed(org_id):
        raise NotFound(f"no org {org_id}")
    return emulator_state().store.get_org(org_id)["id"]


def describe_org(org_id: str) -> dict:
    store = emulator_state().store
    org = store.get_org(org_id)
    return {
        "id": org["id"],
        "name": org["name"],
        "kind": org["kind"],
        "my_domain": org["my_domain"],
        "settings": org["settings"],
        "limits": limits_of(org),
        "users": [
            {
                "id": user["Id"],
                "username": user["Username"],
                "email": user["Email"],
                "name": user["Name"],
                "active": user["IsActive"],
                "user_type": user["UserType"],
            }
            for user in store.list_users(org["id"])
        ],
        "connected_apps": [app_view(app) for app in store.list_apps(org["id"])],
        "faults": faults.list_rules(store, org["id"]),
    }


def limits_of(org: dict) -> dict:
    return {"daily_api_requests_max": org["api_max"], "daily_api_requests_used": org["api_used"]}


def app_view(app: dict) -> dict:
    return {
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "name": app["name"],
        "org_id": app["org_id"],
        **app["settings"],
    }


@bp.get("/")
def overview():
    state = emulator_state()
    return jsonify(
        {
            "urls": state.urls.as_dict(),
            "demo_client_id": DEMO_CLIENT_ID,
            "orgs": [
                {"id": org["id"], "name": org["name"], "kind": org["kind"]}
                for org in state.store.list_orgs()
            ],
            "endpoints": ENDPOINTS,
        }
    )


@bp.post("/orgs")
def create_org():
    org = orgs.create_org(emulator_state().store, body())
    return jsonify(describe_org(org["id"])), 201


@bp.get("/orgs/<org_id>")
def get_org(org_id):
    return jsonify(describe_org(org_id_param(org_id)))


@bp.delete("/orgs/<org_id>")
def delete_org(org_id):
    orgs.delete_org(emulator_state().store, org_id_param(org_id))
    return "", 204


@bp.post("/orgs/<org_id>/reset")
def reset_org(org_id):
    org = orgs.reset_org(emulator_state().store, org_id_param(org_id))
    return jsonify(describe_org(org["id"]))


@bp.get("/orgs/<org_id>/records")
def list_records(org_id):
    records = emulator_state().store.list_records(
        org_id_param(org_id),
        request.args.get("type"),
        include_deleted=request.args.get("include_deleted") in ("1", "true"),
    )
    return jsonify({"totalSize": len(records), "records": records})


@bp.post("/orgs/<org_id>/records")
def insert_record(org_id):
    data = body()
    if not data.get("type") or not isinstance(data.get("fields"), dict):
        raise ValueError("expected {type, fields}")
    record = emulator_state().store.insert_record(
        org_id_param(org_id), data["type"], data["fields"]
    )
    return jsonify(record), 201


@bp.get("/orgs/<org_id>/api-calls")
def api_calls(org_id):
    org_id = org_id_param(org_id)
    calls = emulator_state().store.list_api_calls(org_id)
    return jsonify({"total": sum(call["count"] for call in calls), "calls": calls})


@bp.delete("/orgs/<org_id>/api-calls")
def reset_api_calls(org_id):
    emulator_state().store.reset_api_calls(org_id_param(org_id))
    return "", 204


@bp.get("/orgs/<org_id>/limits")
def get_limits(org_id):
    return jsonify(limits_of(emulator_state().store.get_org(org_id_param(org_id))))


@bp.put("/orgs/<org_id>/limits")
def set_limits(org_id):
    data = body()
    store = emulator_state().store
    store.set_limits(
        org_id_param(org_id),
        data.get("daily_api_requests_max"),
        data.get("daily_api_requests_used"),
    )
    return jsonify(limits_of(store.get_org(org_id)))


@bp.patch("/orgs/<org_id>/settings")
def update_settings(org_id):
    org = emulator_state().store.update_org_settings(org_id_param(org_id), **body())
    return jsonify(org["settings"])


@bp.get("/orgs/<org_id>/faults")
def list_faults(org_id):
    return jsonify(faults.list_rules(emulator_state().store, org_id_param(org_id)))


@bp.post("/orgs/<org_id>/faults")
def add_fault(org_id):
    rule = faults.add_rule(emulator_state().store, org_id_param(org_id), body())
    return jsonify(rule), 201


@bp.delete("/orgs/<org_id>/faults")
def clear_faults(org_id):
    faults.delete_rules(emulator_state().store, org_id_param(org_id))
    return "", 204


@bp.delete("/orgs/<org_id>/faults/<int:rule_id>")
def delete_fault(org_id, rule_id):
    if not faults.delete_rules(emulator_state().store, org_id_param(org_id), rule_id):
        raise NotFound(f"no fault rule {rule_id}")
    return "", 204


@bp.get("/orgs/<org_id>/tokens")
def token_stats(org_id):
    return jsonify(tokens.token_stats(emulator_state().store, org_id_param(org_id)))


@bp.post("/orgs/<org_id>/revoke-tokens")
def revoke_tokens(org_id):
    revoked = tokens.revoke_org_tokens(emulator_state().store, org_id_param(org_id))
    return jsonify({"revoked_refresh_tokens": revoked})


@bp.get("/apps/<client_id>")
def get_app(client_id):
    app = emulator_state().store.get_app(client_id)
    if app is None:
        raise NotFound(f"no connected app {client_id}")
    return jsonify(app_view(app))


APP_SETTINGS = {
    "callback_urls",
    "scopes",
    "rotate_refresh_tokens",
    "require_secret",
    "require_secret_for_refresh",
    "allow_password_grant",
    "max_refresh_tokens",
    "client_secret",
}


@bp.patch("/apps/<client_id>")
def update_app(client_id):
    changes = body()
    unknown = set(changes) - APP_SETTINGS
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    if "callback_urls" in changes and not isinstance(changes["callback_urls"], list):
        raise ValueError("callback_urls must be a list")
    return jsonify(app_view(emulator_state().store.update_app(client_id, **changes)))
