"""Command-line tools people install from language registries into images (HF417).

A `pip install poetry` is a tool install (its version decides how the build behaves), unlike
`pip install flask`, a project dependency that belongs in a lockfile. Names are PyPI
distributions whose purpose is a console script (their PyPI pages and `[project.scripts]`);
the list errs on the small side: a tool missing here is only not reported.
"""

from __future__ import annotations

PIP_TOOLS = frozenset(
    {
        "ansible",
        "ansible-core",
        "ansible-lint",
        "awscli",
        "aws-sam-cli",
        "azure-cli",
        "black",
        "checkov",
        "conan",
        "cookiecutter",
        "dbt-core",
        "docker-compose",
        "dvc",
        "flake8",
        "hatch",
        "httpie",
        "isort",
        "mkdocs",
        "mypy",
        "nox",
        "pdm",
        "pip-tools",
        "pipenv",
        "pipx",
        "poetry",
        "pre-commit",
        "pylint",
        "pytest",
        "ruff",
        "s3cmd",
        "semgrep",
        "supervisor",
        "tox",
        "twine",
        "uv",
        "virtualenv",
        "yamllint",
        "yq",
    }
)

#: Hints that pin a tool's version, per registry (for messages).
HOW_TO_PIN = {
    "go": "`@vX.Y.Z`",
    "cargo": "`--version X.Y.Z --locked`",
    "npm": "`<name>@X.Y.Z`",
    "yarn": "`<name>@X.Y.Z`",
    "pnpm": "`<name>@X.Y.Z`",
    "pip": "`<name>==X.Y.Z`",
    "pipx": "`<name>==X.Y.Z`",
    "gem": "`-v X.Y.Z`",
}
