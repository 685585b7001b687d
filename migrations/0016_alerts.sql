-- coinlake schema, version 16: alerts (docs/alerts.md). Market rules are evaluated on each live
-- snapshot inside its load transaction: what each rule last said about each coin is in
-- alert_state, and every notification it decided to send is a row of alert_outbox, committed
-- with the snapshot's rows and ledger row (an outbox). A sender in `coinlake run` delivers the
-- outbox in id order and marks a row delivered only after the receiver's 2xx.

CREATE TABLE alert_state (
  rule             text NOT NULL,
  subject          text NOT NULL,
  firing           boolean NOT NULL,
  since            timestamptz NOT NULL,
  last_notified_at timestamptz,
  PRIMARY KEY (rule, subject)
);
COMMENT ON TABLE alert_state IS 'What each alert rule last notified about each subject (a coin): firing or resolved, and since when. A row appears when a rule first fires for a subject and changes only when a notification is recorded, in the same transaction as its alert_outbox rows.';
COMMENT ON COLUMN alert_state.rule IS 'The rule''s name in the configuration (alert-rule = NAME: ...): its identity, so a rule edited under the same name keeps its state.';
COMMENT ON COLUMN alert_state.subject IS 'What the rule watches: the CMC id of the coin, as text.';
COMMENT ON COLUMN alert_state.firing IS 'true: the last notification said firing; false: it said resolved.';
COMMENT ON COLUMN alert_state.since IS 'The snapshot time (status.timestamp) of the last notification: when it started firing or resolved.';
COMMENT ON COLUMN alert_state.last_notified_at IS 'The snapshot time of the last firing notification; the rule''s cooldown counts from it.';

CREATE TABLE alert_outbox (
  id              bigserial PRIMARY KEY,
  rule            text NOT NULL,
  subject         text NOT NULL,
  event           text NOT NULL CHECK (event IN ('firing', 'resolved')),
  channel         text NOT NULL,
  payload         jsonb NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  last_error      text
);
COMMENT ON TABLE alert_outbox IS 'Notifications to deliver, one row per (rule transition, channel), inserted in the load transaction of the snapshot that caused them, so a snapshot loaded once notifies once. The sender delivers each channel''s rows in id order.';
COMMENT ON COLUMN alert_outbox.id IS 'Order of the notifications: the sender delivers a channel''s rows in id order, and a row waits until every earlier row of its channel is delivered.';
COMMENT ON COLUMN alert_outbox.rule IS 'Name of the rule that fired or resolved.';
COMMENT ON COLUMN alert_outbox.subject IS 'What it is about: the CMC id of the coin, as text.';
COMMENT ON COLUMN alert_outbox.event IS 'firing or resolved.';
COMMENT ON COLUMN alert_outbox.channel IS 'Name of the channel (alert-webhook = NAME: ...) it goes to.';
COMMENT ON COLUMN alert_outbox.payload IS 'The JSON body sent to the channel, as sent (its text is what the signature covers): rule, subject, event, values, time, idempotency key.';
COMMENT ON COLUMN alert_outbox.idempotency_key IS 'rule/subject/event/snapshot epoch seconds/channel: sent as the Idempotency-Key header and in the body, so a receiver drops a repeat.';
COMMENT ON COLUMN alert_outbox.created_at IS 'When the load transaction that recorded it ran.';
COMMENT ON COLUMN alert_outbox.attempts IS 'Delivery attempts made so far (successful one included).';
COMMENT ON COLUMN alert_outbox.next_attempt_at IS 'No attempt before this time: the backoff after a failed attempt (or the receiver''s Retry-After), kept across restarts.';
COMMENT ON COLUMN alert_outbox.delivered_at IS 'When the receiver answered 2xx; NULL while undelivered.';
COMMENT ON COLUMN alert_outbox.last_error IS 'Why the last attempt failed (HTTP status and the start of the body, or the transport error); NULL after delivery.';

-- The sender's question, "the oldest undelivered row of this channel", stays an index lookup
-- however long the delivered history grows.
CREATE INDEX alert_outbox_undelivered ON alert_outbox (channel, id) WHERE delivered_at IS NULL;

GRANT SELECT, INSERT, UPDATE ON alert_state, alert_outbox TO coinlake_writer;
GRANT USAGE ON SEQUENCE alert_outbox_id_seq TO coinlake_writer;
GRANT SELECT ON alert_state, alert_outbox TO coinlake_reader;
