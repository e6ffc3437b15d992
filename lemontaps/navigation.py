"""The main menu: (endpoint, label, admin only). Hiding an item is not access control."""

from flask_babel import lazy_gettext as _l

NAV_LINKS = [
    ("contacts.list_contacts", _l("Contacts"), False),
    ("imports.upload_form", _l("Import"), True),
    ("integrations.salesforce", _l("Salesforce"), True),
    ("accounts.list_users", _l("Users"), True),
    ("accounts.profile", _l("Profile"), False),
]


def nav_links():
    return NAV_LINKS
