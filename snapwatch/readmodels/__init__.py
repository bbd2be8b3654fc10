"""Read models: what the terminal app and the ``status`` command show, one query each.

This package is part of the core and never imports Textual.
"""
