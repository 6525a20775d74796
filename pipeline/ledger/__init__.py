"""The ledger: the chained, append-only event history and the suppression list folded from it.
Owns `ingest` (a day's files of one channel, read through its `Channel` face, stored as intake
records with their events and review items, one transaction per file), events and their hash
chain, suppression state (monotonic, lifted only by re-consent),
publishing a list version, the auditor's lookups over history, and opt-outs entered by hand.
May import `core`, `store` and `intake`; never channels, the check or anything above."""
