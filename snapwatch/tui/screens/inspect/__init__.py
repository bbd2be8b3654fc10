"""Inspecting stored snapshots: the document, tree, diff and chart screens, their reads,
their text, and the standalone inspection app."""
