-- The console's lookup (auditor pages): the raw intake record behind each of one person's
-- events (found by the keyed hash of the match key), shown as evidence next to the timeline.
-- Manual entries have no intake record and so no row here; erased records have raw NULL.
SELECT
    e.id AS event_id,
    r.id AS record_id,
    r.outcome,
    r.raw
FROM optout_events e
JOIN intake_records r ON r.id = e.record_id
WHERE e.key_hash = :key_hash
ORDER BY e.id
