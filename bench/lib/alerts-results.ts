/** The layout of bench/results/alerts.md, which several benchmarks of issue 5 write section by section. */
import { fileURLToPath } from 'node:url';
import type { ResultsFileLayout } from './results-file.ts';

export const ALERTS_RESULTS_FILE = fileURLToPath(new URL('../results/alerts.md', import.meta.url));

export const ALERTS_RESULTS_LAYOUT: ResultsFileLayout = {
  header: [
    '# Alerts: benchmarks',
    '',
    'Watchlist matching cost, plate search and trajectory queries over millions of stored reads, and the time from',
    'camera to checkpoint terminal. Each section is written by its own benchmark (named in it) with the machine and date.',
  ].join('\n'),
  order: ['matching', 'search', 'camera-to-terminal'],
  placeholder: (id) => `## ${id}\n\nNot measured yet.`,
};
