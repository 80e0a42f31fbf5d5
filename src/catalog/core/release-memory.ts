/**
 * The MemTotal a Jetson reports on a given JetPack (or L4T) release, from the device preset's memTotalByRelease:
 * carve-outs move with the release (Orin NX 16 GB: 15368 MiB on JetPack 6.2), so a plan made off the board for a
 * named release uses that release's figure. Pure.
 */
import type { Device } from './presets-schema.js';
import { compareVersions, parseVersion } from '../../shared/units.js';

/** A release as `--jetpack` names it: a JetPack version (6.2, 7.2) or an L4T one with its r (r36.4.3). */
export interface ReleaseRef {
  kind: 'jetpack' | 'l4t';
  version: string;
}

/** Returns the release a `--jetpack` value names, or null when it is neither x.y[.z] nor rNN.x[.y]. */
export function parseReleaseRef(text: string): ReleaseRef | null {
  const trimmed = text.trim();
  const l4t = /^[rR](\d+\.\d+(?:\.\d+)?)$/.exec(trimmed);
  if (l4t?.[1] !== undefined) return { kind: 'l4t', version: l4t[1] };
  return /^\d+\.\d+(?:\.\d+)?$/.test(trimmed) ? { kind: 'jetpack', version: trimmed } : null;
}

/** Returns the device's MemTotal entry for the release (versions compared as x.y.z, 6.2 = 6.2.0), or null. */
export function findReleaseMemTotal(device: Device, ref: ReleaseRef): Device['memTotalByRelease'][number] | null {
  const wanted = parseVersion(ref.version);
  if (wanted === null) return null;
  const found = device.memTotalByRelease.find((entry) => {
    const have = parseVersion(ref.kind === 'jetpack' ? entry.jetpack : entry.l4t);
    return have !== null && compareVersions(have, wanted) === 0;
  });
  return found ?? null;
}
