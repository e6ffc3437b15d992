"""Links in e-mails come from BASE_URL in any process: no request, no SERVER_NAME (a worker)."""

from flask import has_request_context

from lemontaps.notifications.email import external_url


def test_links_come_from_base_url_without_a_request(app):
    app.config["BASE_URL"] = "https://crm.acme.example:8443/lemontaps/"
    assert not has_request_context() and app.config.get("SERVER_NAME") is None
    assert (
        external_url("contacts.list_contacts", push=7, state="failed")
        == "https://crm.acme.example:8443/lemontaps/contacts/?push=7&state=failed"
    )
    assert (
        external_url("auth.set_password", purpose="invite", token="Zoë's+token")
        == "https://crm.acme.example:8443/lemontaps/auth/set-password/invite/Zo%C3%AB's+token"
    )


def test_links_ignore_the_host_of_the_request(app):
    with app.test_request_context("/", base_url="http://evil.example"):
        assert external_url("integrations.salesforce") == "http://localhost/integrations/salesforce"
