-- coinlake schema, version 19: the stored result of `audit` per UTC day (docs/alerts.md,
-- "Pipeline rules"; docs/operations.md, "Audit"). `coinlake audit` writes the closed days it
-- audited, and `coinlake run` audits each closed day by itself once compaction has caught up;
-- the `audit-discrepancy` pipeline rule fires while a day's stored result has findings. A day
-- audited again replaces its row: the row is always the newest result of the day.

CREATE TABLE audit_results (
  day            date PRIMARY KEY,
  audited_at     timestamptz NOT NULL,
  audited_by     text NOT NULL CHECK (audited_by IN ('run', 'audit')),
  findings_count integer NOT NULL CHECK (findings_count >= 0),
  kinds          text[] NOT NULL,
  findings       jsonb NOT NULL
);
COMMENT ON TABLE audit_results IS 'The newest audit of each closed UTC day: how many discrepancies it found and the first of them. One row per day, replaced when the day is audited again (by `run`, or by `coinlake audit` over a range that holds it).';
COMMENT ON COLUMN audit_results.day IS 'The UTC day audited (its raw objects, ledger rows, quote rows, Parquet manifest and schedule gaps).';
COMMENT ON COLUMN audit_results.audited_at IS 'When the audit that wrote the row ran.';
COMMENT ON COLUMN audit_results.audited_by IS 'run: `coinlake run`''s own audit of a closed day; audit: the `coinlake audit` command.';
COMMENT ON COLUMN audit_results.findings_count IS 'How many discrepancies the audit found on the day (all of them, including those beyond the findings kept); 0: the day is clean. Notices (a day not compacted yet) are not counted.';
COMMENT ON COLUMN audit_results.kinds IS 'The distinct kinds of those discrepancies (not_loaded, rows_differ, gap, manifest_stale, ...), sorted.';
COMMENT ON COLUMN audit_results.findings IS 'The first discrepancies as a JSON array of {kind, key, detail}, at most 50; findings_count says how many there were.';

-- The rule reads the days with findings every 30 s: a scan of the few rows that have any.
CREATE INDEX audit_results_with_findings ON audit_results (day) WHERE findings_count > 0;

GRANT SELECT, INSERT, UPDATE, DELETE ON audit_results TO coinlake_writer;
GRANT SELECT ON audit_results TO coinlake_reader;
