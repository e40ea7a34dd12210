"""The session record: an append-only, hash-chained, redacted event log beside the checkpoints.

``events.py`` (the event and its kinds), ``canonical.py`` (the bytes that are hashed), ``log.py`` (the
writer, continuing the chain across processes), ``verify.py`` (the chain check naming the first bad
event), ``redact.py`` (secrets out before anything is written), ``recorder.py`` (what the choke points
call), ``prices.py`` (the price table behind the cost), ``summary.py`` (what ``zdt audit`` shows, built
apart from any rendering).
"""
