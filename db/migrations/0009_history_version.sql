ALTER TABLE "content_version" ADD COLUMN "history_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- What the uptime bars show of past days: the status history and, per service, the incidents overlapping each
-- day (their title and times). Bumped at the commit of a transaction that changed any of it, once, like the
-- content version (0005); no NOTIFY of its own, since every such table already bumps the content version.
CREATE FUNCTION vedetta_history_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('vedetta.history_bumped', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('vedetta.history_bumped', 'on', true);
  UPDATE content_version SET history_version = history_version + 1 WHERE id = 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER status_intervals_history_changed AFTER INSERT OR UPDATE OR DELETE ON status_intervals
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION vedetta_history_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER incident_services_history_changed AFTER INSERT OR UPDATE OR DELETE ON incident_services
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION vedetta_history_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER incidents_history_added AFTER INSERT OR DELETE ON incidents
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION vedetta_history_changed();
--> statement-breakpoint
-- Posting an update rewrites the incident's row (status, next update, version): only the columns a bar shows count.
CREATE CONSTRAINT TRIGGER incidents_history_changed AFTER UPDATE ON incidents
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.started_at IS DISTINCT FROM NEW.started_at
        OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at)
  EXECUTE FUNCTION vedetta_history_changed();
