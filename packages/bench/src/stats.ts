/** Small statistics helpers. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The q-quantile (0..1) of a sample, by nearest rank. */
export function quantile(xs: Float64Array | readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}

/** Half the range as a percentage of the median: the ± of a figure. */
export function spreadPct(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = median(xs);
  return m === 0 ? 0 : ((Math.max(...xs) - Math.min(...xs)) / 2 / Math.abs(m)) * 100;
}

/** 1234567 -> '1.23M', 0.00123 -> '0.00123' (3 significant digits). */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e9) return (x / 1e9).toPrecision(3) + 'G';
  if (a >= 1e6) return (x / 1e6).toPrecision(3) + 'M';
  if (a >= 1e4) return (x / 1e3).toPrecision(3) + 'k';
  if (a >= 100) return x.toFixed(0);
  return x.toPrecision(3);
}
