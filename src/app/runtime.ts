import type { Config } from '../config.ts';
import { type Database, openDatabase } from '../../db/client.ts';
import { type Actor, type Ctx, SYSTEM_ACTOR } from '../services/context.ts';
import { countServices } from '../services/catalog.ts';
import { loadDemoScenario } from '../demo/scenario.ts';

export type Runtime = {
  config: Config;
  database: Database;
  /** A service context for one request or job; each call reads the clock afresh. */
  ctx(actor?: Actor): Ctx;
  close(): Promise<void>;
};

/** Opens the database, applies migrations and loads the demo into an empty database. */
export async function startRuntime(config: Config, clock: () => Date = () => new Date()): Promise<Runtime> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await database.migrate(config.migrationsDir);
    const ctx = (actor: Actor = { kind: 'public', id: 'anonymous' }): Ctx => ({
      db: database.db,
      now: clock,
      actor,
      timeZone: config.timeZone,
      siteUrl: config.siteUrl,
    });
    if (config.demo && (await countServices(ctx())) === 0) {
      await loadDemoScenario(ctx(SYSTEM_ACTOR), { today: clock(), day: config.demoDay });
      console.log('[vedetta] demo scenario loaded into the empty database (VEDETTA_DEMO=off to skip)');
    }
    let closing: Promise<void> | undefined;
    return { config, database, ctx, close: () => (closing ??= database.close()) };
  } catch (error) {
    await database.close();
    throw error;
  }
}
