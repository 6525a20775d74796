-- Auditor views (SPEC §1 "Auditor", §5). Created by migration 0002_audit; plain SQL that
-- runs unchanged on SQLite and PostgreSQL. Every view is dropped and created again, so a
-- later migration re-runs this file after changing a table (drop the views first on SQLite:
-- its table rebuilds refuse to rename a table a view still names).
--
-- Times are stored in UTC. A request's clock stops at effective_at: the published_at of the
-- first list version whose last_event_id covers the event (docs/audit.md).

-- One row per opt-out event: who (clear text until erased), what, when, on which channel,
-- when it took effect, and where its raw evidence is (file + record locator).
DROP VIEW IF EXISTS audit_event_history;
CREATE VIEW audit_event_history AS
SELECT
    e.id AS event_id,
    e.channel,
    r.source_ref,
    e.record_id,
    e.address,
    e.match_key,
    e.key_hash,
    e.scope,
    e.action,
    e.requested_at,
    e.recorded_at,
    v.version AS effective_version,
    v.published_at AS effective_at,
    f.path AS evidence_file,
    r.locator AS evidence_locator,
    e.evidence,
    r.outcome,
    r.reason AS outcome_reason,
    e.run_id
FROM optout_events e
LEFT JOIN intake_records r ON r.id = e.record_id
LEFT JOIN ingested_files f ON f.id = r.file_id
LEFT JOIN list_versions v ON v.version = (
    SELECT MIN(lv.version) FROM list_versions lv WHERE lv.last_event_id >= e.id
);

-- One row per accepted request (intake record) that suppresses: the deadline clock runs from
-- requested_at to effective_at (NULL while no published version covers all its events).
DROP VIEW IF EXISTS audit_request_clock;
CREATE VIEW audit_request_clock AS
WITH request_events AS (
    SELECT e.record_id, MAX(e.id) AS last_event_id, COUNT(*) AS events
    FROM optout_events e
    WHERE e.action = 'suppress' AND e.record_id IS NOT NULL
    GROUP BY e.record_id
)
SELECT
    r.id AS record_id,
    r.channel,
    r.source_ref,
    r.requested_at,
    r.recorded_at,
    q.events,
    q.last_event_id,
    v.version AS effective_version,
    v.published_at AS effective_at,
    f.path AS evidence_file,
    r.locator AS evidence_locator
FROM request_events q
JOIN intake_records r ON r.id = q.record_id
LEFT JOIN ingested_files f ON f.id = r.file_id
LEFT JOIN list_versions v ON v.version = (
    SELECT MIN(lv.version) FROM list_versions lv WHERE lv.last_event_id >= q.last_event_id
);

-- Review items with the request they hold up; open ones are at risk (their clock runs).
DROP VIEW IF EXISTS audit_review_items;
CREATE VIEW audit_review_items AS
SELECT
    q.id AS item_id,
    q.record_id,
    r.channel,
    r.source_ref,
    r.requested_at,
    q.created_at,
    q.reason,
    q.status,
    q.resolution,
    q.resolved_by,
    q.resolved_at,
    f.path AS evidence_file,
    r.locator AS evidence_locator
FROM review_queue q
JOIN intake_records r ON r.id = q.record_id
LEFT JOIN ingested_files f ON f.id = r.file_id;

-- One row per recorded send check: the list version it used, the newest version published at
-- that moment, and how many opt-outs requested before the check the used version lacked.
DROP VIEW IF EXISTS audit_send_checks;
CREATE VIEW audit_send_checks AS
SELECT
    c.id AS check_id,
    c.campaign,
    c.kind,
    c.checked_at,
    c.list_version AS list_version_used,
    (SELECT MAX(lv.version) FROM list_versions lv WHERE lv.published_at <= c.checked_at) AS newest_version_at_check,
    CASE WHEN c.list_version = (
        SELECT MAX(lv.version) FROM list_versions lv WHERE lv.published_at <= c.checked_at
    ) THEN 1 ELSE 0 END AS used_newest,
    (SELECT COUNT(*) FROM optout_events e
     WHERE e.action = 'suppress' AND e.id > used.last_event_id AND e.requested_at <= c.checked_at
    ) AS optouts_missing_from_list,
    c.rows_in,
    c.kept,
    c.suppressed,
    c.invalid,
    c.list_digest,
    c.input_path,
    c.input_sha256,
    c.output_sha256,
    c.receipt_path
FROM send_checks c
LEFT JOIN list_versions used ON used.version = c.list_version;
