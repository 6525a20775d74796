"""Who may use the console and what they saw: console users (names, roles, password hashes)
and the access log of every view or download of personal data. May import `core`, `store`,
`intake`, `channels` and `ledger` (for the keyed hash); never `check`, `audit`, HTTP or CLI."""
