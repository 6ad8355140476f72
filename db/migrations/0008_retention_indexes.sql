CREATE INDEX "inbound_webhooks_received_idx" ON "inbound_webhooks" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "outbox_done_at_idx" ON "outbox" USING btree ("done_at");