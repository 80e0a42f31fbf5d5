/**
 * The commands around detached servers and docker images: `launch --stop NAME`, which server
 * `monitor` re-attaches to (`--server NAME`, or the only one recorded), and the present-image
 * preference of a docker launch (jetson-platform.md §D.4 step 6).
 */
import { UserError } from '../shared/errors.js';
import { chooseLaunchImage, parseImageList, ruleImages } from './core/docker.js';
import type { Plan, PlanRequest } from '../plan/core/plan.js';
import type { Catalog } from '../catalog/core/presets-schema.js';
import type { PlanOptions } from '../plan/core/request.js';
import type { ServerRecord } from './core/servers.js';
import { run } from '../process/exec.js';
import { forgetServers, isServerAlive, readServers, stopServer } from './detached.js';

/** `launch --stop NAME`: stops a detached server and forgets it. Exit 0; an unknown name is bad input. */
export async function runStop(name: string, out: (line: string) => void): Promise<number> {
  const { servers } = await readServers();
  const record = servers.find((s) => s.name === name);
  if (record === undefined) {
    const names = servers.map((s) => s.name);
    throw new UserError(
      `--stop: no detached server is called "${name}"`,
      names.length > 0 ? `recorded: ${names.join(', ')}` : 'none is recorded (launch --detach records them)',
    );
  }
  const isAlive = await isServerAlive(record);
  if (isAlive) {
    out(`jetson-vllm: stopping ${record.name} (${describeWhere(record)})`);
    await stopServer(record);
  }
  if (await isServerAlive(record)) {
    throw new UserError(`--stop: ${record.name} is still running (${describeWhere(record)})`, undefined, 1);
  }
  await forgetServers([record.name]);
  out(
    isAlive
      ? `stopped ${record.name}${record.logPath !== null ? ` (its log stays in ${record.logPath})` : ''}`
      : `${record.name} had already ended (${describeWhere(record)}): its record was removed`,
  );
  return 0;
}

function describeWhere(r: ServerRecord): string {
  return r.runtime === 'docker' ? `container ${r.container ?? r.name}` : `pid ${r.pid ?? '?'}`;
}

/**
 * The server `monitor` follows: the one named by --server, or — with neither --server nor --url — the only
 * recorded one still alive (null when there is none or several). Records whose server is gone are
 * reported and removed.
 */
export async function chooseMonitorServer(
  name: string | undefined,
  hasUrl: boolean,
  say: (line: string) => void,
): Promise<ServerRecord | null> {
  if (name === undefined && hasUrl) return null;
  const { servers } = await readServers();
  const candidates = name === undefined ? servers : servers.filter((s) => s.name === name);
  if (name !== undefined && candidates.length === 0) {
    const names = servers.map((s) => s.name);
    throw new UserError(
      `--server: no detached server is called "${name}"`,
      names.length > 0 ? `recorded: ${names.join(', ')}` : 'none is recorded (launch --detach records them)',
    );
  }
  const alive: ServerRecord[] = [];
  const gone: ServerRecord[] = [];
  for (const s of candidates) ((await isServerAlive(s)) ? alive : gone).push(s);
  if (gone.length > 0) {
    await forgetServers(gone.map((s) => s.name));
    for (const s of gone)
      say(`jetson-vllm monitor: ${s.name} is gone (${describeWhere(s)} no longer runs): its record was removed`);
  }
  if (name !== undefined) {
    const found = alive[0];
    if (found === undefined)
      throw new UserError(`--server: ${name} is no longer running`, 'launch it again (launch --detach)', 1);
    return found;
  }
  if (alive.length === 1 && alive[0] !== undefined) {
    say(`jetson-vllm monitor: following ${alive[0].name} at ${alive[0].url} (the only detached server recorded)`);
    return alive[0];
  }
  if (alive.length > 1)
    say(
      `jetson-vllm monitor: ${alive.length} detached servers are recorded; choose one with --server (${alive.map((s) => s.name).join(', ')})`,
    );
  return null;
}

/**
 * A docker launch prefers an image already here: the plan's, or — when neither --image nor --vllm-version
 * pinned it — another image of the catalog that satisfies the rule for this board, re-planned for its
 * vLLM. Returns the options to plan with (unchanged when the plan's image is fine) and what to say.
 */
export async function preferPresentImage(
  plan: Plan,
  request: PlanRequest,
  options: PlanOptions,
  catalog: Catalog,
  l4t: string | null = null,
): Promise<{ options: PlanOptions; note: string | null }> {
  if (plan.runtime !== 'docker' || plan.image === null) return { options, note: null };
  const listed = await run('docker', ['images', '--format', '{{json .}}'], { timeoutMs: 15_000 });
  // No docker (or no daemon): the launch says so when it starts it.
  if (listed.exitCode !== 0) return { options, note: null };
  const isPinned = options.image !== undefined || options.vllmVersion !== undefined;
  const choice = chooseLaunchImage(
    plan.image,
    ruleImages(catalog.vllm.images, request.device.soc, l4t),
    parseImageList(listed.stdout),
    isPinned,
  );
  if (choice.kind !== 'present-other') return { options, note: null };
  return {
    options: { ...options, image: choice.image, vllmVersion: choice.vllmVersion },
    note: `jetson-vllm: ${choice.image} is here already: using it instead of pulling ${plan.image} (re-planned for vLLM ${choice.vllmVersion}; --image ${plan.image} pulls that one)`,
  };
}
