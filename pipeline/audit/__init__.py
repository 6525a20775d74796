"""What auditors and data-protection officers use: the campaign audit, response deadlines, the
compliance report and its HTML, list exports, erasure and redaction, the review queue, and
`verify`, which recomputes the chain, the list digests and the snapshots. May import everything
below it (`core`, `store`, `intake`, `channels`, `ledger`, `check`); never HTTP, CLI or Airflow."""
