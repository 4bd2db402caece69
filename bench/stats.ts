// Summaries of repeated measurements: medians resist the outliers a shared
// machine produces.
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} Mpps`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} kpps`;
  return `${perSecond.toFixed(0)} pps`;
}
