-- coinlake schema, version 18: collapsing a channel's backlog (docs/alerts.md, "Backlog
-- collapsing"). When a channel that is down holds a firing and, later, the resolved of the same
-- rule and subject with nothing of that pair between them, the sender delivers one notification:
-- the resolved row, which then carries the firing's time and value, and the firing row is marked
-- collapsed into it. The decision is recorded here, in one statement, so a restarted sender keeps
-- it and sends the same bytes under the same idempotency keys.

ALTER TABLE alert_outbox ADD COLUMN collapsed_into bigint REFERENCES alert_outbox (id);
COMMENT ON COLUMN alert_outbox.collapsed_into IS 'For a firing row of a backlog that was never sent itself: the id of the later resolved row of the same rule, subject and channel that carries it (its payload has fired_at, fired_value and collapsed); delivered_at is then when the collapse was decided. NULL for every row sent on its own.';
