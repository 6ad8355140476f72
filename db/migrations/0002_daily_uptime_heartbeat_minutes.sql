CREATE TABLE "heartbeat_minutes" (
	"service_id" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"count" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "heartbeat_minutes_service_id_minute_pk" PRIMARY KEY("service_id","minute")
);
--> statement-breakpoint
CREATE TABLE "service_daily_uptime" (
	"service_id" text NOT NULL,
	"time_zone" text NOT NULL,
	"day" date NOT NULL,
	"day_start" timestamp with time zone NOT NULL,
	"day_end" timestamp with time zone NOT NULL,
	"seconds" jsonb NOT NULL,
	CONSTRAINT "service_daily_uptime_service_id_time_zone_day_pk" PRIMARY KEY("service_id","time_zone","day")
);
--> statement-breakpoint
ALTER TABLE "heartbeat_minutes" ADD CONSTRAINT "heartbeat_minutes_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_daily_uptime" ADD CONSTRAINT "service_daily_uptime_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "status_intervals_service_end_idx" ON "status_intervals" USING btree ("service_id","ended_at");