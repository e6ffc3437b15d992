"""User-facing sentences for connection outcomes and checks."""

from flask_babel import gettext as _

CONNECT_ERRORS = {
    "denied": lambda: _("You did not allow access in Salesforce. Nothing was connected."),
    "authorize_error": lambda: _("Salesforce refused the request. Nothing was connected."),
    "invalid_state": lambda: _(
        "This answer from Salesforce does not belong to a connection "
        "you started. Nothing was connected; please start again."
    ),
    "replayed_state": lambda: _(
        "This answer from Salesforce was already used. Nothing was connected; please start again."
    ),
    "foreign_state": lambda: _(
        "This connection was started by another user. Nothing was "
        "connected; please start again yourself."
    ),
    "expired_state": lambda: _("The connection attempt took too long. Please start again."),
    "token_error": lambda: _("Salesforce did not issue access. Nothing was connected."),
    "host_not_allowed": lambda: _(
        "Salesforce pointed us to a host outside Salesforce. Nothing was connected."
    ),
    "api_disabled": lambda: _(
        "This org (or this Salesforce user) has no API access, which "
        "the export needs. Nothing was connected."
    ),
    "salesforce_error": lambda: _("Salesforce answered with an error. Nothing was connected."),
}

CHECK_LABELS = {
    "api_access": lambda: _("API access"),
    "lead_createable": lambda: _("Leads can be created"),
    "contact_createable": lambda: _("Contacts can be created"),
    "lead_lead_source": lambda: _("Lead Source accepts “Lemontaps” on Leads"),
    "contact_lead_source": lambda: _("Lead Source accepts “Lemontaps” on Contacts"),
    "lead_external_id": lambda: _("External ID field Lemontaps_Id__c on Lead"),
    "contact_external_id": lambda: _("External ID field Lemontaps_Id__c on Contact"),
    "contact_visibility_note": lambda: _(
        "Contacts without an Account are visible only to their owner and admins."
    ),
}

CHECK_HINTS = {
    "lead_external_id": lambda: _(
        "Optional. Without it, lost answers are reconciled by a "
        "query; with it, every create is an idempotent upsert."
    ),
    "contact_external_id": lambda: _("Optional. See the README for how to create it."),
    "lead_lead_source": lambda: _("Add “Lemontaps” to the Lead Source picklist in Setup."),
    "contact_lead_source": lambda: _("Add “Lemontaps” to the Lead Source picklist in Setup."),
}


def connect_error_message(code: str) -> str:
    return CONNECT_ERRORS.get(code, CONNECT_ERRORS["salesforce_error"])()


def check_label(key: str) -> str:
    return CHECK_LABELS[key]() if key in CHECK_LABELS else key


def check_hint(key: str) -> str:
    return CHECK_HINTS[key]() if key in CHECK_HINTS else ""
