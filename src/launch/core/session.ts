/**
 * One launch of vLLM, its state: what the shell reports (the events), where the launch stands (the session),
 * and the few helpers the wizard needs before any event (a new session, one ended without a server, whether
 * the server is owned). The reducer that turns events into sessions — with the log grammar, the watchdog and
 * the diagnosis behind it — is session-reducer.ts, so the wizard's first screens load none of that. Pure.
 */
import type { Catalog } from '../../catalog/core/presets-schema.js';
import type { Plan, PlanRequest } from '../../plan/core/plan.js';
import { buildOutcome, type LaunchOutcome } from './session-outcome.js';
import { initialLogState, type LaunchStage, type LogState } from './log/state.js';
import type { WatchdogState } from './watchdog.js';
import type { ProcessReading, StartEvidence, ZramReading } from './diagnosis/evidence.js';

/** Log lines the launch screen keeps. */
export const LAUNCH_TAIL = 40;

/** How many of vLLM's last log lines a failure report shows (the cause is often in them). */
export const FAILURE_TAIL = 12;

/** What each stage is called on the status lines and the screen. */
export const STAGE_TEXT: Record<LaunchStage, string> = {
  'image-pull': 'pulling the image',
  'container-start': 'starting the container',
  'engine-config': 'engine configured',
  'weights-loading': 'loading weights',
  'memory-profiling': 'profiling memory',
  'kv-cache': 'allocating the KV cache',
  'cuda-graphs': 'capturing CUDA graphs',
  'api-server': 'starting the API server',
  ready: 'ready',
  failed: 'failed',
};

/** The outcome's types, with the session's (session-outcome.ts builds them). */
export type { LaunchEnding, LaunchOutcome, LaunchRetry } from './session-outcome.js';

/** What one launch knows before it starts: the plan and what a diagnosis needs, the limits, where it serves. */
export interface LaunchSetup {
  plan: Plan;
  request: PlanRequest;
  catalog: Catalog;
  /** The Hugging Face token, replaced by <HF_TOKEN> wherever vLLM's log is shown ('' when there is none). */
  token: string;
  /** Whether vLLM has a token (HF_TOKEN, or one `huggingface-cli login` saved): the log cannot say. */
  hasHfToken: boolean;
  /** The server's name (its container, a detached server's record) and its URL. */
  name: string;
  url: string;
  /** --detach: the server outlives the launch. */
  isDetached: boolean;
  /** Seconds after which any stage looks stuck (null: per stage, stage-timeouts.ts). */
  stageTimeoutS: number | null;
  /** How long vLLM has to exit after SIGTERM before it gets SIGKILL (ms). */
  stopGraceMs: number;
  /** Seconds a detached launch waits for /health. */
  readyTimeoutS: number;
  /** The watchdog's floor in bytes (0 turns it off). */
  memoryFloorBytes: number;
}

/** What the shell reports, in the past tense; `elapsedMs` counts from the start of the launch. */
export type LaunchSessionEvent =
  /** The runtime's own line (the command, the pull's progress): printed as is, shown in the tail. */
  | { type: 'runtimeLineRead'; line: string }
  /** The launch's full log goes to this file ($XDG_STATE_HOME/jetson-vllm/logs/…). */
  | { type: 'logFileOpened'; path: string }
  /** A docker phase began (a present image is not pulled: no log line marks it). */
  | { type: 'phaseEntered'; stage: 'image-pull' | 'container-start'; elapsedMs: number }
  | { type: 'logLineRead'; line: string; elapsedMs: number }
  /** A second went by (the stuck-stage check). */
  | { type: 'tick'; elapsedMs: number }
  /** Available memory (MemAvailable + free swap) read while vLLM starts, for the watchdog. */
  /** A /proc/meminfo read: MemAvailable + free swap, and the page cache for the diagnosis of a kill. */
  | { type: 'memorySampled'; availableBytes: number; pageCacheBytes?: number | null; elapsedMs: number }
  /** The other processes' resident memory (vLLM's own tree left out), read with the watchdog's samples. */
  /** The other processes, and what zram held (/proc/swaps, mm_stat; null: no zram, undefined: not read). */
  | { type: 'processesSampled'; processes: ProcessReading[]; zram?: ZramReading | null; elapsedMs: number }
  /** The kernel's log lines printed since the launch started (dmesg / journalctl -k), read after a kill. */
  | { type: 'kernelLogRead'; lines: string[]; elapsedMs: number }
  /** /health answered 200 and /v1/models listed the model. */
  | { type: 'serverReady'; url: string; elapsedMs: number }
  /** A detached launch waited readyTimeoutS for /health in vain: it stops the server. */
  | { type: 'readyTimedOut'; elapsedMs: number }
  /** A signal, the wizard's "stop" or the watchdog asked for the server to stop. */
  | { type: 'stopRequested'; elapsedMs: number }
  /** Detached: a signal asked to let go of the server (it keeps running). */
  | { type: 'releaseRequested'; elapsedMs: number }
  /** Detached: the launch let go — of a running server (`how` it can be found), or of nothing yet started. */
  | { type: 'released'; isLeftRunning: boolean; how: string; elapsedMs: number }
  /** The plan was made again before the server started (the pulled image carries another vLLM): its command. */
  | { type: 'planReplaced'; command: string }
  /**
   * The server ended (or was never started: `notStarted` says why; `isRefused`: the launch refused to start it,
   * as prepareLaunch refuses a plan that would not fit — exit 3, `notStarted` is the whole message).
   */
  | {
      type: 'serverExited';
      code: number | null;
      signal: string | null;
      notStarted: string | null;
      isRefused?: boolean;
      elapsedMs: number;
    };

/** Where a launch stands: what the CLI's status lines are derived from and the wizard's screen shows. */
export interface LaunchSession {
  /** 1 for the first launch, +1 for each retry. */
  attempt: number;
  status: 'starting' | 'ready' | 'stopping' | 'ended';
  /** Whether /health answered (it stays true when a stop was asked for first). */
  isReady: boolean;
  /** The exact command that runs. */
  command: string;
  /** The stages the screen lists, with the seconds since the start when each began. */
  stages: { text: string; elapsedS: number }[];
  /** The stage running now, since when (ms) and whether it was said to look stuck. */
  current: { stage: LaunchStage; text: string; sinceMs: number; isStuckSaid: boolean } | null;
  /** What vLLM's log said so far (vllm-log.ts). */
  log: LogState;
  /** The screen's log tail: the runtime's and vLLM's lines, token redacted, at most LAUNCH_TAIL. */
  tail: string[];
  /** vLLM's last non-empty lines (each cut at 400 characters), at most FAILURE_TAIL, for a failure report. */
  lastLines: string[];
  url: string | null;
  /** vLLM's figures next to the plan's ("predicted vs actual:" and rows). */
  comparison: string[];
  /** The watchdog's readings (null until the first sample). */
  memory: WatchdogState | null;
  /** Why the watchdog stopped vLLM, once it fired. */
  watchdog: string | null;
  /** What was seen of memory while vLLM started, for the diagnosis of a kill (null until the first sample). */
  evidence: StartEvidence | null;
  /** The last "looks stuck" notice. */
  stuck: string | null;
  /** A detached launch that waited for /health in vain. */
  hasTimedOut: boolean;
  /** Detached: letting go of the server was asked for. */
  isReleasing: boolean;
  /** Detached: how the server left running can be found (a docker container, pid N). */
  leftRunning: string | null;
  exit: { code: number | null; signal: string | null } | null;
  outcome: LaunchOutcome | null;
  /** A detached server's name once it is ready: it outlives the wizard. */
  detachedName: string | null;
  /** Where the launch's full log is kept (said with a failure), once opened. */
  logPath: string | null;
}

/** Returns the session of a launch about to start (attempt 1, or a retry's number). */
export function createLaunchSession(command: string, attempt: number): LaunchSession {
  return {
    attempt,
    status: 'starting',
    isReady: false,
    command,
    stages: [],
    current: null,
    log: initialLogState(),
    tail: [],
    lastLines: [],
    url: null,
    comparison: [],
    memory: null,
    watchdog: null,
    evidence: null,
    stuck: null,
    hasTimedOut: false,
    isReleasing: false,
    leftRunning: null,
    exit: null,
    outcome: null,
    detachedName: null,
    logPath: null,
  };
}

/** Whether a server is (or may still be) running for this session. */
export const isServerRunning = (session: LaunchSession): boolean => session.status !== 'ended';

/** Whether the wizard owns the server (stops it on quit): not once a detached one is ready. */
export const isServerOwned = (session: LaunchSession): boolean =>
  isServerRunning(session) && session.detachedName === null;

/** Returns the text with the token replaced by <HF_TOKEN> (a token under 4 characters is not looked for). */
export function redactToken(text: string, token: string): string {
  return token.length >= 4 ? text.replaceAll(token, '<HF_TOKEN>') : text;
}

/** Returns what a stage is called on the status lines and the screen. */
export function describeStage(stage: LaunchStage): string {
  return STAGE_TEXT[stage];
}

/** Returns "signal X" or "exit code N" for an exit. */
export function describeExit(exit: { code: number | null; signal: string | null }): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? '?'}`;
}

/** Returns the session ended without a server (launching was not possible: `message` says why). */
export function endLaunchSession(session: LaunchSession, message: string): LaunchSession {
  if (session.status === 'ended') return session;
  return { ...session, status: 'ended', outcome: buildOutcome('exited', 'not-started', 1, message, null, null) };
}
