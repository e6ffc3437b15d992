"""The demo's mail server: accepts every mail on loopback, keeps it as an .eml file and prints
one line per mail, so invitations and reset links of `make run` can be opened without SMTP.

Run as `python -m lemontaps.mail_catcher --port 8025 --folder instance/mail`.
"""

import argparse
import email
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller


class SaveToFolder:
    """aiosmtpd handler: every mail becomes `<time>-<random>.eml` in `folder`."""

    def __init__(self, folder: Path, echo: Callable[[str], None] = print):
        self.folder = folder
        self.echo = echo

    async def handle_DATA(self, server, session, envelope) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Two mails in the same second still get files of their own.
        path = self.folder / f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}.eml"
        path.write_bytes(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        recipients = ", ".join(envelope.rcpt_tos)
        self.echo(f"mail to {recipients}: {message['Subject']} -> {path}")
        return "250 Message accepted for delivery"


def start(folder: Path, port: int, echo: Callable[[str], None] = print) -> Controller:
    """Listen on 127.0.0.1:port in a background thread; the caller stops the controller."""
    controller = Controller(SaveToFolder(folder, echo), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--folder", type=Path, default=Path("instance") / "mail")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    controller = start(args.folder, args.port, lambda line: print(line, flush=True))
    print(f"Mail catcher on 127.0.0.1:{args.port}, mails go to {args.folder}/", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
