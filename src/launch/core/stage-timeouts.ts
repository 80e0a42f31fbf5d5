/**
 * How long each start-up stage may take before the launch says it looks stuck. Generous on purpose: a
 * Jetson reading weights from an SD card or eMMC, or pulling a 5 GB image over Wi-Fi, is slow but not
 * hung. The launch only says so (and keeps waiting); the user decides to stop. Pure.
 */
import { GiB } from '../../shared/units.js';
import type { LaunchStage } from './log/state.js';

/** Seconds a stage may last before it is called possibly stuck (null: never, e.g. ready or failed). */
export function stageTimeoutS(stage: LaunchStage, weightBytes: number): number | null {
  const weightsGiB = Math.max(0, weightBytes / GiB);
  switch (stage) {
    case 'image-pull':
      return 45 * 60; // 5–6 GB at ~2 MB/s
    case 'container-start':
      return 3 * 60;
    case 'engine-config':
      return 5 * 60; // imports, tokenizer, config (a Hub download of the config is in here)
    case 'weights-loading':
      // A download from the Hub is part of this stage: 10 min, plus 3 min per GiB (≈ 5 MB/s).
      return Math.round(10 * 60 + weightsGiB * 3 * 60);
    case 'memory-profiling':
      return 10 * 60;
    case 'kv-cache':
      return 5 * 60;
    case 'cuda-graphs':
      return 20 * 60; // torch.compile on an Orin can take many minutes the first time
    case 'api-server':
      return 5 * 60;
    case 'ready':
    case 'failed':
      return null;
    default: {
      const unreachable: never = stage;
      throw new Error(`unknown stage ${String(unreachable)}`);
    }
  }
}

/** What the launch says when a stage has lasted past its timeout. */
export function describeSlowStage(stageText: string, elapsedS: number, timeoutS: number): string {
  const min = (s: number): string =>
    s >= 120 ? `${Math.round(s / 60)} min` : s >= 10 ? `${Math.round(s)} s` : `${s.toFixed(1)} s`;
  return `${stageText} has taken ${min(elapsedS)} (more than the ${min(timeoutS)} it may take here): vLLM may be stuck — its last lines are above; s (or Ctrl-C) stops it, or keep waiting`;
}
