/**
 * Starting the server a plan describes, natively or in docker, attached or detached, behind one handle:
 * its output line by line (stdout and stderr: docker's own errors reach the log parser too), its end,
 * a clean stop, and — for a detached server — letting go of it while it keeps running.
 *
 * - docker: the image is pulled first when it is not here (`docker image inspect`), with a compact
 *   progress line from docker's layer lines; a pulled image is then checked by the launcher (afterPull: a
 *   moving tag's vLLM is read, the plan re-made for it or the start refused), and the docker argv is made from
 *   the plan that comes out of that; then `docker run` with the known container name, no `-t`, HF_TOKEN by
 *   name only. Stop: `docker stop -t <grace> <name>`, then `docker kill`.
 *   Detached: `docker run -d` WITHOUT a restart policy, followed with `docker logs -f <name>`: a vLLM the
 *   OOM killer ends while it loads is not restarted into the same kill again and again (thrashing the
 *   board). The policy (`docker update --restart unless-stopped`) comes with release() once the server is
 *   ready — a --detach launch's, or the wizard's on its `l`; a server let go of before it was ready keeps none.
 * - native: `vllm serve …` as a child. Detached: in its own session (setsid(2)), stdout and stderr into a
 *   log file under the XDG state folder, followed by reading that file.
 */
import { openSync, closeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  formatPullProgress,
  initialPullProgress,
  launchRunArgv,
  launchRunCommand,
  parsePullLine,
  summarizePull,
} from './core/docker.js';
import { buildCommandLine } from '../plan/core/flags.js';
import type { Plan } from '../plan/core/plan.js';
import { run } from '../process/exec.js';
import { spawnLines, type LineStream } from '../process/spawn-lines.js';
import { spawnDetached } from '../process/spawn-detached.js';
import { stopGroup } from '../process/process-group.js';
import { followFile, type FileFollower } from './follow.js';

export interface ServerExit {
  exitCode: number | null;
  signal: string | null;
  /** Set when the server was never started (no docker, the pull failed…): why, already said. */
  notStarted?: string;
  /** Not started because the launcher refused it (afterPull: the re-made plan would not fit): exit 3. */
  isRefused?: boolean;
}

export interface ServerHandle {
  /** The server's pid once known (native: vLLM; docker attached: the `docker run` client). */
  readonly pid: number | undefined;
  /** The container's name (docker), else null. */
  readonly containerName: string | null;
  /** Resolves when the server has ended (attached) or stopped being followed (detached); never rejects. */
  exited: Promise<ServerExit>;
  /**
   * Stops the server: docker stop → docker kill (and rm for a detached container); native: SIGTERM to its
   * whole process group (vLLM's engine core and workers too) → SIGKILL of the group after the grace.
   * Resolves once nothing of it is left.
   */
  stop(graceMs?: number): Promise<void>;
  /** During a stop (a second Ctrl-C): no more grace, SIGKILL of the group now (docker: `docker kill`). */
  kill(): void;
  /**
   * Detached only: stop following and leave the server running. False when nothing had been started yet
   * (a pull in progress is stopped instead): nothing is left behind. `isReady`: the server answered, so a
   * detached container gets its restart policy (default true); one let go of before that keeps none.
   */
  release(isReady?: boolean): Promise<boolean>;
}

/** Where a detached server can be found again (for the record). */
export interface DetachedInfo {
  pid: number | null;
  container: string | null;
  logPath: string | null;
}

export interface StartOptions {
  /** The known name: the container's, and a detached server's record and log file. */
  name: string;
  isDetached: boolean;
  /**
   * Called once the image was pulled (not when it was here), before `docker run`: the plan to run instead (the
   * image's vLLM is not the one it was made for), a refusal (nothing is started: exit 3), or null (as planned).
   */
  afterPull?: () => Promise<{ plan: Plan } | { refusal: string } | null>;
  /** Status lines (stdout). */
  out: (line: string) => void;
  /** The docker stages, when they begin (the log parser cannot see a pull that did not happen). */
  onPhase?: (stage: 'image-pull' | 'container-start') => void;
  /** A detached server has started: where to find it. */
  onDetached?: (info: DetachedInfo) => void;
  /** The folder of detached native logs ($XDG_STATE_HOME/jetson-vllm). */
  stateDir: string;
  /** This launch's own log file (src/launch/logs.ts): a detached native vLLM writes into it. */
  logPath?: string;
  /** The image's compressed size from the catalog, for the pull line. */
  imageSizeBytes?: number | null;
  /** The docker program (default: docker on PATH). */
  docker?: string;
}

type OnLine = (line: string, stream: 'stdout' | 'stderr') => void;

/** Docker's own error lines (not vLLM's): shown as they come, since the log parser only knows some. */
const DOCKER_ERROR_RE = /^(?:docker: |Error response from daemon:|Error: No such|Unable to find image)/;

/** Starts the plan's server; returns at once (a pull runs inside). */
export function startServer(plan: Plan, o: StartOptions, onLine: OnLine): ServerHandle {
  return plan.runtime === 'docker' ? startDocker(plan, o, onLine) : startNative(plan, o, onLine);
}

// ---------------------------------------------------------------------------------------------------------------
// native
// ---------------------------------------------------------------------------------------------------------------

function startNative(plan: Plan, o: StartOptions, onLine: OnLine): ServerHandle {
  const cmd = plan.argv[0] ?? 'vllm';
  const args = plan.argv.slice(1);
  if (!o.isDetached) {
    o.out(`jetson-vllm: running ${plan.command}`);
    // Its own process group and session: vLLM V1's API server starts EngineCore_0 (and, with tensor
    // parallelism, workers) as children that inherit its stdout/stderr; a stop signals them all and
    // never waits on a pipe an orphan of the tree holds (src/process/spawn-lines.ts).
    const child = spawnLines(cmd, args, onLine, { isGroupLeader: true });
    return {
      get pid() {
        return child.pid;
      },
      containerName: null,
      exited: child.exited,
      stop: (graceMs = 10_000) => child.stop(graceMs),
      kill: () => child.kill(),
      release: () => Promise.resolve(false),
    };
  }
  const logPath = o.logPath ?? path.join(o.stateDir, `${o.name}.log`);
  let pid: number | undefined;
  let follower: FileFollower | null = null;
  let stopping: ReturnType<typeof stopGroup> | null = null;
  let isReleased = false;
  let resolveExit: (e: ServerExit) => void = () => undefined;
  const exited = new Promise<ServerExit>((resolve) => {
    resolveExit = resolve;
  });
  // Resolves once vLLM was spawned (or could not be): a stop waits for that, never for the server's end.
  let markSpawned: () => void = () => undefined;
  const spawned = new Promise<void>((resolve) => {
    markSpawned = resolve;
  });
  void (async () => {
    await mkdir(o.stateDir, { recursive: true });
    // Each start has its own file (logs/<name>-<time>.log): appending never touches another server's log.
    const fd = openSync(logPath, 'a', 0o600);
    o.out(`jetson-vllm: running ${plan.command} (detached: its own session, log ${logPath})`);
    const child = spawnDetached(cmd, args, { outputFd: fd });
    closeSync(fd);
    pid = child.pid;
    markSpawned();
    if (pid !== undefined) o.onDetached?.({ pid, container: null, logPath });
    follower = followFile(logPath, (line) => onLine(line, 'stdout'), { fromStart: true });
    const result = await child.exited;
    // Lines written just before the end are read before the end is reported.
    await follower.stop();
    if (!isReleased) resolveExit(result);
  })()
    .catch((error: unknown) => {
      const why = `could not start vllm: ${error instanceof Error ? error.message : String(error)}`;
      resolveExit({ exitCode: 127, signal: null, notStarted: why });
    })
    .finally(markSpawned);
  return {
    get pid() {
      return pid;
    },
    containerName: null,
    exited,
    async stop(graceMs = 10_000) {
      await spawned;
      if (pid === undefined) return;
      // The whole session (spawnDetached made vLLM its leader): vLLM's engine processes too.
      stopping ??= stopGroup(pid, graceMs);
      await stopping.done;
      await exited;
    },
    kill() {
      if (pid === undefined) return;
      if (stopping !== null) stopping.escalate();
      else stopping = stopGroup(pid, 0);
    },
    async release() {
      isReleased = true;
      await follower?.stop();
      resolveExit({ exitCode: null, signal: null });
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// docker
// ---------------------------------------------------------------------------------------------------------------

function startDocker(planned: Plan, o: StartOptions, onLine: OnLine): ServerHandle {
  const docker = o.docker ?? 'docker';
  const name = o.name;
  const image = planned.image ?? '';
  // The plan that runs: afterPull may replace it (the same image, another vLLM).
  let plan = planned;
  let pull: LineStream | null = null;
  let runChild: LineStream | null = null;
  let follower: LineStream | null = null;
  let hasContainer = false;
  let isStopping = false;
  let isReleased = false;
  let resolveExit: (e: ServerExit) => void = () => undefined;
  const exited = new Promise<ServerExit>((resolve) => {
    resolveExit = resolve;
  });
  const feed: OnLine = (line, stream) => {
    if (DOCKER_ERROR_RE.test(line)) o.out(`  ${line.trim()}`);
    onLine(line, stream);
  };

  const main = async (): Promise<ServerExit> => {
    const noCommand: ServerExit = {
      exitCode: 2,
      signal: null,
      notStarted: 'the plan has no docker command (no image for this device: give --image)',
    };
    if (plan.dockerArgv === null) return noCommand;
    // 1. The image: here already, or pulled with its progress.
    const inspect = await run(docker, ['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 30_000 });
    if (inspect.isNotFound) {
      const why = 'docker is not on PATH: install docker (and nvidia-container-toolkit), or --runtime native';
      return { exitCode: 127, signal: null, notStarted: why };
    }
    if (inspect.exitCode === 0) {
      o.out(`jetson-vllm: image ${image} is here (no pull)`);
    } else {
      o.onPhase?.('image-pull');
      const size = o.imageSizeBytes ?? null;
      o.out(
        `jetson-vllm: running ${buildCommandLine([docker, 'pull', image])}${size !== null ? ` (about ${(size / 1e9).toFixed(1)} GB)` : ''}`,
      );
      let progress = initialPullProgress();
      let shown = '';
      let lastShownAt = 0;
      const show = (isFinal: boolean): void => {
        const s = summarizePull(progress);
        // One line when a layer completes (or every 5 s while bytes move), not one per docker line.
        const key = `${s.layersDone}/${s.layersTotal}`;
        const now = Date.now();
        if (!isFinal && (s.layersTotal === 0 || (key === shown && now - lastShownAt < 5000))) return;
        if (!isFinal && key === shown && s.bytesDone === null) return;
        shown = key;
        lastShownAt = now;
        o.out(`  pull: ${formatPullProgress(progress)}`);
      };
      // The daemon's refusal (`permission denied while trying to connect to the Docker daemon socket…`).
      let lastError: string | null = null;
      pull = spawnLines(docker, ['pull', image], (line, stream) => {
        const before = summarizePull(progress).layersDone;
        progress = parsePullLine(progress, line);
        if (stream === 'stderr' && line.trim() !== '') lastError = line.trim();
        // Shared layers ("Already exists") come first, before the list is known: a line per pulled layer.
        if (summarizePull(progress).layersDone !== before && / Pull complete\b/.test(line)) show(false);
        feed(line, stream);
      });
      const pulled = await pull.exited;
      pull = null;
      if (isStopping) return { exitCode: null, signal: 'SIGTERM' };
      if (pulled.exitCode !== 0) {
        const said = progress.error ?? lastError;
        const why = `docker pull ${image} failed${said !== null ? `: ${said}` : ''}`;
        return { exitCode: pulled.exitCode ?? 1, signal: null, notStarted: why };
      }
      show(true);
      const checked = (await o.afterPull?.()) ?? null;
      if (isStopping) return { exitCode: null, signal: 'SIGTERM' };
      if (checked !== null && 'refusal' in checked)
        return { exitCode: 3, signal: null, notStarted: checked.refusal, isRefused: true };
      if (checked !== null) plan = checked.plan;
    }
    if (isStopping) return { exitCode: null, signal: 'SIGTERM' };
    // The argv of the plan that runs (made after afterPull, which may have replaced the plan).
    const argv = plan.dockerArgv === null ? null : launchRunArgv(plan.dockerArgv, { name, isDetached: o.isDetached });
    if (argv === null) return noCommand;
    // 2. The container. One left with its name: running, it is a detached launch's (not replaced); stopped,
    // it is a leftover of ours (removed).
    const existing = await run(docker, ['inspect', '--format', '{{.State.Running}}', name], { timeoutMs: 15_000 });
    if (existing.exitCode === 0 && existing.stdout.trim() === 'true') {
      const why = `a container called ${name} is already running (a detached launch?): jetson-vllm launch --stop ${name}, or give another --port`;
      return { exitCode: 1, signal: null, notStarted: why };
    }
    if (existing.exitCode === 0) await run(docker, ['rm', '-f', name], { timeoutMs: 15_000 });
    if (isStopping) return { exitCode: null, signal: 'SIGTERM' };
    o.onPhase?.('container-start');
    o.out(`jetson-vllm: running ${launchRunCommand(argv)}`);
    const args = argv.slice(1);
    if (!o.isDetached) {
      hasContainer = true;
      runChild = spawnLines(docker, args, feed);
      return runChild.exited;
    }
    const started = await run(docker, args, { timeoutMs: 120_000 });
    for (const line of `${started.stdout}\n${started.stderr}`.split('\n')) {
      if (line.trim() !== '') feed(line, 'stderr');
    }
    if (started.exitCode !== 0) return { exitCode: started.exitCode, signal: null };
    hasContainer = true;
    o.onDetached?.({ pid: null, container: name, logPath: null });
    if (isStopping) {
      // A stop that came while the container was being created: it found no container to stop.
      await stopContainer(10_000);
      return { exitCode: null, signal: 'SIGTERM' };
    }
    follower = spawnLines(docker, ['logs', '-f', name], feed);
    await follower.exited;
    if (isReleased || isStopping) return { exitCode: null, signal: null };
    // The container stopped by itself: its exit code says how (137: the OOM killer).
    const state = await run(docker, ['inspect', '--format', '{{.State.ExitCode}}', name], { timeoutMs: 10_000 });
    const code = Number(state.stdout.trim());
    return { exitCode: state.exitCode === 0 && Number.isInteger(code) ? code : null, signal: null };
  };
  const stopContainer = async (graceMs: number): Promise<void> => {
    const grace = Math.max(1, Math.round(graceMs / 1000));
    const stopped = await run(docker, ['stop', '-t', String(grace), name], { timeoutMs: graceMs + 15_000 });
    if (stopped.exitCode !== 0 || stopped.isTimedOut) await run(docker, ['kill', name], { timeoutMs: 15_000 });
    // A detached container is not removed with --rm (its restart policy forbids it).
    if (o.isDetached) await run(docker, ['rm', '-f', name], { timeoutMs: 15_000 });
  };
  void main().then(resolveExit, (error: unknown) => {
    o.out(`jetson-vllm: docker failed: ${error instanceof Error ? error.message : String(error)}`);
    resolveExit({ exitCode: 1, signal: null });
  });

  return {
    get pid() {
      return runChild?.pid;
    },
    containerName: name,
    exited,
    async stop(graceMs = 10_000) {
      if (isStopping) return;
      isStopping = true;
      await pull?.stop(2000);
      if (hasContainer) await stopContainer(graceMs);
      await follower?.stop(2000);
      // The `docker run` client ends with its container; if it does not, it is stopped too.
      const child = runChild;
      if (child !== null) {
        let timer: NodeJS.Timeout | undefined;
        const ended = await Promise.race([
          child.exited.then(() => true),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(false), 5000);
          }),
        ]);
        clearTimeout(timer);
        if (!ended) await child.stop(2000);
      }
      await exited;
    },
    kill() {
      // A second Ctrl-C during `docker stop`'s grace: the container is killed now.
      pull?.kill();
      if (hasContainer) void run(docker, ['kill', name], { timeoutMs: 15_000 });
    },
    async release(isReady = true) {
      if (!hasContainer) {
        // Nothing runs yet (the image is being pulled): stop rather than start a server nobody follows.
        await this.stop(2000);
        return false;
      }
      isReleased = true;
      await follower?.stop(2000);
      // Left running from now on, and it started: it comes back after a reboot. One not yet ready keeps no policy,
      // so a kill while it loads is not restarted into the same kill in a loop.
      if (isReady) await run(docker, ['update', '--restart', 'unless-stopped', name], { timeoutMs: 15_000 });
      return true;
    },
  };
}
