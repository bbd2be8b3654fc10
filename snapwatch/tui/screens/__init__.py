"""Screens over the main one: help, inspection, dialogs, the log."""
