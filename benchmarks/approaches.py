"""The approaches the benchmark times, each run as its own process (so peak memory is its own).

    python -m benchmarks.approaches floor INPUT OUTPUT
    python -m benchmarks.approaches plain INPUT OUTPUT DB_URL
    python -m benchmarks.approaches duckdb INPUT OUTPUT KEYS_PARQUET

Each prints one JSON line with its own timings.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def floor(src: Path, dst: Path) -> dict[str, float]:
    """Read and write the same CSV with no work: Arrow's streaming reader and writer, all columns
    as strings (the fastest CSV round trip available here)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    start = time.perf_counter()
    names = pacsv.open_csv(src).schema.names
    reader = pacsv.open_csv(
        src, read_options=pacsv.ReadOptions(block_size=1 << 24),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False),
    )
    with pacsv.CSVWriter(dst, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
    return {"seconds": time.perf_counter() - start}


def plain(src: Path, dst: Path, db_url: str) -> dict[str, float]:
    """pandas + email-validator per row + isin: what a careful analyst would write."""
    import pandas as pd
    import sqlalchemy as sa
    from email_validator import EmailNotValidError, validate_email

    from pipeline.core.addresses import _to_ascii, clean, key_from_parts

    def key(text: str) -> str | None:
        try:
            v = validate_email(clean(text), check_deliverability=False)
        except EmailNotValidError:
            return None
        return key_from_parts(v.local_part, v.ascii_domain or _to_ascii(v.domain))

    start = time.perf_counter()
    engine = sa.create_engine(db_url)
    suppressed = set(pd.read_sql("SELECT match_key FROM suppressions WHERE match_key IS NOT NULL", engine)["match_key"])
    loaded = time.perf_counter()
    df = pd.read_csv(src, dtype=str, keep_default_na=False)
    keys = df["email"].map(key)
    keep = keys.notna() & ~keys.isin(suppressed)
    df[keep].to_csv(dst, index=False)
    end = time.perf_counter()
    return {"seconds": end - start, "list_seconds": loaded - start, "rows_seconds": end - loaded}


def duckdb_antijoin(src: Path, dst: Path, keys: Path) -> dict[str, float]:
    """For reference: DuckDB's anti-join on lower(trim(email)) — not the SPEC §4.2 key (no
    validation, no +tags, no gmail dots), so its counts differ; it shows what a database does."""
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"""
        COPY (
            SELECT r.* FROM read_csv('{src}', all_varchar = true, header = true) r
            ANTI JOIN read_parquet('{keys}') k ON lower(trim(r.email)) = k.match_key
        ) TO '{dst}' (HEADER, DELIMITER ',')
    """)
    return {"seconds": time.perf_counter() - start}


def main() -> None:
    what, args = sys.argv[1], sys.argv[2:]
    if what == "floor":
        result = floor(Path(args[0]), Path(args[1]))
    elif what == "plain":
        result = plain(Path(args[0]), Path(args[1]), args[2])
    elif what == "duckdb":
        result = duckdb_antijoin(Path(args[0]), Path(args[1]), Path(args[2]))
    else:
        raise SystemExit(f"unknown approach {what!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
