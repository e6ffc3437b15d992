"""A local stand-in for Salesforce: orgs, OAuth, faults and a control API (see README.md).

Public surface:
- ``create_emulator_app(db_path=None, **options)`` -> WSGI (Flask) app
- ``server.serve(...)``, ``server.start_in_thread(...)`` -> threaded server on three loopback ports
- ``transport.EmulatorAdapter(app)`` -> requests adapter into the app, in-process
- ``control.ControlClient(base_url)`` -> the ``/__emulator/`` control API for tests
- ``auth.authenticate(request)`` -> the caller of a data API request, or a 401
"""

from .app import create_emulator_app
from .auth import InvalidSession
from .auth import authenticate
from .seed import DEMO_ADMIN_USERNAME
from .seed import DEMO_CLIENT_ID
from .seed import DEMO_CLIENT_SECRET
from .seed import DEMO_PASSWORD

__all__ = [
    "DEMO_ADMIN_USERNAME",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_PASSWORD",
    "InvalidSession",
    "authenticate",
    "create_emulator_app",
]
