/** The layout of bench/results/dispatch.md (issue 6): dispatch to tablet, through the API and in the browser. */
import { fileURLToPath } from 'node:url';
import type { ResultsFileLayout } from './results-file.ts';

export const DISPATCH_RESULTS_FILE = fileURLToPath(new URL('../results/dispatch.md', import.meta.url));

export const DISPATCH_RESULTS_LAYOUT: ResultsFileLayout = {
  header: [
    '# Dispatch: benchmarks',
    '',
    'Time from a dispatch to the patrol tablet showing it, with 200 connected tablets reporting positions every 2 s, and',
    'the CPU those reports cost. Each section is written by its benchmark (named in it) with the machine and date.',
  ].join('\n'),
  order: ['api', 'api-postgres', 'browser'],
  placeholder: (id) => `## ${id}\n\nNot measured yet.`,
};
