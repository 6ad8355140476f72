-- The public content version (db/schema/content.ts). The database bumps it, not the services: no write path,
-- present or future (services, demo loader, admin CLI, a hand-run SQL fix), can forget to.
-- The triggers are DEFERRED to the commit: a transaction takes the content_version row lock as its very last
-- lock (no lock-order deadlock with row locks taken earlier), a rolled-back change bumps nothing, and the NOTIFY
-- is delivered when the change is visible. One bump per transaction, however many rows it wrote.
INSERT INTO content_version (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING;
--> statement-breakpoint
CREATE FUNCTION vedetta_content_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  next_version bigint;
BEGIN
  IF current_setting('vedetta.content_bumped', true) = 'on' THEN
    RETURN NULL;
  END IF;
  -- Heartbeats stamp services.last_heartbeat_at on every beat; no public page shows it, so it must not
  -- throw away every instance's pages several times a second.
  IF TG_TABLE_NAME = 'services' AND TG_OP = 'UPDATE'
     AND (to_jsonb(NEW) - 'last_heartbeat_at') = (to_jsonb(OLD) - 'last_heartbeat_at') THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('vedetta.content_bumped', 'on', true);
  UPDATE content_version SET version = version + 1, changed_at = now() WHERE id = 1 RETURNING version INTO next_version;
  PERFORM pg_notify('vedetta_content', next_version::text);
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Every table a public page, feed, badge or JSON document reads. Not here: heartbeat_minutes (console only),
-- service_daily_uptime (a cache the read side fills itself: bumping on it would invalidate on every cold read).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'events', 'incidents', 'incident_services', 'incident_updates', 'incident_update_services', 'milestones',
    'incident_faq', 'data_gap_notices', 'data_gap_windows', 'data_gap_notice_services', 'maintenances',
    'maintenance_services', 'services', 'status_intervals', 'backlog_samples'
  ] LOOP
    EXECUTE format(
      'CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I DEFERRABLE INITIALLY DEFERRED '
      'FOR EACH ROW EXECUTE FUNCTION vedetta_content_changed()',
      t || '_content_changed', t);
  END LOOP;
END $$;
