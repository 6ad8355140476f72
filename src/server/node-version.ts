/**
 * Imported first by the server entry: refuses a Node.js older than package.json's `engines` with a message that
 * says so. npm scripts run the pinned Node (the `node` package), but an operator starting `dist/server/entry.mjs`
 * with the machine's own (Debian ships 20) would otherwise get a misleading failure further on: Node 20 ignores
 * `reusePort`, so the server's own listening sockets collide and it reports the port as taken.
 */
import pkg from '../../package.json' with { type: 'json' };
import { log } from '../app/log.ts';

/** What is wrong with running on `running` (a `process.version`) when `engines` (">=24") is wanted; null if nothing. */
export function nodeVersionProblem(running: string, engines: string): string | null {
  const wanted = Number(/\d+/.exec(engines)?.[0]);
  const major = Number(/^v?(\d+)/.exec(running)?.[1]);
  if (major >= wanted) return null;
  return `Vedetta needs Node.js ${engines} (package.json "engines"), this is ${running}: start it with \`npm start\`, or run dist/server/entry.mjs with node_modules/.bin/node`;
}

const problem = nodeVersionProblem(process.version, pkg.engines.node);
if (problem) {
  log.error(problem);
  process.exit(1);
}
