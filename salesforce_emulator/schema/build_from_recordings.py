"""Regenerate lead.json and contact.json from the recorded describe responses.

Run by hand when the recordings change:

    python -m salesforce_emulator.schema.build_from_recordings [RECORDINGS_DIR]

RECORDINGS_DIR defaults to tests/recordings/ of this repository (third-party
recordings with their licences). The emulator itself only reads the committed
JSON: the tests folder is not part of an installation.

The recordings are VCR YAML cassettes; the describe body sits in a folded
block scalar under ``response.body.string``. PyYAML is not a dependency, so
this reads exactly that layout: the JSON in the recordings has no line break
inside a string, so joining the block's lines with newlines gives valid JSON.

The only rewrite: the org's host and the API version in the body become the
placeholders ``{instance_url}`` and ``{version}``, filled in per request by
``ObjectSchema.describe_json``. Everything else is kept byte-for-byte in
meaning (same keys, same order).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCHEMA_DIR.parent.parent
CASSETTE_DIR = Path("cumulusci/cumulusci/tests/shared_cassettes")
RECORDED_OBJECTS = ("Lead", "Contact")

VERSION_PLACEHOLDER = "{version}"
INSTANCE_URL_PLACEHOLDER = "{instance_url}"

_DATA_PATH_VERSION = re.compile(r"/services/data/v(?:\d+\.\d+|xx\.0)/")
# Recorded hosts: a scratch org's My Domain and CumulusCI's sanitised "orgname".
_ORG_HOST = re.compile(r"https://[A-Za-z0-9.-]+\.salesforce\.com")


def default_recordings_dir() -> Path:
    return REPO_ROOT / "tests" / "recordings"


def cassette_path(recordings_dir: Path, object_name: str) -> Path:
    return recordings_dir / CASSETTE_DIR / f"GET_sobjects_{object_name}_describe.yaml"


def read_cassette_body(path: Path) -> str:
    """Return the text of ``response.body.string`` from a one-interaction cassette."""
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(index for index, line in enumerate(lines) if line.strip().startswith("string: >"))
    block_indent = _indent_of(lines[start + 1])
    body_lines = []
    for line in lines[start + 1 :]:
        if line.strip() and _indent_of(line) < block_indent:
            break  # dedent ends the block scalar
        body_lines.append(line[block_indent:])
    return "\n".join(body_lines).strip()


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def templated_describe(body_text: str) -> dict:
    """Parse a describe body and replace the org host and version by placeholders."""
    text = _DATA_PATH_VERSION.sub(f"/services/data/v{VERSION_PLACEHOLDER}/", body_text)
    text = _ORG_HOST.sub(INSTANCE_URL_PLACEHOLDER, text)
    return json.loads(text)


def build(recordings_dir: Path) -> dict[str, str]:
    """Map each output file name to the exact text it should contain."""
    outputs = {}
    for object_name in RECORDED_OBJECTS:
        path = cassette_path(recordings_dir, object_name)
        describe = templated_describe(read_cassette_body(path))
        outputs[f"{object_name.lower()}.json"] = render(describe)
    return outputs


def render(describe: dict) -> str:
    # One line per field keeps diffs readable while the file stays compact.
    head = {key: value for key, value in describe.items() if key != "fields"}
    field_lines = ",\n".join(
        json.dumps(field, ensure_ascii=False, separators=(",", ":")) for field in describe["fields"]
    )
    head_text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    return head_text[:-1] + ',\n"fields":[\n' + field_lines + "\n]}\n"


def main(argv: list[str]) -> int:
    recordings_dir = Path(argv[1]) if len(argv) > 1 else default_recordings_dir()
    if not (recordings_dir / CASSETTE_DIR).is_dir():
        print(f"recordings not found under {recordings_dir}", file=sys.stderr)
        return 1
    for file_name, text in build(recordings_dir).items():
        (SCHEMA_DIR / file_name).write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_DIR / file_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
