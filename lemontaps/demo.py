"""Demo data for `make run`: one account, an admin and two end users."""

from lemontaps.models import Role
from lemontaps.services import users
from lemontaps.services.passwords import PasswordService

DEMO_ACCOUNT = "Demo GmbH"
DEMO_PASSWORD = "lemontaps-demo"
DEMO_ADMIN = "admin@demo.lemontaps.test"
DEMO_END_USERS = (("anna@demo.lemontaps.test", "Anna Weber"), ("ben@demo.lemontaps.test", "Ben Okafor"))


def seed_demo(passwords: PasswordService) -> bool:
    if users.find_user_by_email(DEMO_ADMIN):
        return False
    account, _admin = users.create_account(
        passwords, DEMO_ACCOUNT, DEMO_ADMIN, "Dana Admin", DEMO_PASSWORD
    )
    password_hash = passwords.hash(DEMO_PASSWORD)
    for email, name in DEMO_END_USERS:
        user = users.invite_user(account, email, name, Role.USER.value)
        user.password_hash = password_hash
    return True


def demo_logins() -> list[tuple[str, str, str]]:
    return [(DEMO_ADMIN, DEMO_PASSWORD, "admin")] + [
        (email, DEMO_PASSWORD, "end user") for email, _ in DEMO_END_USERS
    ]



