/** Readers of a failure's figures: a number, a size in GiB or a string, whatever form the line gave it in. */
import { GiB } from '../../../shared/units.js';

/** Returns a figure as a finite number (a numeric string too), or null. */
export function readNumber(figures: Record<string, number | string>, key: string): number | null {
  const v = figures[key];
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.replace(/,/g, ''));
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Returns a size figure in GiB, from its bytes key or its GiB key, or null. */
export function readGiB(figures: Record<string, number | string>, bytesKey: string, gibKey: string): number | null {
  const bytes = readNumber(figures, bytesKey);
  return bytes !== null ? bytes / GiB : readNumber(figures, gibKey);
}

/** Returns a figure as a string (a number printed), or null. */
export function readString(figures: Record<string, number | string>, key: string): string | null {
  const v = figures[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return null;
}
