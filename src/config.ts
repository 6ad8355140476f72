import { resolve } from 'node:path';
import { z } from 'zod';
import { isValidTimeZone } from './domain/time.ts';

/**
 * The whole runtime configuration, read and validated once at boot. Nothing else reads process.env,
 * so a wrong value fails the start with the variable's name instead of a surprise at request time.
 */
const EnvSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./data'),
  SITE_URL: z.string().url().default('http://localhost:4321'),
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
  /** How often maintenance windows and heartbeats are checked; 0 turns the scheduler off in this instance. */
  SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
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
  /** 0 = no scheduler in this instance (default 5000). */
  schedulerIntervalMs?: number;
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
  };
}
