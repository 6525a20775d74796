-- Review items open at :as_of (created by then, not resolved by then): the request they hold
-- up has a running clock and no effect yet.
SELECT
    i.item_id,
    i.record_id,
    i.channel,
    i.source_ref,
    i.requested_at,
    i.created_at,
    i.reason,
    i.evidence_file,
    i.evidence_locator
FROM audit_review_items i
WHERE i.created_at <= :as_of
  AND (i.status = 'open' OR i.resolved_at IS NULL OR i.resolved_at > :as_of)
ORDER BY i.created_at, i.item_id
