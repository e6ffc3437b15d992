"""`python -m lemontaps.vendor`: put the pinned htmx release in static/vendor/ (the fallback
for when the CDN cannot be reached). It is fetched as the npm package at install time, not
committed, and must match the SRI hash the pages pin."""

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from config import Config

TARGET = Path(__file__).resolve().parent.parent / "static" / "vendor" / "htmx.min.js"


def sri_of(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def fetch_htmx(target: Path = TARGET) -> None:
    if target.exists() and sri_of(target.read_bytes()) == Config.HTMX_SRI:
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is needed once to fetch htmx (install Node.js/npm).")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", f"htmx.org@{Config.HTMX_VERSION}", "--silent"],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        archive = Path(tmp) / f"htmx.org-{Config.HTMX_VERSION}.tgz"
        with tarfile.open(archive) as tar:
            data = tar.extractfile("package/dist/htmx.min.js").read()
    if sri_of(data) != Config.HTMX_SRI:
        sys.exit("htmx.min.js does not match the pinned SRI hash; refusing to use it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


if __name__ == "__main__":
    fetch_htmx()
