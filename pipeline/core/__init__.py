"""What every layer shares and nothing else owns: errors, the clock, settings, the match key of an
address (SPEC §4.2), where the shipped SQL and suites are, bounded JSON, durable writes and the
neutralising of spreadsheet formulas. Imports nothing of the project outside this package."""
