-- The console's report (auditor pages): the size of every list version published by :as_of,
-- drawn as "list size per version".
SELECT
    v.version,
    v.published_at,
    v.entries,
    v.added,
    v.lifted
FROM list_versions v
WHERE v.published_at <= :as_of
ORDER BY v.version
