/** Numbers as people read them in result tables: up to 4 significant decimals, integers as they are. */
export function formatNumber(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'number') return JSON.stringify(value);
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '∞' : '-∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e9)) return value.toExponential(3);
  return String(
    Number(value.toPrecision(magnitude >= 1 ? Math.max(4, Math.ceil(Math.log10(magnitude)) + 2) : 4)),
  );
}
