// Prints vitest's JSON report as one plain line: "tests: N passed, N failed" (", N skipped" when any).
// A skipped or todo test counts as skipped: the project's tests are never meant to be skipped.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const file = process.argv[2];
if (!file || !existsSync(file)) {
  console.log('tests: 0 passed, 1 failed (no vitest report was written)');
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const passed = report.numPassedTests ?? 0;
// A file that fails to load fails no test of its own: count it as one failure so the line is never green.
const failedTests = report.numFailedTests ?? 0;
const failed = failedTests > 0 ? failedTests : (report.numFailedTestSuites ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
let flakyCount = 0;
// Tests that needed a second try (scripts/vitest-retries-reporter.mjs): named on every run.
const retriesFile = join(dirname(file), 'retries.json');
if (existsSync(retriesFile)) {
  const { retried = [] } = JSON.parse(readFileSync(retriesFile, 'utf8'));
  const flaky = retried.filter((t) => t.state === 'passed');
  flakyCount = flaky.length;
  if (flaky.length) {
    console.log(`FLAKY: ${flaky.length} test(s) failed once and passed on the second try:`);
    for (const t of flaky) console.log(`  ${t.file} > ${t.name}\n    first try: ${t.errors[0] ?? '(no error recorded)'}`);
  }
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${flakyCount ? `, ${flakyCount} flaky` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
