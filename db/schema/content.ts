import { bigint, integer, pgTable } from 'drizzle-orm/pg-core';
import { tstz } from './columns.ts';

/**
 * One row: a counter bumped by the database itself (triggers in migration 0005) at the commit of any
 * transaction that wrote something the public pages show, with a NOTIFY on `vedetta_content`. Every instance
 * keeps its served pages until this number moves, so a reader never waits on a query to learn nothing changed.
 */
export const contentVersion = pgTable('content_version', {
  id: integer('id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
  /**
   * Bumped (migration 0009) only by writes that change what the uptime bars show of past days: status history,
   * an incident's services, title or times. The read side keeps those 90 days between such writes
   * (src/services/history.ts): an update posted on an incident re-renders the pages without reading them again.
   */
  historyVersion: bigint('history_version', { mode: 'number' }).notNull().default(0),
  changedAt: tstz('changed_at').notNull().defaultNow(),
});
