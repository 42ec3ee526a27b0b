"""What the sandboxes share: the same HTTP plumbing, fault injection, idempotency-key store and
command line, so a fix to one (say, how a 404 becomes a PROTOCOL.md error) reaches both.

Each sandbox keeps what is its own: its error codes, auth scheme, routes and idempotency rules.
"""
