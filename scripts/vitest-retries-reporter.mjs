// A vitest reporter that lists every test that needed a second try (integration and browser tests are
// given one retry: see vitest.config.ts), with the error of the try that failed, in
// test-results/retries.json. scripts/test-summary.mjs prints them, so a test that passes only on its
// second try is reported as flaky on every run instead of passing silently.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

// eslint-disable-next-line no-restricted-syntax -- vitest loads a reporter file by its default export
export default class RetriesReporter {
  constructor(options = {}) {
    this.outputFile = options.outputFile ?? 'test-results/retries.json';
    this.retried = [];
  }

  onTestCaseResult(testCase) {
    const { retryCount } = testCase.diagnostic() ?? {};
    if (!retryCount) return;
    const errors = (testCase.task?.result?.errors ?? []).map((e) => String(e?.message ?? e).split('\n')[0].slice(0, 400));
    this.retried.push({
      project: testCase.project?.name ?? '',
      file: relative(process.cwd(), testCase.module.moduleId),
      name: testCase.fullName,
      tries: retryCount + 1,
      state: testCase.result().state,
      errors,
    });
  }

  onTestRunEnd() {
    mkdirSync(dirname(this.outputFile), { recursive: true });
    writeFileSync(this.outputFile, `${JSON.stringify({ retried: this.retried }, null, 2)}\n`);
  }
}
