"""The pre-send check: a recipient list in, the sendable rows out, every removal explained and the
check signed. Owns match keys at scale, the list snapshot a check loads, the loaded list, the
recipient readers (CSV blocks, CSV rows, Parquet) behind one face, the list queried in the database
for lists larger than memory, and signed receipts. May import `core`, `store`, `intake` and `ledger`; never audit, HTTP, CLI or Airflow."""
