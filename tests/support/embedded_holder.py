"""A process that holds the embedded server until its stdin closes (used by tests)."""

import sys
from pathlib import Path

from snapwatch.infra.embedded import start_embedded

server = start_embedded(Path(sys.argv[1]))
print(server.handle.get_pid(), flush=True)
sys.stdin.readline()
