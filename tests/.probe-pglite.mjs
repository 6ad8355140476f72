import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { writeFileSync, readFileSync } from 'node:fs';
let t = performance.now();
const lap = (l) => { const n = performance.now(); console.log(l, Math.round(n - t), 'ms'); t = n; };
const a = await PGlite.create(); lap('create in-memory');
await migrate(drizzle(a), { migrationsFolder: 'db/migrations' }); lap('migrate');
const blob = await a.dumpDataDir('none'); lap('dump (none) ' + blob.size);
writeFileSync('/tmp/probe/dump.tar', Buffer.from(await blob.arrayBuffer())); lap('write');
const gz = await a.dumpDataDir('gzip'); lap('dump (gzip) ' + gz.size);
for (let i = 0; i < 3; i++) {
  const buf = readFileSync('/tmp/probe/dump.tar');
  const b = await PGlite.create({ loadDataDir: new Blob([buf]) }); lap('load from dump');
  const r = await b.query('select count(*) from __drizzle_migrations', []).catch(e => e.message); 
  const r2 = await b.query("select count(*)::int as n from information_schema.tables where table_schema='public'");
  console.log(r2.rows); await b.close(); lap('close');
}
const c = await a.clone(); lap('clone');
