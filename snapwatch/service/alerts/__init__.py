"""The daemon's notifications (the ``[notify]`` settings): a dead-man's-switch ping after
each tick and a JSON webhook message for each change of state, sent from a thread of
their own so a tick never waits for them.

- :mod:`.message`: the webhook message (schema ``snapwatch.alert/1``) and its chat line;
- :mod:`.transitions`: what changed since the last tick (one message per change);
- :mod:`.pings`: which ping a tick sends, and how often;
- :mod:`.backoff`: the delay before a retry;
- :mod:`.sender`: the bounded queue and the thread that POSTs it;
- :mod:`.notifier`: the daemon's side of all of it.
"""
