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
-- the recipients with at least one hard event"), less those whose only
-- evidence is our own resolver failing, as `bounce-report suppress` leaves
-- them off (README "What the report adds", src/our_dns.rs): every hard event
-- of the address is Postfix's own "Host or domain name not found" and
-- either its domain received mail in the same data, or around the
-- address's first event (10 minutes either side) such DNS failures, at 3 or
-- more domains, were at least as many as the deliveries. What SQL does not
-- see: `suppress` also passes over a hard event whose reply refuses our
-- connection or our sender (the reply's SMTP stage), and it lower-cases the
-- address's domain part; on the test's generated log the lists are equal.
WITH
    -- Postfix's own DNS failures, per minute since the epoch.
    dns_minutes AS (
        SELECT intDiv(toUnixTimestamp(time), 60) AS minute,
               count() AS failures,
               groupUniqArray(domain) AS domains
        FROM bounce_events
        WHERE status != 'sent' AND domain IS NOT NULL
          AND startsWith(replaceRegexpOne(reply, '^delivery temporarily suspended: ', ''),
                         'Host or domain name not found')
        GROUP BY minute
    ),
    sent_minutes AS (
        SELECT intDiv(toUnixTimestamp(time), 60) AS minute, count() AS sent
        FROM bounce_events
        WHERE status = 'sent' AND domain IS NOT NULL
        GROUP BY minute
    ),
    hard AS (
        SELECT
            recipient AS address,
            any(domain) AS domain,
            argMax(cause, time) AS last_cause,
            count() AS count,
            min(time) AS first_seen,
            max(time) AS last_seen,
            min(ifNull(cause = 'host_unknown'
                       AND startsWith(reply, 'Host or domain name not found'), 0)) AS only_our_dns
        FROM bounce_events
        WHERE class = 'hard' AND recipient IS NOT NULL
        GROUP BY recipient
    ),
    -- The addresses whose only evidence is our DNS, and around their first
    -- event: DNS failures, the domains failing, deliveries.
    around AS (
        SELECT h.address AS address,
               sum(d.failures) AS failures,
               length(groupUniqArrayArray(d.domains)) AS domains,
               sum(s.sent) AS sent
        FROM (
            SELECT address, intDiv(toUnixTimestamp(first_seen), 60) + k AS minute
            FROM hard
            ARRAY JOIN range(-10, 11) AS k
            WHERE only_our_dns = 1
        ) AS h
        LEFT JOIN dns_minutes AS d ON d.minute = h.minute
        LEFT JOIN sent_minutes AS s ON s.minute = h.minute
        GROUP BY h.address
    )
SELECT address, domain, last_cause AS cause, count, first_seen, last_seen
FROM hard
WHERE NOT (
    only_our_dns = 1
    AND (domain IN (SELECT DISTINCT domain FROM bounce_events
                    WHERE status = 'sent' AND domain IS NOT NULL)
         OR address IN (SELECT address FROM around WHERE domains >= 3 AND failures >= sent))
)
ORDER BY domain, address;
