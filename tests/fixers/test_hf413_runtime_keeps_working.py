"""HF413's split keeps the image working (issue 14 items 3 and 10)."""

from __future__ import annotations

import dockerfile
import pytest

from hardenify.engine import fix_text
from hardenify.settings import Settings
from tests.fixers.util import findings, fixed

GO = 'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/app .\n{gap}CMD ["/out/app"]\n'
DIGEST = "@sha256:" + "a" * 64


def _all_rules(text: str) -> str:
    res = fix_text("Dockerfile", text, "dockerfile", Settings(unsafe_fixes=True))
    assert res.refused is None, res.refused
    return res.text


def _runtime(text: str) -> str:
    return text[text.rindex("\nFROM ") :]


@pytest.mark.parametrize("gap", ["", "\n", "\n\n"])
def test_no_run_in_the_shell_less_runtime_whatever_the_blank_lines(gap: str) -> None:
    out = _all_rules(GO.format(gap=gap))
    runtime = _runtime(out)
    assert "distroless" in runtime
    assert "\nRUN " not in runtime, out
    assert "USER root" not in out and "USER 0" not in out
    dockerfile.parse_string(out)


def test_the_runtime_stage_keeps_the_digest_pin() -> None:
    text = f'FROM node:20-alpine{DIGEST}\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN npm run build\nCMD ["node", "dist/s.js"]\n'
    out = fixed(text, "HF413", unsafe=True)
    froms = [ln for ln in out.splitlines() if ln.startswith("FROM ")]
    assert len(froms) == 2 and all(DIGEST in ln for ln in froms), out


def test_a_pinned_file_gets_no_unpinned_runtime() -> None:
    text = GO.format(gap="").replace("golang:1.22", f"golang:1.22{DIGEST}")
    ds = findings(text, "HF413")
    assert ds[0].fix is None and "pinned by digest" in ds[0].message
    hinted = f"# hardenify: runtime=gcr.io/distroless/static-debian12:nonroot{DIGEST}\n" + text
    out = fixed(hinted, "HF413", unsafe=True)
    assert f"FROM gcr.io/distroless/static-debian12:nonroot{DIGEST}" in out


def test_healthcheck_is_moved_not_duplicated_and_user_precedes_cmd() -> None:
    text = (
        'FROM node:20\nWORKDIR /app\nCOPY . .\nHEALTHCHECK CMD ["node", "health.js"]\nRUN npm ci\n'
        'RUN npm run build\nUSER node\nCMD ["node", "dist/server.js"]\n'
    )
    out = _all_rules(text)
    assert out.count("HEALTHCHECK") == 1
    runtime = _runtime(out)
    assert "HEALTHCHECK" in runtime
    assert runtime.index("\nUSER ") < runtime.index("\nCMD ")


def test_ca_certificates_and_tzdata_follow_into_the_runtime() -> None:
    text = (
        "FROM golang:1.22\nRUN apt-get update && apt-get install -y ca-certificates tzdata\nWORKDIR /src\n"
        'COPY . .\nRUN CGO_ENABLED=0 go build -o /out/app .\nCMD ["/out/app"]\n'
    )
    out = fixed(text, "HF413", unsafe=True)
    runtime = _runtime(out)
    for path in ("/etc/ssl/certs", "/usr/share/ca-certificates", "/usr/share/zoneinfo"):
        assert f"COPY --from=build {path} {path}" in runtime


def test_a_privilege_dropper_blocks_the_split() -> None:
    text = (
        "FROM golang:1.22\nRUN apt-get update && apt-get install -y gosu\nWORKDIR /src\nCOPY . .\n"
        'RUN CGO_ENABLED=0 go build -o /out/app .\nENTRYPOINT ["/src/entrypoint.sh"]\nCMD ["/out/app"]\n'
    )
    ds = findings(text, "HF413")
    assert ds and ds[0].fix is None and "gosu" in ds[0].message
