"""The SQL files in sql/: split into statements the same way on every backend."""

from __future__ import annotations

import pytest

from pipeline.audit.sqlfiles import AUDITOR_VIEWS, read_sql, statements

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT 1;\nSELECT 2;\n", ["SELECT 1", "SELECT 2"]),
        ("-- a comment; with :as_of\nSELECT :as_of\n", ["SELECT :as_of"]),
        ("CREATE VIEW v AS\nSELECT a\nFROM t;\n  -- trailing\n", ["CREATE VIEW v AS\nSELECT a\nFROM t"]),
        ("", []),
    ],
)
def test_statements(text, expected):
    assert statements(text) == expected


def test_every_view_in_the_sql_file_is_known():
    created = [
        s.split()[2] for s in statements(read_sql("auditor_views.sql")) if s.upper().startswith("CREATE VIEW")
    ]
    assert created == list(AUDITOR_VIEWS)


@pytest.mark.parametrize("name", ["report_requests.sql", "report_open_reviews.sql"])
def test_report_queries_are_one_statement_bound_to_as_of(name):
    (sql,) = statements(read_sql(name))
    assert ":as_of" in sql and sql.lstrip().upper().startswith("SELECT")
