-- coinlake schema, version 17: the configured alert rules and channels, for the dashboard
-- (docs/alerts.md, "On the dashboard"). Rules live in the ETL's configuration, which the
-- dashboard's host does not have: `coinlake run` replaces both tables in one transaction at start
-- and after each configuration reload. Channels are listed by name and kind only: their URLs can
-- hold secrets (a Slack webhook URL is one) and are never stored.

CREATE TABLE alert_rules (
  name             text PRIMARY KEY,
  position         integer NOT NULL,
  kind             text NOT NULL,
  condition        text NOT NULL,
  channels         text[] NOT NULL,
  cooldown_seconds bigint,
  host             text NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE alert_rules IS 'The alert rules of the running `coinlake run`''s configuration (alert-rule lines), replaced as a whole in one transaction at its start and after each reload. Empty when no rule is configured.';
COMMENT ON COLUMN alert_rules.name IS 'The rule''s name (alert-rule = NAME: ...), as alert_state and alert_outbox know it.';
COMMENT ON COLUMN alert_rules.position IS 'Order of the rule in the configuration, from 0.';
COMMENT ON COLUMN alert_rules.kind IS 'The condition''s first word as written (price, change, ...): what kind of rule it is.';
COMMENT ON COLUMN alert_rules.condition IS 'The condition as written after the name, options included.';
COMMENT ON COLUMN alert_rules.channels IS 'Names of the channels its notifications go to (every configured channel when the rule names none).';
COMMENT ON COLUMN alert_rules.cooldown_seconds IS 'No second firing notification for the same subject sooner than this after the last one; NULL for a rule without a cooldown.';
COMMENT ON COLUMN alert_rules.host IS 'Host name of the `coinlake run` that wrote the row.';
COMMENT ON COLUMN alert_rules.updated_at IS 'When that process wrote it (its start or its last reload).';

CREATE TABLE alert_channels (
  name       text PRIMARY KEY,
  position   integer NOT NULL,
  kind       text NOT NULL,
  host       text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE alert_channels IS 'The alert channels of the running `coinlake run`''s configuration, by name and kind only (never the URL or secret), replaced with alert_rules.';
COMMENT ON COLUMN alert_channels.name IS 'The channel''s name, as alert_outbox.channel knows it.';
COMMENT ON COLUMN alert_channels.position IS 'Order of the channel in the configuration, from 0.';
COMMENT ON COLUMN alert_channels.kind IS 'What it is: webhook, ...';
COMMENT ON COLUMN alert_channels.host IS 'Host name of the `coinlake run` that wrote the row.';
COMMENT ON COLUMN alert_channels.updated_at IS 'When that process wrote it.';

-- The dashboard's "firing now" reads the last firing notification of each firing (rule, subject):
-- an index lookup however long the history grows.
CREATE INDEX alert_outbox_rule_subject ON alert_outbox (rule, subject, id);

GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rules, alert_channels TO coinlake_writer;
GRANT SELECT ON alert_rules, alert_channels TO coinlake_reader;
