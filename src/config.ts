import { resolve } from 'node:path';
import { z } from 'zod';

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
    .refine((tz) => isTimeZone(tz), { message: 'not an IANA time zone (e.g. Europe/Rome)' }),
  VEDETTA_DEMO: z.enum(['on', 'off']).default('on'),
  /** Days since the outage began that "today" represents in the demo (the scenario's day 19 by default). */
  VEDETTA_DEMO_DAY: z.coerce.number().int().min(10).max(40).default(19),
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
};

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

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
  };
}
