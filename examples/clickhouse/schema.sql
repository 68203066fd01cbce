-- bounce_events: the `bounce-report --format jsonl` events (schema v1,
-- docs/jsonl-schema.md), one row per event, loaded as they are:
--
--   bounce-report -f jsonl /var/log/mail.log* |
--     clickhouse-client --query "INSERT INTO bounce_events FORMAT JSONEachRow" \
--       --input_format_skip_unknown_fields=1 --date_time_input_format=best_effort
--
-- input_format_skip_unknown_fields=1: fields a later schema version adds are
--   skipped instead of failing the insert (check `v` before relying on them).
-- date_time_input_format=best_effort: `time` and `first_deferred` are RFC 3339
--   with an offset ("2026-11-21T03:14:07+00:00"); they are stored in UTC.
-- A field the event lacks (`attempts`, `first_deferred` on most) becomes NULL.
CREATE TABLE IF NOT EXISTS bounce_events
(
    v              UInt8,
    time           DateTime64(3, 'UTC'),
    host           LowCardinality(String),
    queue_id       String,
    recipient      Nullable(String),
    orig_to        Nullable(String),
    domain         LowCardinality(Nullable(String)),
    sender         Nullable(String),
    sasl_username  LowCardinality(Nullable(String)),
    status         LowCardinality(String),
    dsn            LowCardinality(Nullable(String)),
    smtp_code      Nullable(UInt16),
    relay          Nullable(String),
    delay          Nullable(Float64),
    cause          LowCardinality(Nullable(String)),
    class          LowCardinality(Nullable(String)),
    rule           LowCardinality(Nullable(String)),
    reply          Nullable(String),
    attempts       Nullable(UInt32),
    first_deferred Nullable(DateTime64(3, 'UTC'))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
-- Per-domain and per-day queries read a contiguous range of the key.
ORDER BY (ifNull(domain, ''), toDate(time), time);
