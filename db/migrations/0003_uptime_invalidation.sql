-- Keeps service_daily_uptime honest: any change to status_intervals deletes the stored days it touches, whoever
-- writes the row (services, the demo loader, a hand-run SQL fix). The read side recomputes missing days.
-- Only the span where the timeline can differ is forgotten: closing an open interval "now" touches no closed day.
CREATE FUNCTION vedetta_forget_uptime(sid text, span_from timestamptz, span_to timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF span_from >= span_to THEN
    RETURN;
  END IF;
  -- Orders this change against a reader that is recomputing the same service's days (it holds FOR SHARE):
  -- either the reader sees this change, or this delete sees the reader's rows.
  PERFORM 1 FROM services WHERE id = sid FOR NO KEY UPDATE;
  DELETE FROM service_daily_uptime
   WHERE service_id = sid AND day_end > span_from AND day_start < span_to;
END $$;
--> statement-breakpoint
CREATE FUNCTION vedetta_status_interval_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  old_end timestamptz;
  new_end timestamptz;
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM vedetta_forget_uptime(NEW.service_id, NEW.started_at, coalesce(NEW.ended_at, 'infinity'));
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    PERFORM vedetta_forget_uptime(OLD.service_id, OLD.started_at, coalesce(OLD.ended_at, 'infinity'));
    RETURN NULL;
  END IF;
  old_end := coalesce(OLD.ended_at, 'infinity');
  new_end := coalesce(NEW.ended_at, 'infinity');
  IF NEW.service_id IS DISTINCT FROM OLD.service_id OR NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM vedetta_forget_uptime(OLD.service_id, OLD.started_at, old_end);
    PERFORM vedetta_forget_uptime(NEW.service_id, NEW.started_at, new_end);
    RETURN NULL;
  END IF;
  -- Same service and status: only the time between the old and the new bound changed hands.
  PERFORM vedetta_forget_uptime(NEW.service_id, least(OLD.started_at, NEW.started_at), greatest(OLD.started_at, NEW.started_at));
  PERFORM vedetta_forget_uptime(NEW.service_id, least(old_end, new_end), greatest(old_end, new_end));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER status_intervals_forget_uptime
AFTER INSERT OR UPDATE OR DELETE ON status_intervals
FOR EACH ROW EXECUTE FUNCTION vedetta_status_interval_changed();
