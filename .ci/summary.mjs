// Adds up vitest's JSON reports (one per suite run by .ci/run) into one closing line:
//   vitest: N passed, N failed, N skipped
// A report that is missing means that suite crashed before reporting: it counts as a failure.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const suites = ['pglite', 'postgres', 'browser'];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const suite of suites) {
  const file = join(dir, `${suite}.json`);
  if (!existsSync(file)) {
    console.log(`${suite}: no report (the run crashed or did not start)`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const s = r.numPendingTests + r.numTodoTests;
  // Files that failed to load (syntax error, failed hook) have no failed test of their own.
  const brokenFiles = r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed')).length;
  console.log(`${suite}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${s} skipped` + (brokenFiles ? `, ${brokenFiles} file(s) failed to run` : ''));
  passed += r.numPassedTests;
  failed += r.numFailedTests + brokenFiles;
  skipped += s;
}
console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
