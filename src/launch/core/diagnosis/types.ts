/**
 * The shapes the diagnosis passes around: a failure as the log reducer reports it, the fix for it, the diagnosis
 * for one plan, and what a diagnoser reads (the failure, the request and plan that ran, the catalog).
 */
import type { DefaultsMode, Knobs } from '../../../plan/core/planner.js';
import type { Plan, PlanRequest } from '../../../plan/core/plan.js';
import type { Catalog } from '../../../catalog/core/presets-schema.js';
import type { LaunchStage, LogFailureKind, LogFigures } from '../log/state.js';
import type { KernelOomReport } from './kernel-oom.js';

/** The failures the vLLM log parser recognises. */
export type FailureKind = LogFailureKind;

/** One recognised failure: its kind, the line it was read from and the figures the line gave. */
export interface FailureInput {
  kind: FailureKind;
  line: string;
  /**
   * What the line said, as log/failures.ts reports it (sizes in bytes: neededKvBytes, availableKvBytes,
   * freeBytes, totalBytes) or in GiB (neededGiB, availableGiB, freeGiB, totalGiB). Read when present:
   * during; maxModelLen, kvTokens, estimatedMaxModelLen; gpuMemoryUtilization; method, minCapability,
   * currentCapability; arguments, version; port; model.
   */
  figures: Record<string, number | string>;
  /** Whether the server had a Hugging Face token (HF_TOKEN set): the launcher knows, the log does not. */
  hasHfToken?: boolean;
  /** What the launcher (or a pasted log) saw around the failure: it says where the memory of a kill went. */
  evidence?: KillEvidence;
}

/** A process other than vLLM whose memory grew while vLLM started (from memory samples of the processes). */
export interface GrownProcess {
  name: string;
  pid: number | null;
  /** How much its resident memory grew during the start (bytes). */
  grewBytes: number;
  /** Its resident memory at the last sample (bytes). */
  rssBytes: number;
}

/** The evidence of a kill: vLLM's own figures, the stage it reached, available memory, other processes. */
export interface KillEvidence {
  /** The figures vLLM printed before it died (weights, KV cache, CUDA graphs…), null where it printed none. */
  measured?: Partial<LogFigures>;
  /** The stage vLLM had reached. */
  stage?: LaunchStage | null;
  /** Available memory (MemAvailable + free swap) at the first and the lowest sample of the start (bytes). */
  memory?: {
    firstBytes: number | null;
    lowestBytes: number | null;
    /** The page cache (Cached + Buffers − Shmem) at the last sample before the kill (bytes). */
    pageCacheBytes?: number | null;
    /** The memory swapped out to zram at the last sample (bytes; null: no zram swap). */
    zramUsedBytes?: number | null;
    /** The RAM zram took to hold it (mm_stat's mem_used_total, bytes; null: not readable). */
    zramRamBytes?: number | null;
  };
  /** Processes other than vLLM that grew while it started, largest growth first. */
  processes?: GrownProcess[];
  /** The kernel's own report of the kill (dmesg), when it was readable. */
  kernel?: KernelOomReport | null;
}

/** What fixes a failure: a new plan (and the flags that changed), a command, or advice only. */
export type Fix =
  | {
      kind: 'replan';
      /** The knobs of the fixed request (what the user set, minus what caused the failure). */
      knobs: Knobs;
      defaults: DefaultsMode;
      /** "--flag value" for each flag added or changed, "without --flag" for each one dropped. */
      changedFlags: string[];
      plan: Plan;
      explanation: string;
    }
  | { kind: 'command'; command: string; explanation: string }
  | { kind: 'none'; explanation: string };

/** A failure explained for one plan: its title, its cause here, and the fix. */
export interface Diagnosis {
  kind: FailureKind;
  title: string;
  cause: string;
  fix: Fix;
}

/** What a diagnoser reads: the failure, the request and the plan that ran, and the catalog to re-plan with. */
export interface DiagnosisContext {
  failure: FailureInput;
  request: PlanRequest;
  plan: Plan;
  catalog: Catalog;
}

/** What a diagnoser returns: what this plan adds to the catalog's cause, and the fix. */
export interface DiagnosisOutcome {
  /** What this plan adds to the catalog's cause ("" when nothing). */
  detail: string;
  fix: Fix;
}
