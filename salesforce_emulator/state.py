"""The per-app emulator state (store, URLs, options), reachable from any route."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from flask import current_app

from .hosts import EmulatorUrls
from .store import Store

EXTENSION_KEY = "salesforce_emulator"


@dataclass
class EmulatorState:
    store: Store
    urls: EmulatorUrls
    # How long a "timeout_after_commit" fault keeps the socket open before dropping it.
    hang_seconds: float = 30.0
    options: dict = field(default_factory=dict)

    def close(self) -> None:
        self.store.close()


def emulator_state(app=None) -> EmulatorState:
    return (app or current_app).extensions[EXTENSION_KEY]
