"""OAuth 2.0 authorization-server routes: authorize (login + consent pages), token, revoke,
userinfo, the identity URL and OIDC discovery. Formats: docs/salesforce-api.md §2."""

from __future__ import annotations

import base64
import binascii
import secrets
from urllib.parse import unquote_plus
from urllib.parse import urlencode

from flask import Blueprint
from flask import Response
from flask import redirect
from flask import render_template
from flask import request

from . import orgs
from . import tokens
from .auth import bearer_token
from .hosts import host_kind_of
from .responses import NO_STORE
from .responses import oauth_error
from .responses import sf_json
from .state import emulator_state
from .tokens import OAuthError

bp = Blueprint("oauth", __name__)

LOGIN_FAILED = (
    "Please check your username and password. If you still can't log in, "
    "contact your Salesforce administrator."
)
API_VERSION_LATEST = "59.0"


def current_host_kind() -> str:
    return host_kind_of(request.environ, emulator_state().urls)


def session_cookie_name(host_kind: str) -> str:
    # Browsers share cookies across ports of one host, so name them per host kind.
    return f"sf_emulator_sid_{host_kind}"


# ---- /services/oauth2/authorize -------------------------------------------------------------

AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "display",
    "login_hint",
    "nonce",
)


def with_query(url: str, params: dict[str, str]) -> str:
    separator = "&" if "?" in url else "?"
    return url + separator + urlencode({k: v for k, v in params.items() if v is not None})


def redirect_error(params: dict[str, str], error: str, description: str) -> Response:
    return redirect(
        with_query(
            params["redirect_uri"],
            {"error": error, "error_description": description, "state": params.get("state")},
        ),
        code=302,
    )


def error_page(error: str, description: str) -> tuple[str, int]:
    # Salesforce shows these on its own page instead of redirecting to an untrusted URI.
    return render_template("error.html", error=error, description=description), 400


@bp.route("/services/oauth2/authorize", methods=["GET", "POST"])
def authorize():
    source = request.form if request.method == "POST" else request.args
    params = {name: source.get(name) for name in AUTHORIZE_PARAMS if source.get(name)}
    state = emulator_state()
    store = state.store
    host_kind = current_host_kind()
    app = store.get_app(params.get("client_id", ""))
    if app is None:
        return error_page("invalid_client_id", "client identifier invalid")
    if params.get("redirect_uri") not in app["settings"]["callback_urls"]:
        return error_page("redirect_uri_mismatch", "redirect_uri must match configuration")
    if params.get("response_type") != "code":
        return redirect_error(params, "unsupported_response_type", "response type not supported")
    requested = (params.get("scope") or "").split()
    if any(scope not in app["settings"]["scopes"] for scope in requested):
        return redirect_error(params, "invalid_scope", "the requested scope is not allowed")
    method = params.get("code_challenge_method")
    if method and method != "S256":
        return redirect_error(params, "invalid_request", "unsupported code challenge method")
    scope = " ".join(requested) if requested else " ".join(app["settings"]["scopes"])
    prompts = set((params.get("prompt") or "").split())

    step = request.form.get("step") if request.method == "POST" else None
    if step == "login":
        return handle_login(params, app, host_kind, scope)
    user = logged_in_user(host_kind)
    if step == "consent" and user is not None:
        return handle_consent(params, app, user, host_kind, scope)
    if user is None or (step is None and "login" in prompts):
        return render_login(params, host_kind)
    return render_template("approve.html", params=params, app=app, user=user, scopes=scope.split())


def users_for_host(host_kind: str) -> list[dict]:
    store = emulator_state().store
    listing = []
    for org in store.list_orgs():
        if tokens.host_allows_org(host_kind, org["kind"]):
            for user in store.list_users(org["id"]):
                listing.append({**user, "org_name": org["name"]})
    return listing


def render_login(params: dict[str, str], host_kind: str, error: str | None = None, status=200):
    body = render_template(
        "login.html",
        params=params,
        users=users_for_host(host_kind),
        error=error,
        host_kind=host_kind,
        username=request.form.get("username", params.get("login_hint", "")),
    )
    return body, status


def handle_login(params, app, host_kind, scope):
    store = emulator_state().store
    username = (request.form.get("username") or "").strip()
    creds = store.find_credentials(username) if username else None
    ok = creds is not None and orgs.check_password(
        request.form.get("password", ""), creds["password_hash"]
    )
    user = store.get_record(creds["org_id"], creds["user_id"]) if ok else None
    if ok:
        org = store.get_org(creds["org_id"])
        ok = (
            tokens.host_allows_org(host_kind, org["kind"])
            and user["IsActive"]
            and user["UserType"] == "Standard"
        )
    if not ok:
        return render_login(params, host_kind, error=LOGIN_FAILED)
    sid = secrets.token_urlsafe(32)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO browser_sessions (sid_hash, org_id, user_id, host_kind, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (tokens.hash_token(sid), creds["org_id"], creds["user_id"], host_kind, store.now()),
        )
    response = Response(
        render_template("approve.html", params=params, app=app, user=user, scopes=scope.split())
    )
    response.set_cookie(
        session_cookie_name(host_kind),
        sid,
        httponly=True,
        samesite="Lax",
        secure=request.scheme == "https",
    )
    return response


def logged_in_user(host_kind: str) -> dict | None:
    sid = request.cookies.get(session_cookie_name(host_kind))
    if not sid:
        return None
    store = emulator_state().store
    with store.reading() as conn:
        row = conn.execute(
            "SELECT org_id, user_id FROM browser_sessions WHERE sid_hash = ? AND host_kind = ?",
            (tokens.hash_token(sid), host_kind),
        ).fetchone()
        user = store.get_record_in(conn, row["org_id"], row["user_id"]) if row else None
    if user is None or not user["IsActive"]:
        return None
    return user


def handle_consent(params, app, user, host_kind, scope):
    if "oaapprove" not in request.form:
        return redirect_error(params, "access_denied", "end-user denied authorization")
    code = tokens.create_code(
        emulator_state().store,
        client_id=app["client_id"],
        org_id=user["_org_id"],
        user_id=user["Id"],
        redirect_uri=params["redirect_uri"],
        scope=scope,
        code_challenge=params.get("code_challenge"),
        host_kind=host_kind,
    )
    return redirect(
        with_query(params["redirect_uri"], {"code": code, "state": params.get("state")}), code=302
    )


# ---- /services/oauth2/token -----------------------------------------------------------------

GRANTS = {
    "authorization_code": tokens.exchange_code,
    "refresh_token": tokens.refresh,
    "password": tokens.password_grant,
    "client_credentials": tokens.client_credentials_grant,
}


def token_form() -> dict[str, str]:
    form = request.form.to_dict()
    # client_secret_basic (RFC 6749 §2.3.1), which requests-oauthlib uses by default.
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "invalid client credentials") from None
        form.setdefault("client_id", unquote_plus(client_id))
        form.setdefault("client_secret", unquote_plus(secret))
    return form


@bp.post("/services/oauth2/token")
def token():
    state = emulator_state()
    host_kind = current_host_kind()
    try:
        form = token_form()
        grant_fn = GRANTS.get(form.get("grant_type", ""))
        if grant_fn is None:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        grant = grant_fn(state.store, form, host_kind)
    except OAuthError as error:
        return oauth_error(error.error, error.description, error.status)
    identity_url = f"{state.urls.base_for(grant.host_kind)}/id/{grant.org_id}/{grant.user_id}"
    body = {"access_token": grant.access_token}
    if grant.refresh_token:
        body["refresh_token"] = grant.refresh_token
    body.update(
        {
            "signature": tokens.token_signature(
                grant.client_secret, identity_url, grant.issued_at_ms
            ),
            "scope": grant.scope,
            "instance_url": state.urls.instance_url,
            "id": identity_url,
            "token_type": "Bearer",
            "issued_at": str(grant.issued_at_ms),
        }
    )
    return sf_json(body)


# ---- /services/oauth2/revoke ----------------------------------------------------------------


@bp.route("/services/oauth2/revoke", methods=["GET", "POST"])
def revoke():
    try:
        tokens.revoke(emulator_state().store, request.values.get("token", ""))
    except OAuthError as error:
        return oauth_error(error.error, error.description, error.status)
    response = Response(b"", status=200)
    response.headers["Cache-Control"] = NO_STORE
    return response


# ---- userinfo and identity URL --------------------------------------------------------------


def bad_oauth_token() -> Response:
    # What Salesforce answers on these two endpoints for a bad token (not the data API's 401).
    return Response("Bad_OAuth_Token", status=403, content_type="text/plain;charset=UTF-8")


def identity_context():
    token = bearer_token(request) or request.values.get("oauth_token") or ""
    from .auth import MAX_TOKEN_AGE_KEY

    return tokens.validate_access_token(
        emulator_state().store, token, max_age_seconds=request.environ.get(MAX_TOKEN_AGE_KEY)
    )


def user_urls(org_id: str, user_id: str, version: str) -> dict[str, str]:
    base = emulator_state().urls.instance_url
    rest = f"{base}/services/data/v{version}/"
    return {
        "enterprise": f"{base}/services/Soap/c/{version}/{org_id[:15]}",
        "metadata": f"{base}/services/Soap/m/{version}/{org_id[:15]}",
        "partner": f"{base}/services/Soap/u/{version}/{org_id[:15]}",
        "rest": rest,
        "sobjects": rest + "sobjects/",
        "search": rest + "search/",
        "query": rest + "query/",
        "recent": rest + "recent/",
        "tooling_soap": f"{base}/services/Soap/T/{version}/{org_id[:15]}",
        "tooling_rest": rest + "tooling/",
        "profile": f"{base}/{user_id}",
        "feeds": rest + "chatter/feeds",
        "groups": rest + "chatter/groups",
        "users": rest + "chatter/users",
        "feed_items": rest + "chatter/feed-items",
        "custom_domain": base,
    }


def photos(user_id: str) -> dict[str, str]:
    base = emulator_state().urls.instance_url
    return {"picture": f"{base}/profilephoto/005/F", "thumbnail": f"{base}/profilephoto/005/T"}


def user_type_label(user: dict) -> str:
    return "STANDARD" if user["UserType"] == "Standard" else user["UserType"].upper()


@bp.get("/id/<org_id>/<user_id>")
def identity(org_id: str, user_id: str):
    context = identity_context()
    if context is None:
        return bad_oauth_token()
    store = emulator_state().store
    if org_id[:15] != context.org_id[:15]:
        return bad_oauth_token()
    user = store.get_record(context.org_id, user_id)
    if user is None or user["_type"] != "User":
        return Response("Bad_Id", status=404, content_type="text/plain;charset=UTF-8")
    version = request.args.get("version")
    version = API_VERSION_LATEST if version == "latest" else (version or "{version}")
    base = emulator_state().urls.base_for(current_host_kind())
    body = {
        "id": f"{base}/id/{context.org_id}/{user['Id']}",
        "asserted_user": user["Id"] == context.user_id,
        "user_id": user["Id"],
        "organization_id": context.org_id,
        "username": user["Username"],
        "nick_name": user["CommunityNickname"],
        "display_name": user["Name"],
        "email": user["Email"],
        "email_verified": True,
        "first_name": user["FirstName"],
        "last_name": user["LastName"],
        "timezone": user["TimeZoneSidKey"],
        "photos": photos(user["Id"]),
        "addr_street": None,
        "addr_city": None,
        "addr_state": None,
        "addr_country": None,
        "addr_zip": None,
        "mobile_phone": None,
        "mobile_phone_verified": False,
        "is_lightning_login_user": False,
        "status": {"created_date": None, "body": None},
        "urls": user_urls(context.org_id, user["Id"], version),
        "active": user["IsActive"],
        "user_type": user_type_label(user),
        "language": user["LanguageLocaleKey"],
        "locale": user["LocaleSidKey"],
        "utcOffset": 3600000,
        "last_modified_date": user["LastModifiedDate"],
        "is_app_installed": True,
    }
    return sf_json(body)


@bp.route("/services/oauth2/userinfo", methods=["GET", "POST"])
def userinfo():
    context = identity_context()
    if context is None:
        return bad_oauth_token()
    state = emulator_state()
    user = state.store.get_record(context.org_id, context.user_id)
    base = state.urls.base_for(context.host_kind)
    body = {
        "sub": f"{base}/id/{context.org_id}/{user['Id']}",
        "user_id": user["Id"],
        "organization_id": context.org_id,
        "preferred_username": user["Username"],
        "nickname": user["CommunityNickname"],
        "name": user["Name"],
        "email": user["Email"],
        "email_verified": True,
        "given_name": user["FirstName"],
        "family_name": user["LastName"],
        "zoneinfo": user["TimeZoneSidKey"],
        "photos": photos(user["Id"]),
        "profile": f"{state.urls.instance_url}/{user['Id']}",
        "picture": photos(user["Id"])["picture"],
        "address": {"country": None},
        "is_salesforce_integration_user": False,
        "urls": user_urls(context.org_id, user["Id"], "{version}"),
        "active": user["IsActive"],
        "user_type": user_type_label(user),
        "language": user["LanguageLocaleKey"],
        "locale": user["LocaleSidKey"],
        "utcOffset": 3600000,
        "updated_at": user["LastModifiedDate"],
        "is_app_installed": True,
    }
    return sf_json(body)


@bp.get("/.well-known/openid-configuration")
def openid_configuration():
    base = emulator_state().urls.base_for(current_host_kind())
    return sf_json(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/services/oauth2/authorize",
            "token_endpoint": f"{base}/services/oauth2/token",
            "revocation_endpoint": f"{base}/services/oauth2/revoke",
            "userinfo_endpoint": f"{base}/services/oauth2/userinfo",
            "response_types_supported": ["code"],
            "grant_types_supported": sorted(GRANTS),
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": orgs.DEFAULT_SCOPES,
        }
    )
