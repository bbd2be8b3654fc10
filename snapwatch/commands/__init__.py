"""One-shot commands: each takes settings and a target and returns an exit code."""
