-- Deadline clocks (optout report): every accepted request that suppresses, requested by
-- :as_of, with the first list version that covers all its events if that version was
-- published by :as_of (else the request is still open at :as_of).
SELECT
    c.record_id,
    c.channel,
    c.source_ref,
    c.requested_at,
    c.recorded_at,
    c.events,
    CASE WHEN c.effective_at <= :as_of THEN c.effective_version END AS effective_version,
    CASE WHEN c.effective_at <= :as_of THEN c.effective_at END AS effective_at,
    c.evidence_file,
    c.evidence_locator
FROM audit_request_clock c
WHERE c.requested_at <= :as_of
ORDER BY c.requested_at, c.record_id
