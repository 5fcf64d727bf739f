"""Fleet report: findings across many repositories as self-contained HTML, Markdown and JSON.

`model` collects and compares (the JSON is also the `--baseline` input of the next run),
`html` and `markdown` render it, `svg` draws the top-rules chart, `markdown_util` escapes.
"""
