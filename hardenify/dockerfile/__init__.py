"""The lossless Dockerfile model: `parse(text).render() == text` for every input."""

from hardenify.dockerfile.model import (
    Blank,
    Comment,
    Directive,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    Node,
    Stage,
    arg_pairs,
    env_pairs,
    parse,
    split_words,
    substitute,
    unquote,
)

__all__ = [
    "Blank",
    "Comment",
    "Directive",
    "Dockerfile",
    "Flag",
    "Heredoc",
    "Instruction",
    "Node",
    "Stage",
    "arg_pairs",
    "env_pairs",
    "parse",
    "split_words",
    "substitute",
    "unquote",
]
