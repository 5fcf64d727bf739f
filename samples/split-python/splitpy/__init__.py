"""Sample service for hardenify's split-stages fixer (HF413)."""
