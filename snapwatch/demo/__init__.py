"""The deterministic demo fleet: build it in memory, seed it into a database."""
