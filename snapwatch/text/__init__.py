"""Every human text shared by the command line and the app: times, ages, durations,
labels, bands and their styles, terminal-safe strings. Imports nothing above the core."""
