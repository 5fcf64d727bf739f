"""`hardenify new`: detect a project, collect answers, render hardened files, check, write.

The pipeline, one module per step:

* `detect` (+ `pyintrospect`, libcst) reads the project and returns facts: the stack, the
  port, the start command, the env vars the code reads, and so on;
* `templateset` loads the template library (`templates/` shipped with hardenify, optionally
  overlaid by an organisation's `--template-dir`): `questions.yaml` and one `<stack>/stack.yaml`
  per stack;
* `questions` turns facts, flags, `--data`, saved answers and (on a TTY) the `wizard` into
  validated answers;
* `render` resolves digests, renders the Jinja2 templates with StrictUndefined and lints the
  result with hardenify's own engine: nothing is written unless it has zero findings;
* `answers` reads and writes `.hardenify-answers.yml`, which also keeps the rendered files as
  the base of `merge`, the 3-way merge `--update` uses to keep the user's edits.

Heavy dependencies (jinja2, libcst, ruamel.yaml, questionary) are imported inside functions, so
importing this package costs nothing for `hardenify check`.
"""
