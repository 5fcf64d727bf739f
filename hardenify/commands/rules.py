"""`hardenify rule CODE` and `hardenify rules`: the docs of every rule, from its metadata."""

from __future__ import annotations

import json
import sys

import click

from hardenify.rules import Rule, all_rules, get_rule


def rules_table_markdown() -> str:
    """The README's rule table; a test keeps the README in sync with this."""
    lines = [
        "| Code | Name | Severity | Fix | Summary | Cross-references |",
        "|---|---|---|---|---|---|",
    ]
    for r in all_rules():
        refs = "; ".join(f"{tool}: {', '.join(ids)}" for tool, ids in r.references.items() if ids)
        summary = r.summary.replace("|", "\\|")
        lines.append(
            f"| {r.code} | {r.name} | {r.severity.value} | {r.fix_availability.value} | {summary} | {refs} |"
        )
    return "\n".join(lines) + "\n"


def _as_dict(r: Rule) -> dict[str, object]:
    return {
        "code": r.code,
        "name": r.name,
        "severity": r.severity.value,
        "category": r.category,
        "fix": r.fix_availability.value,
        "summary": r.summary,
        "url": r.url,
        "references": {tool: list(ids) for tool, ids in r.references.items() if ids},
        "kinds": list(r.kinds),
        "explanation": r.docs(),
    }


@click.command("rule", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("code", metavar="CODE|NAME")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rule_command(code: str, output_format: str) -> None:
    """Print the documentation of one rule (by code such as HF101, or by name such as root-user).

    Also accepts a hadolint id (DL3002) and shows the hardenify rules that cover it.
    """
    r = get_rule(code)
    if r is None:
        matches = [x for x in all_rules() if code.upper() in x.references.hadolint]
        if not matches:
            click.echo(f"hardenify: unknown rule {code!r}; `hardenify rules` lists them all", err=True)
            sys.exit(2)
        r = matches[0]
    if output_format == "json":
        click.echo(json.dumps(_as_dict(r), indent=2))
    else:
        click.echo(r.docs(), nl=False)


@click.command("rules", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--output-format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="markdown prints the table used in the README.",
)
@click.option(
    "--select", "select", default=None, help="Only rules matching these codes/prefixes (comma-separated)."
)
def rules_command(output_format: str, select: str | None) -> None:
    """List every rule: code, name, severity, whether it can be fixed, and what it checks."""
    from hardenify.rules import matches

    chosen = [r for r in all_rules() if not select or matches(r.code, select.split(","))]
    if output_format == "json":
        click.echo(json.dumps([_as_dict(r) for r in chosen], indent=2))
        return
    if output_format == "markdown":
        click.echo(rules_table_markdown(), nl=False)
        return
    width = max((len(r.name) for r in chosen), default=10)
    for r in chosen:
        fix = {"safe": "fix", "unsafe": "unsafe-fix", "sometimes": "fix*", "none": ""}[
            r.fix_availability.value
        ]
        click.echo(f"{r.code}  {r.name:<{width}}  {r.severity.value:<7}  {fix:<10}  {r.summary}")


command = rules_command
