/**
 * The building blocks of the log grammar: how vLLM prints numbers and sizes, and the shape of a figure rule and a
 * stage marker. The lines themselves are in common-lines.ts (every version), v0-lines.ts (V0 engine),
 * v1-lines.ts (V1 engine) and newest-lines.ts (0.12+ / 0.21+). Format: reference/vllm-memory.md §7.
 * Sizes are bytes: vLLM's GiB (and its "GB", which is GiB) × 2^30.
 */
import { GiB } from '../../../shared/units.js';
import type { LaunchStage, LogFigures } from './state.js';

// ---------------------------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------------------------

/** An unsigned decimal as vLLM prints it ("4.3752", "9"). */
export const N = String.raw`\d+(?:\.\d+)?`;
/** A signed decimal: a budget or a capture delta can be negative (`available_kv_cache_memory -1.44GiB`). */
export const SN = String.raw`-?\d+(?:\.\d+)?`;
/** A count with optional thousands separators (`567,978`, `131,072`; 0.8.x printed `4096`). */
export const COUNT = String.raw`(?<![\d,])(\d{1,3}(?:,\d{3})+|\d+)`;

const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  B: 1,
  bytes: 1,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: GiB,
  // vLLM's "GB" is GiB: 0.8.x `ValueError: … (3.50 GB KV cache is needed …` divides by 1024^3.
  GB: GiB,
  TiB: 2 ** 40,
};

/** Returns a decimal or comma-grouped count as a finite number, or null. */
export function toNumber(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const value = Number(text.replace(/,/g, ''));
  return Number.isFinite(value) ? value : null;
}

/** Returns a GiB figure as whole bytes (× 2^30, rounded), or null. */
export function gibToBytes(text: string | undefined): number | null {
  const gib = toNumber(text);
  if (gib === null) return null;
  const bytes = Math.round(gib * GiB);
  return Number.isFinite(bytes) ? bytes : null;
}

/** Returns a size with a unit (`20.00 MiB`, `1.02 GiB`, `512 bytes`) as whole bytes, or null. */
export function sizeToBytes(text: string | undefined, unit: string | undefined): number | null {
  const value = toNumber(text);
  const factor = BYTES_PER_UNIT[unit ?? ''];
  if (value === null || factor === undefined) return null;
  const bytes = Math.round(value * factor);
  return Number.isFinite(bytes) ? bytes : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------------------------

/** The numeric figures of {@link LogFigures}: the keys a figure rule can fill. */
export type NumberKey = {
  [K in keyof LogFigures]: LogFigures[K] extends number | null ? K : never;
}[keyof LogFigures];

/** How one capture group becomes a figure: as GiB, as a plain number / count, or only when still unknown. */
export interface FigureRule {
  re: RegExp;
  /** Figure per capture group (index 1 first); undefined skips a group. */
  keys: (NumberKey | undefined)[];
  /** Convert the groups from GiB to bytes. */
  isGiB?: boolean;
  /** Fill only figures still null (a less precise repeat of a figure already known). */
  isFallback?: boolean;
}

/** A marker line of a stage (§7 table): any line the pattern matches has reached that stage. */
export type StageMarker = readonly [LaunchStage, RegExp];
