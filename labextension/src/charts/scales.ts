/** Scales, ticks, smoothing and run colours shared by every chart of the dashboard. */

/**
 * Series colours: JupyterLab theme variables only, so each theme picks hues that read on its
 * own background. Runs keep their colour by their index in the chosen set.
 */
export const PALETTE = [
  '--jp-brand-color1',
  '--jp-warn-color1',
  '--jp-success-color1',
  '--jp-error-color1',
  '--jp-mirror-editor-keyword-color',
  '--jp-mirror-editor-string-color',
  '--jp-mirror-editor-variable-2-color',
  '--jp-mirror-editor-number-color',
  '--jp-mirror-editor-def-color',
  '--jp-mirror-editor-builtin-color'
];

export function runColor(index: number): string {
  return `var(${PALETTE[index % PALETTE.length]})`;
}

/** About ``count`` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    return [];
  }
  if (lo === hi) {
    return [lo];
  }
  const raw = (hi - lo) / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step =
    [1, 2, 5, 10].map(m => m * power).find(s => s >= raw) ?? 10 * power;
  const first = Math.ceil(lo / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return ticks;
}

/** Powers of ten inside [lo, hi] (lo > 0), thinned to at most ``count``. */
export function logTicks(lo: number, hi: number, count = 5): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const every = Math.max(1, Math.ceil((b - a + 1) / count));
  const ticks: number[] = [];
  for (let e = a; e <= b; e += every) {
    const v = Math.pow(10, e);
    if (v >= lo * 0.999 && v <= hi * 1.001) {
      ticks.push(v);
    }
  }
  return ticks.length ? ticks : [lo, hi];
}

/**
 * Labels for one axis with one shared precision: the fewest decimals that tell neighbouring
 * ticks apart, so "0.1, 0.15, 0.2" never happens beside "0.100".
 */
export function formatTicks(ticks: number[]): string[] {
  if (!ticks.length) {
    return [];
  }
  const big = Math.max(...ticks.map(Math.abs));
  if (big >= 1e6 || (big > 0 && big < 1e-3)) {
    return ticks.map(t => (t === 0 ? '0' : t.toExponential(1)));
  }
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : big || 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step))));
  return ticks.map(t => {
    const text = t.toFixed(decimals);
    return big >= 1e4 && decimals === 0 ? Number(text).toLocaleString() : text;
  });
}

/** Labels for time ticks (ms since epoch): HH:MM, or MM-DD when the span is days. */
export function formatTimeTicks(ticks: number[]): string[] {
  const span = ticks.length > 1 ? ticks[ticks.length - 1] - ticks[0] : 0;
  const pad = (n: number) => String(n).padStart(2, '0');
  return ticks.map(t => {
    const d = new Date(t);
    if (span > 2 * 86400000) {
      return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    }
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return span < 120000 ? `${hm}:${pad(d.getSeconds())}` : hm;
  });
}

/** Labels for durations in seconds: s, min or h by the span. */
export function formatDurationTicks(ticks: number[]): string[] {
  const span = ticks.length ? Math.max(...ticks.map(Math.abs)) : 0;
  if (span >= 7200) {
    return formatTicks(ticks.map(t => t / 3600)).map(t => `${t} h`);
  }
  if (span >= 120) {
    return formatTicks(ticks.map(t => t / 60)).map(t => `${t} min`);
  }
  return formatTicks(ticks).map(t => `${t} s`);
}

/**
 * Exponential moving average with TensorBoard's debiasing (``weight`` in [0, 1)); non-finite
 * values pass through and do not poison the average.
 */
export function smooth(values: number[], weight: number): number[] {
  if (weight <= 0) {
    return values;
  }
  let last = 0;
  let count = 0;
  return values.map(v => {
    if (!Number.isFinite(v)) {
      return v;
    }
    last = last * weight + (1 - weight) * v;
    count += 1;
    return last / (1 - Math.pow(weight, count));
  });
}

/** A linear or log10 mapping of [lo, hi] onto [a, b]. */
export function scale(
  lo: number,
  hi: number,
  a: number,
  b: number,
  log = false
): (v: number) => number {
  const f = log ? Math.log10 : (v: number) => v;
  const l = f(lo);
  const h = f(hi);
  if (h === l) {
    return () => (a + b) / 2;
  }
  return v => a + ((f(v) - l) / (h - l)) * (b - a);
}
