import { resolve } from 'node:path';
import { z } from 'zod';
import { isValidTimeZone } from './domain/time.ts';

/**
 * The whole runtime configuration, read and validated once at boot. Nothing else reads process.env,
 * so a wrong value fails the start with the variable's name instead of a surprise at request time.
 */
const EnvSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
  DATA_DIR: z.string().default('./data'),
  SITE_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).default('http://localhost:4321'),
  TIME_ZONE: z
    .string()
    .default('Europe/Rome')
    .refine(isValidTimeZone, { message: 'not an IANA time zone (e.g. Europe/Rome)' }),
  VEDETTA_DEMO: z.enum(['on', 'off']).default('on'),
  /** Days since the outage began that "today" represents in the demo (the scenario's day 19 by default). */
  VEDETTA_DEMO_DAY: z.coerce.number().int().min(10).max(40).default(19),
  /** First run only: the administrator created in an empty installation (default admin@localhost). */
  ADMIN_EMAIL: z.string().trim().toLowerCase().pipe(z.email('must be an e-mail address')).optional(),
  /** First run only: that administrator's password; when absent, one is generated and printed once. */
  ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').max(200).optional(),
  /**
   * How many reverse proxies in front of Vedetta append to X-Forwarded-For (0: none, the socket's peer is the
   * client). Public forms are rate limited per client address, so behind a proxy this must be set.
   */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  /** How often maintenance windows and heartbeats are checked; 0 turns the scheduler off in this instance. */
  SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
  /**
   * on: webhook targets on private, loopback or link-local addresses, and plain http, are accepted. For local
   * tests and closed labs only: on a public installation it would let anyone make the server call its own network.
   */
  WEBHOOKS_ALLOW_PRIVATE: z.enum(['on', 'off']).default('off'),
  /** Resend API key; when absent, e-mails are written as .eml files under DATA_DIR/mail (embedded transport). */
  RESEND_API_KEY: z.string().min(1).optional(),
  /** Another Resend-compatible base URL (a local stand-in in tests and benchmarks). */
  RESEND_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  /**
   * Signing secret of the Resend webhook (`whsec_…`, from Resend's dashboard). When absent, POST /webhooks/resend
   * answers 404: bounces and complaints are then not received, and nothing unsigned is ever accepted.
   */
  RESEND_WEBHOOK_SECRET: z.string().regex(/^(whsec_)?[A-Za-z0-9+/=]{16,}$/, 'must be the whsec_… secret from Resend').optional(),
  /** The From of every e-mail; its domain must be verified with the provider. */
  MAIL_FROM: z.string().min(3).default('Vedetta <status@localhost>'),
  /** Provider requests per second shared by every worker on the database (Resend's default team limit is 2). */
  EMAIL_RATE_LIMIT: z.coerce.number().positive().max(1000).default(2),
  /** off: this instance runs no delivery worker (run `npm run worker` processes instead). */
  WORKER: z.enum(['on', 'off']).default('on'),
  /** Minutes before a notified maintenance window starts that its reminder e-mail goes out. */
  REMINDER_MINUTES: z.coerce.number().int().min(1).max(10_080).default(60),
  /** Bearer token that unlocks GET /metrics (Prometheus); when absent the endpoint does not exist (404). */
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').max(200).optional(),
  /** Lowest level of the JSON log lines written to stdout/stderr. */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** On SIGTERM, how long requests in flight may take to finish before their sockets are cut. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** HTTP worker processes of this server (src/server/cluster-primary.ts); 1 = one process, no cluster primary. */
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
}).refine((e) => e.WEB_CONCURRENCY <= 1 || e.DATABASE_URL !== undefined, {
  // PGlite lives inside the process and its folder opens in one process only: workers need a shared server.
  message: 'more than 1 needs DATABASE_URL (PostgreSQL): the embedded PGlite database can be opened by one process only',
  path: ['WEB_CONCURRENCY'],
});

export type Config = {
  databaseUrl: string | undefined;
  dataDir: string;
  siteUrl: string;
  timeZone: string;
  demo: boolean;
  demoDay: number;
  /** Resolved from the project root (the working directory), never from a bundled chunk's location. */
  migrationsDir: string;
  /** First-run administrator (ADMIN_EMAIL / ADMIN_PASSWORD); both optional. */
  adminEmail?: string;
  adminPassword?: string;
  /** TRUST_PROXY: reverse proxies in front that append to X-Forwarded-For. */
  trustProxy?: number;
  /** 0 = no scheduler in this instance (default 5000). */
  schedulerIntervalMs?: number;
  /** WEBHOOKS_ALLOW_PRIVATE=on (see src/webhooks/policy.ts); absent = off. */
  webhooksAllowPrivate?: boolean;
  /** E-mail delivery (see src/delivery); optional here so hand-made test configs keep working. */
  resendApiKey?: string;
  resendBaseUrl?: string;
  mailFrom?: string;
  /** RESEND_WEBHOOK_SECRET: verifies POST /webhooks/resend; absent = the endpoint does not exist. */
  resendWebhookSecret?: string;
  emailRateLimit?: number;
  /** false = no delivery worker in this instance (WORKER=off). */
  worker?: boolean;
  reminderMinutes?: number;
  /** GET /metrics is served only when set (METRICS_TOKEN). */
  metricsToken?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** SHUTDOWN_GRACE_MS: the drain deadline on SIGTERM. */
  shutdownGraceMs?: number;
  /** WEB_CONCURRENCY: HTTP worker processes (1 = a single process). */
  webConcurrency?: number;
};

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.DATA_DIR),
    siteUrl: e.SITE_URL.replace(/\/$/, ''),
    timeZone: e.TIME_ZONE,
    demo: e.VEDETTA_DEMO === 'on',
    demoDay: e.VEDETTA_DEMO_DAY,
    migrationsDir: resolve('db/migrations'),
    adminEmail: e.ADMIN_EMAIL,
    adminPassword: e.ADMIN_PASSWORD,
    schedulerIntervalMs: e.SCHEDULER_INTERVAL_MS,
    trustProxy: e.TRUST_PROXY,
    webhooksAllowPrivate: e.WEBHOOKS_ALLOW_PRIVATE === 'on',
    resendApiKey: e.RESEND_API_KEY,
    resendBaseUrl: e.RESEND_BASE_URL,
    mailFrom: e.MAIL_FROM,
    resendWebhookSecret: e.RESEND_WEBHOOK_SECRET,
    emailRateLimit: e.EMAIL_RATE_LIMIT,
    worker: e.WORKER === 'on',
    reminderMinutes: e.REMINDER_MINUTES,
    metricsToken: e.METRICS_TOKEN,
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    webConcurrency: e.WEB_CONCURRENCY,
  };
}
