"""Intake: from a file in the landing zone to stored intake records. Owns the landing zone
boundary, CSV rows, the record and its outcomes, request times, phone numbers, the accounts
snapshot, signed unsubscribe tokens, and `ingest`, which reads a day's files through a channel's
reader (the small `Channel` face defined here) and stores what they hold. May import `core` and
`store`; never a channel module, the ledger or anything above."""
