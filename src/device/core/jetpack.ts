/**
 * L4T → JetPack, and the CUDA a release ships. Pure.
 * Sources: reference/jetson-platform.md §B.2 and §B.3 item 5; test/fixtures/recorded/devices.json `l4t_to_jetpack`.
 */

/** An L4T release as numbers, [major, minor, patch]. */
export type L4tVersion = readonly [number, number, number];

/** One row of the L4T → JetPack table. */
export interface JetpackRow {
  /** "36.4.3". */
  l4t: string;
  /** The JetPack label as jtop prints it: "6.2", "6.0 DP", "6.1 (rev1)", "7.2 GA". */
  jetpack: string;
}

/**
 * L4T → JetPack, newest first.
 * Source: jtop's NVIDIA_JETPACK table (rbonghi/jetson_stats@f41d5cad, jtop/core/jetson_variables.py), as recorded in
 * test/fixtures/recorded/devices.json `l4t_to_jetpack` (every L4T there is here; the fixture's repeated rows — 36.4.7,
 * 36.4.0, 36.2.0, 35.3.1, 32.7.1, 32.6.1 — are user reports from jetson_stats issues #791, #476, #400, #515, #357
 * and jetson-containers issue #678 that agree with this table), plus 38.1.0 from reference §B.2.
 * Where jtop and jetson-containers disagree (36.5.0: 6.2.2 vs 6.2.1; 36.4.2: "6.1 (rev1)" vs 6.1.1), jtop's label
 * is kept. JC's 39.1.0 = "7.2 GA (Orin SBSA)" is left to the R39 rule of lookupJetpack.
 * Checked again against jetson_stats 7.2.0 (2026-07) and NVIDIA's JetPack pages (field-2026-12.md #13–#14):
 * 39.2.0 = JetPack 7.2 GA (announced 2026-06-01; Orin and Thor, CUDA 13.2), 38.4.0 = 7.1 (adds T4000),
 * 36.5.0 = 6.2.2.
 */
export const L4T_TO_JETPACK: readonly JetpackRow[] = [
  { l4t: '39.2.0', jetpack: '7.2 GA' },
  { l4t: '39.0.0', jetpack: '7.2 EA' },
  { l4t: '38.4.0', jetpack: '7.1' },
  { l4t: '38.2.2', jetpack: '7.0' },
  { l4t: '38.2.1', jetpack: '7.0' },
  { l4t: '38.2.0', jetpack: '7.0' },
  // jetson-containers only (l4t_version.py get_jetpack_version, reference §B.2); jtop has no 38.1.0 row.
  { l4t: '38.1.0', jetpack: '7.0 EA' },
  { l4t: '36.5.0', jetpack: '6.2.2' },
  { l4t: '36.4.7', jetpack: '6.2.1' },
  { l4t: '36.4.4', jetpack: '6.2.1' },
  { l4t: '36.4.3', jetpack: '6.2' },
  { l4t: '36.4.2', jetpack: '6.1 (rev1)' },
  { l4t: '36.4.0', jetpack: '6.1' },
  { l4t: '36.3.0', jetpack: '6.0' },
  { l4t: '36.2.0', jetpack: '6.0 DP' },
  { l4t: '36.0.0', jetpack: '6.0 EA' },
  { l4t: '35.6.4', jetpack: '5.1.6' },
  { l4t: '35.6.3', jetpack: '5.1.5' },
  { l4t: '35.6.2', jetpack: '5.1.5' },
  { l4t: '35.6.1', jetpack: '5.1.5' },
  { l4t: '35.6.0', jetpack: '5.1.4' },
  { l4t: '35.5.0', jetpack: '5.1.3' },
  { l4t: '35.4.1', jetpack: '5.1.2' },
  { l4t: '35.3.1', jetpack: '5.1.1' },
  { l4t: '35.3.0', jetpack: '5.1.1 PRE' },
  { l4t: '35.2.1', jetpack: '5.1' },
  { l4t: '35.1.0', jetpack: '5.0.2 GA' },
  { l4t: '34.1.1', jetpack: '5.0.1 DP' },
  { l4t: '34.1.0', jetpack: '5.0 DP' },
  { l4t: '34.0.1', jetpack: '5.0 PRE-DP' },
  { l4t: '32.7.6', jetpack: '4.6.6' },
  { l4t: '32.7.5', jetpack: '4.6.5' },
  { l4t: '32.7.4', jetpack: '4.6.4' },
  { l4t: '32.7.3', jetpack: '4.6.3' },
  { l4t: '32.7.2', jetpack: '4.6.2' },
  { l4t: '32.7.1', jetpack: '4.6.1' },
  { l4t: '32.6.1', jetpack: '4.6' },
  { l4t: '32.5.2', jetpack: '4.5.1' },
  { l4t: '32.5.1', jetpack: '4.5.1' },
  { l4t: '32.5.0', jetpack: '4.5' },
  { l4t: '32.4.4', jetpack: '4.4.1' },
  { l4t: '32.4.3', jetpack: '4.4' },
  { l4t: '32.4.2', jetpack: '4.4 DP' },
  { l4t: '32.3.1', jetpack: '4.3' },
  { l4t: '32.2.3', jetpack: '4.2.3' },
  { l4t: '32.2.1', jetpack: '4.2.2' },
  { l4t: '32.2.0', jetpack: '4.2.1' },
  { l4t: '32.1.0', jetpack: '4.2' },
  { l4t: '31.1.0', jetpack: '4.1.1' },
  { l4t: '31.0.2', jetpack: '4.1' },
  { l4t: '31.0.1', jetpack: '4.0' },
  { l4t: '28.4.0', jetpack: '3.3.3' },
  { l4t: '28.2.1', jetpack: '3.3 | 3.2.1' },
  { l4t: '28.2.0', jetpack: '3.2' },
  { l4t: '28.1.0', jetpack: '3.1' },
  { l4t: '27.1.0', jetpack: '3.0' },
];

/** Parses an L4T version: "36.4.3", "36.4" (= 36.4.0), "R36.4.3", "r36.4"; null otherwise. */
export function parseL4tVersion(text: string): L4tVersion | null {
  const match = /^\s*[rR]?(\d{1,6})\.(\d{1,6})(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function compareParsed(a: L4tVersion, b: L4tVersion): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Orders two L4T versions numerically ("36.4" equals "36.4.0", "36.10.0" is after "36.9.0"): negative, 0 or
 * positive. Text that is not a version sorts before every version, and such texts among themselves by code unit.
 */
export function compareL4t(a: string, b: string): number {
  const pa = parseL4tVersion(a);
  const pb = parseL4tVersion(b);
  if (pa !== null && pb !== null) return compareParsed(pa, pb);
  if (pa !== null) return 1;
  if (pb !== null) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const PARSED_ROWS: readonly { version: L4tVersion; jetpack: string }[] = L4T_TO_JETPACK.flatMap((row) => {
  const version = parseL4tVersion(row.l4t);
  return version === null ? [] : [{ version, jetpack: row.jetpack }];
});

/** The JetPack label for an L4T version, and whether a table row matched exactly; null when unknown. */
export function lookupJetpack(l4t: string): { jetpack: string; isExact: boolean } | null {
  const version = parseL4tVersion(l4t);
  if (version === null) return null;
  const exact = PARSED_ROWS.find((row) => compareParsed(row.version, version) === 0);
  if (exact !== undefined) return { jetpack: exact.jetpack, isExact: true };
  const [major, minor] = version;
  // JetPack 7.2 is R39 for Thor and Orin; jtop (39.2.0 GA) and jetson-containers (39.1.0 GA) disagree on which
  // revision is GA, so any other 39.x is "7.2" (reference §B.2).
  if (major === 39) return { jetpack: '7.2', isExact: false };
  // Rows are newest first, so the first row at or below the version is the nearest lower one.
  const nearestBelow = (sameMinor: boolean): string | null =>
    PARSED_ROWS.find(
      (row) =>
        row.version[0] === major &&
        (!sameMinor || row.version[1] === minor) &&
        compareParsed(row.version, version) <= 0,
    )?.jetpack ?? null;
  let jetpack: string | null = null;
  // R38: the nearest lower R38 row (38.3.0 → 38.2.2 → 7.0).
  if (major === 38) jetpack = nearestBelow(false);
  // R36, R35, R32: the same major.minor with the highest patch not above it (36.4.5 → 36.4.4 → 6.2.1).
  if (major === 36 || major === 35 || major === 32) jetpack = nearestBelow(true);
  return jetpack === null ? null : { jetpack, isExact: false };
}

/**
 * The CUDA version a release ships or its containers expect ("12.6"), from the L4T version alone; null when
 * unknown. Reference §B.3 item 5 (from jetson-containers get_cuda_version): R39 → 13.2, R38 → 13.0,
 * R36.4+ → 12.6, R36.3 → 12.4 (for containers; the host toolkit is 12.2), R36.0–36.2 → 12.2, R35 → 11.4,
 * R32 → 10.2. A bare major ("39", "R35") is enough except for R36.
 */
export function expectedCudaForL4t(l4t: string): string | null {
  const match = /^\s*[rR]?(\d{1,6})(?:\.(\d{1,6})(?:\.\d{1,6})?)?\s*$/.exec(l4t);
  if (match?.[1] === undefined) return null;
  const major = Number(match[1]);
  const minor = match[2] === undefined ? null : Number(match[2]);
  switch (major) {
    case 39:
      return '13.2';
    case 38:
      return '13.0';
    case 35:
      return '11.4';
    case 32:
      return '10.2';
    case 36:
      if (minor === null) return null;
      return minor >= 4 ? '12.6' : minor === 3 ? '12.4' : '12.2';
    default:
      return null;
  }
}
