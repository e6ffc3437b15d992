"""A requests transport adapter that sends requests into the emulator's WSGI app in-process.

    session = requests.Session()
    EmulatorAdapter(app).mount(session)   # mounts the app's login, sandbox and instance URLs

Status, headers (Set-Cookie included, so the OAuth browser flow works) and body are kept.
Fault rules that drop the connection raise ``requests.ConnectionError``; a response lost after
commit raises ``requests.ReadTimeout`` at once (there is no socket to hang on).
"""

from __future__ import annotations

import io
from email.message import Message
from types import SimpleNamespace
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse
from werkzeug.test import EnvironBuilder

from .faults import ConnectionDropped
from .faults import ResponseLostAfterCommit
from .hosts import HOST_KIND_KEY
from .state import emulator_state


class EmulatorAdapter(HTTPAdapter):
    def __init__(self, wsgi_app, host_kind: str | None = None):
        super().__init__()
        self.wsgi_app = wsgi_app
        self.host_kind = host_kind  # None: derive from the Host header

    def mount(self, session: requests.Session) -> requests.Session:
        """Mount this adapter for the app's three base URLs."""
        for url in emulator_state(self.wsgi_app).urls.as_dict().values():
            session.mount(url.rstrip("/") + "/", self)
        return session

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        headers = dict(request.headers)
        headers.setdefault("Host", parts.netloc)
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        builder = EnvironBuilder(
            method=request.method,
            base_url=f"{parts.scheme}://{parts.netloc}",
            path=parts.path or "/",
            query_string=parts.query,
            headers=headers,
            data=body or b"",
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        if self.host_kind:
            environ[HOST_KIND_KEY] = self.host_kind
        captured = {}

        def start_response(status, response_headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = response_headers
            return lambda data: None

        try:
            app_iter = self.wsgi_app(environ, start_response)
            try:
                content = b"".join(app_iter)
            finally:
                if hasattr(app_iter, "close"):
                    app_iter.close()
        except ResponseLostAfterCommit as lost:
            raise requests.ReadTimeout(str(lost), request=request) from lost
        except ConnectionDropped as dropped:
            raise requests.ConnectionError(str(dropped), request=request) from dropped

        code, _, reason = captured["status"].partition(" ")
        message = Message()
        for name, value in captured["headers"]:
            message[name] = value
        raw = HTTPResponse(
            body=io.BytesIO(content),
            headers=captured["headers"],
            status=int(code),
            reason=reason,
            preload_content=False,
            decode_content=False,
            # requests reads cookies from the original http.client response's headers.
            original_response=SimpleNamespace(msg=message, isclosed=lambda: True),
            request_url=request.url,
        )
        return self.build_response(request, raw)
