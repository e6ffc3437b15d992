"""Why a contact was not exported, in words a user understands, and what to do about it."""

from flask_babel import lazy_gettext as _l

REASONS = {
    # checks before any API call
    "missing_name": _l("The contact has no name. Add a first or last name and push again."),
    "missing_company": _l("Leads need a company. Add the company and push again."),
    "too_long": _l("Too long for Salesforce: %(field)s (max %(limit)s, has %(length)s)."),
    # duplicates
    "duplicate_lead": _l("A Lead with this e-mail already exists: open it in Salesforce."),
    "duplicate_contact": _l("A Contact with this e-mail already exists: open it in Salesforce."),
    "duplicate_in_push": _l("Another contact with this e-mail was pushed at the same time."),
    "duplicate_rule": _l("Your Salesforce duplicate rule blocked it as a duplicate."),
    # skipped
    "already_in_salesforce": _l("Already in Salesforce: it was exported before."),
    "already_being_pushed": _l("Already being pushed by another push."),
    "deleted_before_export": _l("Deleted before export."),
    "not_allowed": _l("Pushing is not allowed for this user any more."),
    # waiting
    "not_connected": _l("Waiting: no Salesforce org is connected."),
    "needs_reconnect": _l("Waiting: Salesforce needs to be reconnected by an admin."),
    "api_limit": _l("Waiting: the org's daily API limit is nearly used up; it resumes later."),
    "salesforce_unavailable": _l("Waiting: Salesforce did not answer; it is tried again."),
    "email_in_flight": _l("Waiting: a contact with the same e-mail is being pushed."),
    "org_changed": _l("Waiting: the connected org changed; an admin must confirm the push."),
    # Salesforce refusals (errorCode)
    "STRING_TOO_LONG": _l("Salesforce says a value is too long."),
    "INVALID_EMAIL_ADDRESS": _l("Salesforce does not accept the e-mail address."),
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": _l(
        "Salesforce does not accept a value for a picklist field (e.g. Lead Source)."
    ),
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": _l("A validation rule in your org refused it."),
    "REQUIRED_FIELD_MISSING": _l("Your org requires a field that the contact does not have."),
    "FIELD_INTEGRITY_EXCEPTION": _l("Salesforce refused a value (e.g. an unknown country)."),
    "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY": _l(
        "Automation in your org (a trigger or flow) refused the record."
    ),
    "API_DISABLED_FOR_ORG": _l("The org (or the connected user) has no API access."),
    "INSUFFICIENT_ACCESS": _l("The connected Salesforce user may not create this record."),
    "salesforce_refused": _l("Salesforce refused the record."),
    "retries_exhausted": _l("Salesforce kept failing to answer. Try again later."),
}


def reason_text(code: str | None, **values) -> str:
    if not code:
        return ""
    text = REASONS.get(code, REASONS["salesforce_refused"])
    return str(text) % values if values else str(text)
