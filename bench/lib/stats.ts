/** Order statistics for benchmark samples. */

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** A number for a table: fixed decimals, '–' for NaN/null. */
export function fmt(value: number | null | undefined, decimals = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toFixed(decimals);
}

/** `| n | min | p50 | p95 | p99 | max | mean |` cells of a summary (milliseconds, no decimals). */
export function summaryCells(s: Summary, decimals = 0): string {
  return [s.n, fmt(s.min, decimals), fmt(s.p50, decimals), fmt(s.p95, decimals), fmt(s.p99, decimals), fmt(s.max, decimals), fmt(s.mean, decimals)].join(' | ');
}

export const SUMMARY_HEADER = '| what | n | min | p50 | p95 | p99 | max | mean |\n|---|---|---|---|---|---|---|---|';
