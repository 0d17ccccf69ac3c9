/**
 * A hand-written SVG chart (no plotting dependency): overlaid histograms of two score sets per panel,
 * each bar the fraction of its own set, with an optional vertical threshold line. Used for the
 * same-person / different-person face similarity distributions.
 */

export interface HistogramSeries {
  label: string;
  values: readonly number[];
  colour: string;
}

export interface HistogramPanel {
  title: string;
  series: readonly HistogramSeries[];
  /** A vertical line (e.g. the decision threshold), with its label. */
  marker?: { value: number; label: string } | null;
}

export interface HistogramOptions {
  min: number;
  max: number;
  binWidth: number;
  xLabel: string;
  width?: number;
  panelHeight?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function histogramSvg(panels: readonly HistogramPanel[], options: HistogramOptions): string {
  const W = options.width ?? 760;
  const PH = options.panelHeight ?? 260;
  const margin = { left: 56, right: 16, top: 34, bottom: 46 };
  const plotW = W - margin.left - margin.right;
  const plotH = PH - margin.top - margin.bottom;
  const bins = Math.round((options.max - options.min) / options.binWidth);
  const x = (v: number) => margin.left + ((v - options.min) / (options.max - options.min)) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${PH * panels.length}" viewBox="0 0 ${W} ${PH * panels.length}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  panels.forEach((panel, pi) => {
    const top = pi * PH;
    const counts = panel.series.map((s) => {
      const c = new Array<number>(bins).fill(0);
      for (const v of s.values) {
        const b = Math.min(bins - 1, Math.max(0, Math.floor((v - options.min) / options.binWidth)));
        c[b]! += 1;
      }
      return c.map((n) => (s.values.length ? n / s.values.length : 0));
    });
    const peak = Math.max(0.05, ...counts.flat());
    const step = peak > 0.3 ? 0.1 : 0.05;
    const yMax = Math.ceil(peak / step - 1e-9) * step;
    const y = (f: number) => top + margin.top + plotH - (f / yMax) * plotH;
    out.push(`<text x="${margin.left}" y="${top + 20}" font-size="14" font-weight="bold">${esc(panel.title)}</text>`);
    // Axes and grid.
    for (let t = 0; t <= yMax + 1e-9; t += step) {
      out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`);
      out.push(`<text x="${margin.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${Math.round(t * 100)} %</text>`);
    }
    const ticks = Math.round((options.max - options.min) / 0.2);
    for (let i = 0; i <= ticks; i++) {
      const v = options.min + i * 0.2;
      out.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top + margin.top + plotH}" y2="${top + margin.top + plotH + 4}" stroke="#333"/>`);
      out.push(`<text x="${x(v).toFixed(1)}" y="${top + margin.top + plotH + 17}" text-anchor="middle">${v.toFixed(1)}</text>`);
    }
    out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${top + margin.top + plotH}" y2="${top + margin.top + plotH}" stroke="#333"/>`);
    out.push(`<text x="${margin.left + plotW / 2}" y="${top + PH - 8}" text-anchor="middle">${esc(options.xLabel)}</text>`);
    // Bars.
    panel.series.forEach((s, si) => {
      counts[si]!.forEach((f, b) => {
        if (f === 0) return;
        const x0 = x(options.min + b * options.binWidth);
        const x1 = x(options.min + (b + 1) * options.binWidth);
        out.push(
          `<rect x="${(x0 + 0.5).toFixed(1)}" y="${y(f).toFixed(1)}" width="${Math.max(1, x1 - x0 - 1).toFixed(1)}" height="${(top + margin.top + plotH - y(f)).toFixed(1)}" fill="${s.colour}" fill-opacity="0.6" stroke="${s.colour}"/>`,
        );
      });
    });
    if (panel.marker) {
      const mx = x(panel.marker.value).toFixed(1);
      out.push(`<line x1="${mx}" x2="${mx}" y1="${top + margin.top - 4}" y2="${top + margin.top + plotH}" stroke="#c00" stroke-dasharray="5,3" stroke-width="1.5"/>`);
      out.push(`<text x="${(Number(mx) + 4).toFixed(1)}" y="${top + margin.top + 8}" fill="#c00">${esc(panel.marker.label)}</text>`);
    }
    // Legend.
    panel.series.forEach((s, si) => {
      const lx = margin.left + 10;
      const ly = top + margin.top + 6 + si * 18;
      out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${s.colour}" fill-opacity="0.6" stroke="${s.colour}"/>`);
      out.push(`<text x="${lx + 18}" y="${ly + 10}">${esc(`${s.label} (n = ${s.values.length})`)}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
