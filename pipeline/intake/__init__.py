"""Intake: what a file in the landing zone holds, as intake records. Owns the landing zone
boundary, CSV rows, the record and its outcomes, request times, phone numbers, the accounts
snapshot, signed unsubscribe tokens, and the small `Channel` face a channel's reader fills in
(`pipeline.ledger.ingest` reads a day's files through it and stores what they hold). May import
`core` and `store`; never a channel module, the ledger or anything above."""
