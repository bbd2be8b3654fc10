"""Infrastructure: settings, connections, the pooler mode, the role check, migrations,
logging, redaction, errors, lock waits and the one clock."""
