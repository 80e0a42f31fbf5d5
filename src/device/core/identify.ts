/**
 * Maps detected facts onto a device preset: by module part number, then SoC + MemTotal (labelled as
 * such), or a discrete GPU by its nvidia-smi name. Never reports a non-Jetson as a Jetson. Pure.
 */
import type { Catalog, Device } from '../../catalog/core/presets-schema.js';
import type { SystemFacts } from './system-facts.js';
import { toResolvedDevice, type ResolvedDevice } from './resolved-device.js';
import { GiB } from '../../shared/units.js';

/** Jetson family names by SoC (reference jetson-platform.md §A.3 rules). */
export const SOC_FAMILIES: Record<string, string> = {
  t210: 'Nano/TX1 family',
  t186: 'TX2 family',
  t194: 'Xavier family',
  t234: 'Orin family',
  t264: 'Thor family',
};

export interface Identification {
  kind: 'jetson' | 'discrete' | 'none';
  /** The preset the device maps onto, when one does. */
  presetId: string | null;
  /** What to call the device ("Jetson Orin NX 16GB", "Orin family (unknown module p3767-0009)"). */
  name: string;
  /** How the mapping was made. */
  source: string;
  /** True when only the family is certain and the preset was chosen by SoC + memory. */
  isFamilyOnly: boolean;
  /** The device for the planner: measured memory, measured OS use; null when there is none. */
  device: ResolvedDevice | null;
}

function closestByMemory(candidates: Device[], memTotal: number | null): Device | undefined {
  if (memTotal === null) return candidates[0];
  return [...candidates].sort((a, b) => Math.abs(a.memTotalBytes - memTotal) - Math.abs(b.memTotalBytes - memTotal))[0];
}

function withMeasuredMemory(preset: Device, facts: SystemFacts, name: string): ResolvedDevice {
  const base = toResolvedDevice(preset, 'detected');
  const total = facts.memTotalBytes.value;
  const available = facts.memAvailableBytes.value;
  const device: ResolvedDevice = { ...base, name };
  if (total !== null) device.memTotalBytes = total;
  if (total !== null && available !== null) device.osUsedBytes = Math.max(0, total - available);
  const free = facts.memFreeBytes.value;
  if (free !== null) device.memFreeBytes = free;
  return device;
}

/** Identifies the machine from its facts against the device presets. */
export function identifyDevice(facts: SystemFacts, catalog: Catalog): Identification {
  if (facts.isJetson) {
    const parts = facts.moduleParts.value ?? [];
    const memTotal = facts.memTotalBytes.value;
    for (const part of parts) {
      let matches = catalog.devices.filter((d) => d.partNumbers.includes(part));
      let preset = closestByMemory(matches, memTotal);
      // A devkit part shipped with more than one memory size (p3701-0000: AGX Orin 32 or 64 GB):
      // when MemTotal is far from the listed module, choose among the same module family by memory.
      if (preset !== undefined && memTotal !== null && Math.abs(preset.memTotalBytes - memTotal) > 0.1 * memTotal) {
        const prefix = part.slice(0, 5);
        matches = catalog.devices.filter((d) => d.partNumbers.some((p) => p.startsWith(prefix)));
        preset = closestByMemory(matches, memTotal);
      }
      if (preset !== undefined) {
        const ambiguous = matches.length > 1 ? ' and MemTotal' : '';
        return {
          kind: 'jetson',
          presetId: preset.id,
          name: preset.name,
          source: `part number ${part} in /proc/device-tree/compatible${ambiguous}`,
          isFamilyOnly: false,
          device: withMeasuredMemory(preset, facts, preset.name),
        };
      }
    }
    const soc = facts.soc.value;
    const family = soc !== null ? SOC_FAMILIES[soc] : undefined;
    const unknownPart = parts[0] !== undefined ? `unknown module ${parts[0]}` : 'no module part number';
    if (soc !== null && family !== undefined) {
      const sameSoc = catalog.devices.filter((d) => d.soc === soc);
      const preset = closestByMemory(sameSoc, memTotal);
      const name = `${family} (${unknownPart})`;
      if (preset !== undefined && memTotal !== null && Math.abs(preset.memTotalBytes - memTotal) <= 0.1 * memTotal) {
        return {
          kind: 'jetson',
          presetId: preset.id,
          name,
          source: `SoC ${soc} + MemTotal ${(memTotal / GiB).toFixed(1)} GiB: planned as ${preset.id} (the module itself is not known)`,
          isFamilyOnly: true,
          device: withMeasuredMemory(preset, facts, name),
        };
      }
      return {
        kind: 'jetson',
        presetId: null,
        name,
        source: `SoC ${soc}; no preset of that family has this memory`,
        isFamilyOnly: true,
        device: null,
      };
    }
    return {
      kind: 'jetson',
      presetId: null,
      name: facts.model.value ?? 'unknown Jetson',
      source: `a Jetson (${facts.model.value !== null ? facts.model.source : 'nv_tegra_release'}), but neither module nor SoC could be read`,
      isFamilyOnly: true,
      device: null,
    };
  }
  const gpu = facts.gpus.value?.[0];
  if (gpu !== undefined) {
    const preset = findDiscretePreset(gpu.name, gpu.memTotalBytes, catalog);
    if (preset !== undefined) {
      const device = toResolvedDevice(preset, 'detected');
      if (gpu.memTotalBytes !== null) device.memTotalBytes = gpu.memTotalBytes;
      return {
        kind: 'discrete',
        presetId: preset.id,
        name: gpu.name,
        source: `nvidia-smi: ${gpu.name}`,
        isFamilyOnly: false,
        device,
      };
    }
    if (gpu.memTotalBytes !== null && gpu.computeCapability !== null) {
      return {
        kind: 'discrete',
        presetId: null,
        name: gpu.name,
        source: `nvidia-smi: ${gpu.name} (no preset; memory and compute capability as nvidia-smi reports them)`,
        isFamilyOnly: false,
        device: {
          id: 'detected-gpu',
          name: gpu.name,
          memTotalBytes: gpu.memTotalBytes,
          isUnified: false,
          computeCapability: gpu.computeCapability,
          source: 'detected',
          isVllmSupported: Number(gpu.computeCapability) >= 7,
          vllmReason:
            Number(gpu.computeCapability) >= 7 ? 'compute capability ≥ 7.0' : 'vLLM needs compute capability ≥ 7.0',
        },
      };
    }
    return {
      kind: 'discrete',
      presetId: null,
      name: gpu.name,
      source: `nvidia-smi: ${gpu.name}, memory or compute capability unreported`,
      isFamilyOnly: false,
      device: null,
    };
  }
  return {
    kind: 'none',
    presetId: null,
    name: 'no NVIDIA GPU',
    source: facts.gpus.source,
    isFamilyOnly: false,
    device: null,
  };
}

/**
 * The discrete preset whose id tokens all appear in nvidia-smi's name ("NVIDIA GeForce RTX 4090" →
 * rtx-4090; "NVIDIA A100-SXM4-80GB" → a100-40gb or a100-80gb by memory). Whole tokens only, so
 * "NVIDIA L40S" is not an L4.
 */
export function findDiscretePreset(name: string, memTotalBytes: number | null, catalog: Catalog): Device | undefined {
  const tokens = new Set(name.toLowerCase().split(/[\s-]+/));
  const candidates = catalog.devices.filter((d) => {
    if (d.kind !== 'discrete') return false;
    const idTokens = d.id.split('-').filter((t) => !/^\d+gb$/.test(t));
    return idTokens.every((t) => tokens.has(t));
  });
  return closestByMemory(candidates, memTotalBytes);
}
