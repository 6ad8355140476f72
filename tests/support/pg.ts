import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/**
 * Throwaway databases on the server named by TEST_DATABASE_URL (any database on it: it is only used to
 * connect as a role that may CREATE DATABASE). Each caller gets its own database, dropped afterwards.
 */
export function testDatabaseUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

export type ScratchDatabase = { url: string; name: string; drop(): Promise<void> };

export async function createScratchDatabase(serverUrl: string, label = 'test'): Promise<ScratchDatabase> {
  const name = `vedetta_${label}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        // FORCE (PostgreSQL 13+) ends sessions a crashed test may have left open.
        await sql.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}
