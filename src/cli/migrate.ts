/** `npm run db:migrate`: applies the committed migrations to DATABASE_URL, or to the embedded database in DATA_DIR. */
import { openDatabase } from '../../db/client.ts';
import { loadConfig } from '../config.ts';

const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  await database.migrate(config.migrationsDir);
  console.log(`Migrations applied (${database.kind}).`);
} finally {
  await database.close();
}
