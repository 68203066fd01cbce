-- The report's tables from bounce_events (schema.sql). Each query follows a
-- "-- name: X" line; tests/warehouse/test_chdb.py runs them by name and
-- checks them against `bounce-report --format json` of the same log.
-- Add a WHERE on `time` (or `host`) for a window; counts are in events.

-- name: totals
-- = totals.sent, .bounced, .deferred, .expired
SELECT
    countIf(status = 'sent')     AS sent,
    countIf(status = 'bounced')  AS bounced,
    countIf(status = 'deferred') AS deferred,
    countIf(status = 'expired')  AS expired
FROM bounce_events;

-- name: by_domain
-- = by_domain[].domain, .sent, .bounced, .deferred, .expired; top first.
-- domain NULL: expiries whose deferrals are not in the input (a row of its
-- own, as in --format json)
SELECT
    domain,
    countIf(status = 'sent')     AS sent,
    countIf(status = 'bounced')  AS bounced,
    countIf(status = 'deferred') AS deferred,
    countIf(status = 'expired')  AS expired
FROM bounce_events
GROUP BY domain
ORDER BY bounced + expired DESC, deferred DESC, domain;

-- name: by_cause
-- = by_cause[].cause, .class, .bounced, .deferred, .expired
SELECT
    cause,
    -- a cause's class is that of its bounced or expired events; `transient`
    -- when it has only deferrals
    ifNull(anyIf(class, status != 'deferred'), 'transient') AS class,
    countIf(status = 'bounced')  AS bounced,
    countIf(status = 'deferred') AS deferred,
    countIf(status = 'expired')  AS expired
FROM bounce_events
WHERE cause IS NOT NULL
GROUP BY cause
ORDER BY bounced + deferred + expired DESC, cause;

-- name: causes_per_day
-- failures per UTC day and cause
SELECT
    toDate(time) AS day,
    cause,
    countIf(status = 'bounced')  AS bounced,
    countIf(status = 'deferred') AS deferred,
    countIf(status = 'expired')  AS expired
FROM bounce_events
WHERE cause IS NOT NULL
GROUP BY day, cause
ORDER BY day, bounced + deferred + expired DESC, cause;

-- name: deferred_outcomes
-- = deferred_outcomes.delivered, .bounced, .expired, .pending (not the
-- median delay): an event with `attempts` ends a deferred recipient's
-- history; a deferred recipient of a queue id with no such end is pending.
-- Queue ids are unique per host only, hence the host in the key.
SELECT
    countIf(ended AND last_status = 'sent')    AS delivered,
    countIf(ended AND last_status = 'bounced') AS bounced,
    countIf(ended AND last_status = 'expired') AS expired,
    countIf(NOT ended)                         AS pending
FROM
(
    SELECT
        host, queue_id, recipient,
        max(attempts IS NOT NULL) AS ended,
        argMaxIf(status, time, attempts IS NOT NULL) AS last_status
    FROM bounce_events
    WHERE status = 'deferred' OR attempts IS NOT NULL
    GROUP BY host, queue_id, recipient
);

-- name: suppression
-- recipients with at least one hard event (SPEC: "The suppression list holds
-- the recipients with at least one hard event"). `bounce-report suppress`
-- can list fewer: it also wants evidence about the recipient in the reply
-- and leaves off host_unknown that a broken local resolver caused; it
-- lower-cases the domain part. Treat this query as the upper bound.
SELECT
    recipient AS address,
    any(domain) AS domain,
    argMax(cause, time) AS cause,
    count() AS count,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM bounce_events
WHERE class = 'hard' AND recipient IS NOT NULL
GROUP BY recipient
ORDER BY domain, address;
