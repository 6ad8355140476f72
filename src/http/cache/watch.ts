/**
 * Keeps `PublicCache.version` equal to the database's content version (src/services/content-version.ts):
 *   - LISTEN: the triggers NOTIFY at commit, so every instance on one PostgreSQL learns of a write within
 *     milliseconds (PGlite delivers its own notifications in-process the same way);
 *   - a poll every `pollMs` (default 500 ms): the safety net for a notification lost while the listening
 *     connection was being re-established, and so the 1-second promise holds even without LISTEN;
 *   - `refresh()`: the HTTP layer calls it after a write request, so the writer's next read sees its change.
 * When the database is unreachable the last known version stays: readers keep getting the last content.
 */
import { type LoopLog, loopLog } from '../../app/log.ts';
import type { Ctx } from '../../services/context.ts';
import { CONTENT_CHANNEL, readContentVersion } from '../../services/content-version.ts';
import type { PublicCache } from './store.ts';

/** The runtime database's LISTEN (db/client.ts `Database.listen`), which this layer may not import. */
export type Listener = {
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
};

export type VersionWatcher = {
  /** Reads the version now (after a write in this process). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
};

export async function watchContentVersion(deps: {
  database: Listener;
  ctx: () => Ctx;
  cache: PublicCache;
  pollMs?: number;
  log?: LoopLog;
}): Promise<VersionWatcher> {
  const { cache } = deps;
  const log = deps.log ?? loopLog;
  let failing = false;
  const refresh = async () => {
    try {
      cache.observeVersion(await readContentVersion(deps.ctx()));
      if (failing) log.info('content version readable again');
      failing = false;
    } catch (error) {
      // Once per outage, not every poll.
      if (!failing) log.error('cannot read the content version; serving the last known pages', error);
      failing = true;
    }
  };
  const unlisten = await deps.database.listen(CONTENT_CHANNEL, (payload) => {
    const version = Number(payload);
    if (Number.isSafeInteger(version)) cache.observeVersion(version);
  });
  await refresh();
  let polling: Promise<void> | null = null;
  const timer = setInterval(() => {
    polling ??= refresh().finally(() => (polling = null));
  }, deps.pollMs ?? 500);
  timer.unref();
  return {
    refresh,
    async stop() {
      clearInterval(timer);
      await polling;
      cache.detach();
      await unlisten().catch(() => {});
    },
  };
}
