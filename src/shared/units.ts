/** Byte and version helpers shared by the core. Pure. */

/** Bytes in one GiB (2^30). */
export const GiB = 1024 ** 3;
/** Bytes in one MiB (2^20). */
export const MiB = 1024 ** 2;

/** A version as comparable numbers, [major, minor, patch]. */
export type Version = readonly [number, number, number];

/** Parses "0.6.3", "0.6.3.post1", "v0.11", "36.4" into [major, minor, patch]; null when not a version. */
export function parseVersion(text: string): Version | null {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[.+-]?(?:post|rc|dev|a|b)\d*.*)?$/.exec(text.trim());
  if (match === null) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** Compares two versions: negative, 0 or positive. */
export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** True when `v` is at least `min` (min given as text like "0.11.0"). */
export function isAtLeast(v: Version, min: string): boolean {
  const m = parseVersion(min);
  if (m === null) throw new Error(`bad version literal ${min}`);
  return compareVersions(v, m) >= 0;
}

/** Formats a version as "x.y.z". */
export function formatVersion(v: Version): string {
  return `${v[0]}.${v[1]}.${v[2]}`;
}

/**
 * Parses a byte count the way vLLM's `human_readable_int` does for --kv-cache-memory-bytes:
 * "4G" = 4×2^30, "4g" = 4×10^9, "1.5G", "256M", "512k", or a plain integer. Returns null when invalid,
 * and when the count is not a safe integer (past 2^53 − 1 a double no longer holds every byte count:
 * "9007199254740993" would silently become …992). Exact: the arithmetic is done on integers.
 */
export function parseByteSize(text: string): number | null {
  const match = /^(\d+)(?:\.(\d+))?([kKmMgGtT]?)(?:i?[bB])?$/.exec(text.trim());
  if (match === null) return null;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  const unit = match[3] ?? '';
  const binary: Record<string, bigint> = { K: 2n ** 10n, M: 2n ** 20n, G: 2n ** 30n, T: 2n ** 40n };
  const decimal: Record<string, bigint> = { k: 10n ** 3n, m: 10n ** 6n, g: 10n ** 9n, t: 10n ** 12n };
  const factor = unit === '' ? 1n : (binary[unit] ?? decimal[unit]);
  if (factor === undefined) return null;
  // A plain count is whole: "12.0" is 12, "12.5" is no byte count.
  if (unit === '' && /[1-9]/.test(fraction)) return null;
  const scale = 10n ** BigInt(fraction.length);
  const numerator = BigInt(`${whole}${fraction}`) * factor;
  // Rounded half up, as Math.round did.
  const bytes = (2n * numerator + scale) / (2n * scale);
  return bytes <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(bytes) : null;
}

/**
 * Parses a decimal number as a person types it ("0.9", "10", ".5", "1e3"); null for anything else:
 * empty text, hexadecimal, "Infinity", "NaN", a number too large to be finite. Range checks are the caller's.
 */
export function parseDecimal(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\+?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** Formats bytes as GiB with two decimals ("4.38 GiB"). */
export function formatGiB(bytes: number): string {
  return `${(bytes / GiB).toFixed(2)} GiB`;
}

/** Formats bytes with the largest binary unit that keeps the number ≥ 1 ("512 MiB", "4.38 GiB"). */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= GiB) return `${(bytes / GiB).toFixed(2)} GiB`;
  if (abs >= MiB) return `${Math.round(bytes / MiB)} MiB`;
  if (abs >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} B`;
}

/** Rounds up to a multiple of `step`. */
export function ceilTo(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/** Rounds down to a multiple of `step`. */
export function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
}
