/**
 * Node.js's process warnings in the server: one JSON log line each instead of Node's prose on stderr, unless the
 * operator turned warnings off. Run in a child Node.js, whose warning printer is still in place.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LOG_MODULE = fileURLToPath(new URL('../../src/app/log.ts', import.meta.url));
const SCRIPT = `
  const { logProcessWarnings } = await import(${JSON.stringify(LOG_MODULE)});
  logProcessWarnings();
  process.emitWarning('an old API is used', 'DeprecationWarning', 'DEP0999');
`;

function run(env: Record<string, string> = {}) {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(child.status, child.stderr).toBe(0);
  return child;
}

describe('logProcessWarnings', () => {
  it("writes a warning as one JSON log line on stderr, with its name and code, instead of Node's own text", () => {
    const { stdout, stderr } = run();
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ time: expect.any(String), level: 'warn', msg: 'an old API is used', name: 'DeprecationWarning', code: 'DEP0999' });
  });

  it('keeps quiet when warnings are turned off (NODE_NO_WARNINGS=1)', () => {
    const { stdout, stderr } = run({ NODE_NO_WARNINGS: '1' });
    expect(stdout + stderr).toBe('');
  });
});
