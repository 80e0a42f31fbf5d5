/** The device the planner plans for: a preset, a detected board, or either with its memory overridden. Pure. */
import type { Device } from '../../catalog/core/presets-schema.js';

export interface ResolvedDevice {
  id: string;
  name: string;
  memTotalBytes: number;
  isUnified: boolean;
  computeCapability: string;
  soc?: string;
  source: 'detected' | 'preset' | 'override';
  isVllmSupported: boolean;
  vllmReason: string;
  /** Memory the OS and other processes hold, when measured on the device. */
  osUsedBytes?: number;
  /** MemFree read on the device (unified only): vLLM 0.6.3 sizes its KV cache from a delta that saturates near it. */
  memFreeBytes?: number;
}

/** Maps a device preset to the planner's device. */
export function toResolvedDevice(d: Device, source: ResolvedDevice['source']): ResolvedDevice {
  const base: ResolvedDevice = {
    id: d.id,
    name: d.name,
    memTotalBytes: d.memTotalBytes,
    isUnified: d.kind === 'jetson',
    computeCapability: d.computeCapability,
    source,
    isVllmSupported: d.vllm.isSupported,
    vllmReason: d.vllm.reason,
  };
  return d.soc === undefined ? base : { ...base, soc: d.soc };
}
