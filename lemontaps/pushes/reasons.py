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
    "ambiguous_match": _l(
        "Salesforce's answer was lost, and the record it may have created cannot be told apart "
        "from the records below (or is already another contact's), so none was linked."
    ),
    # skipped
    "already_in_salesforce": _l("Already in Salesforce: it was exported before."),
    "already_being_pushed": _l("Already being pushed by another push."),
    "deleted_before_export": _l("Deleted before export."),
    "not_allowed": _l("Pushing is not allowed for this user any more."),
    "automatic_off": _l("Not pushed: automatic export was switched off before it was sent."),
    "org_changed_dropped": _l(
        "Not pushed: the Salesforce org changed and an admin dropped the waiting contacts."
    ),
    # waiting
    "not_connected": _l("Waiting: no Salesforce org is connected."),
    "needs_reconnect": _l("Waiting: Salesforce needs to be reconnected by an admin."),
    "api_limit": _l("Waiting: the org's daily API limit is nearly used up; it resumes later."),
    "salesforce_unavailable": _l("Waiting: Salesforce did not answer; it is tried again."),
    "email_in_flight": _l("Waiting: a contact with the same e-mail is being pushed."),
    "integration_error": _l(
        "Waiting: the Salesforce app's configuration is refused; the operator has been alerted."
    ),
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


# What to do about it, where the reason itself does not say so already.
HINTS = {
    "too_long": _l("Shorten the value in Lemontaps and push again."),
    "duplicate_lead": _l(
        "Nothing was created. Update the existing Lead in Salesforce, or change the e-mail "
        "here if it is a different person, then push again."
    ),
    "duplicate_contact": _l(
        "Nothing was created. Update the existing Contact in Salesforce, or change the e-mail "
        "here if it is a different person, then push again."
    ),
    "duplicate_in_push": _l(
        "Only the first of them was sent. If they are different people, give this one its own "
        "e-mail and push again."
    ),
    "duplicate_rule": _l(
        "Open the matching record in Salesforce; ask your Salesforce admin if the rule is wrong."
    ),
    "ambiguous_match": _l(
        "Open the records in Salesforce. If none is this contact, push again. If one is, "
        "delete it in Salesforce and push again, so this contact gets a record of its own."
    ),
    "not_allowed": _l("Ask an admin to push it, or to allow end users to push."),
    "not_connected": _l("An admin connects Salesforce on the integration page; it then resumes."),
    "needs_reconnect": _l("An admin reconnects Salesforce on the integration page."),
    "STRING_TOO_LONG": _l("Shorten the value in Lemontaps and push again."),
    "INVALID_EMAIL_ADDRESS": _l("Correct the e-mail address and push again."),
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": _l(
        "Ask your Salesforce admin to allow the value, then push again."
    ),
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": _l(
        "Read Salesforce's message below, correct the contact and push again."
    ),
    "REQUIRED_FIELD_MISSING": _l("Fill in the field Salesforce names below and push again."),
    "FIELD_INTEGRITY_EXCEPTION": _l("Correct the value Salesforce names below and push again."),
    "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY": _l(
        "Ask your Salesforce admin about the automation named below, then push again."
    ),
    "API_DISABLED_FOR_ORG": _l(
        "Your Salesforce admin must give the connected user API access, then push again."
    ),
    "INSUFFICIENT_ACCESS": _l(
        "Your Salesforce admin must let the connected user create this record, then push again."
    ),
    "salesforce_refused": _l("Read Salesforce's message below; if it is unclear, push again."),
    "retries_exhausted": _l("Push again later."),
}


def reason_hint(code: str | None) -> str:
    """What the user can do about the reason `code`; empty when the reason says it."""
    if not code:
        return ""
    if code in REASONS or code in HINTS:
        return str(HINTS.get(code, ""))
    return str(HINTS["salesforce_refused"])


# Notes on an exported record: what the mapping changed on the way (see services.mapping).
NOTES = {
    "country_not_recognised": _l(
        "Salesforce's country list has no such country, so the country is in the description."
    ),
    "not_sent": _l("%(field)s was not sent: Salesforce does not accept its value."),
}


def note_text(note: str) -> str:
    """A note code ("country_not_recognised", "not_sent:Salutation") in words."""
    code, _sep, field = note.partition(":")
    text = NOTES.get(code)
    if text is None:
        return str(_l("Salesforce accepted the record with a change."))
    return str(text) % {"field": field} if "%(field)s" in str(text) else str(text)
