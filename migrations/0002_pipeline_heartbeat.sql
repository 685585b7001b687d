-- Health of `coinlake run` without a listening port: each ETL host writes its heartbeat here
-- after every cycle (src/pipeline/heartbeat.cc), and the dashboard's pipeline page shows it.

CREATE TABLE pipeline_heartbeat (
  host                   text PRIMARY KEY,
  pid                    integer NOT NULL,
  version                text NOT NULL,
  state                  text NOT NULL CHECK (state IN ('running', 'stopped')),
  started_at             timestamptz NOT NULL,
  beat_at                timestamptz NOT NULL,
  last_cycle_started_at  timestamptz,
  last_cycle_finished_at timestamptz,
  last_outcome           text,
  last_success_at        timestamptz,
  lag_seconds            double precision,
  next_cycle_at          timestamptz,
  cycles                 bigint NOT NULL DEFAULT 0,
  failed_cycles          bigint NOT NULL DEFAULT 0,
  skipped_slots          bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE pipeline_heartbeat IS 'One row per ETL host running coinlake run: its last heartbeat (written after every cycle). A running row whose next_cycle_at is long past means the loop is stuck or the host is gone.';
COMMENT ON COLUMN pipeline_heartbeat.host IS 'Host name of the ETL host (gethostname).';
COMMENT ON COLUMN pipeline_heartbeat.pid IS 'Process id of coinlake run on that host.';
COMMENT ON COLUMN pipeline_heartbeat.version IS 'coinlake version of that process.';
COMMENT ON COLUMN pipeline_heartbeat.state IS 'running, or stopped (it exited cleanly on SIGTERM/SIGINT). A process killed outright stays running with an old beat_at.';
COMMENT ON COLUMN pipeline_heartbeat.started_at IS 'When the process started.';
COMMENT ON COLUMN pipeline_heartbeat.beat_at IS 'When the row was last written.';
COMMENT ON COLUMN pipeline_heartbeat.last_cycle_started_at IS 'When the last cycle started.';
COMMENT ON COLUMN pipeline_heartbeat.last_cycle_finished_at IS 'When the last cycle ended.';
COMMENT ON COLUMN pipeline_heartbeat.last_outcome IS 'ok, partial or failed: how the last cycle ended.';
COMMENT ON COLUMN pipeline_heartbeat.last_success_at IS 'When the last cycle that ended ok finished.';
COMMENT ON COLUMN pipeline_heartbeat.lag_seconds IS 'How late the last cycle started after its wall-clock slot (schedule lag), in seconds.';
COMMENT ON COLUMN pipeline_heartbeat.next_cycle_at IS 'The next wall-clock slot the scheduler will fire.';
COMMENT ON COLUMN pipeline_heartbeat.cycles IS 'Cycles this process ran.';
COMMENT ON COLUMN pipeline_heartbeat.failed_cycles IS 'Cycles of this process that failed.';
COMMENT ON COLUMN pipeline_heartbeat.skipped_slots IS 'Schedule slots this process skipped because a cycle overran them (cycles never stack).';

GRANT SELECT, INSERT, UPDATE ON pipeline_heartbeat TO coinlake_writer;
GRANT SELECT ON pipeline_heartbeat TO coinlake_reader;
