/**
 * Which detached server (`launch --detach`) `monitor` re-attaches to: `--server NAME`, or with neither
 * --server nor --url the only one recorded that still runs.
 */
import { UserError } from '../shared/errors.js';
import { describeServerPlace, type ServerRecord } from '../launch/core/servers.js';
import { forgetServers, isServerAlive, readServers } from '../launch/detached.js';

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
      say(`jetson-vllm monitor: ${s.name} is gone (${describeServerPlace(s)} no longer runs): its record was removed`);
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
