-- The console's campaign audits (auditor pages): every recorded send check, newest first, with
-- who ran it, the list version it used and the newest version published at that moment.
SELECT
    a.check_id,
    a.campaign,
    a.kind,
    a.checked_at,
    c.checked_by,
    a.list_version_used,
    a.newest_version_at_check,
    a.used_newest,
    a.optouts_missing_from_list,
    a.rows_in,
    a.kept,
    a.suppressed,
    a.invalid
FROM audit_send_checks a
JOIN send_checks c ON c.id = a.check_id
ORDER BY a.check_id DESC
