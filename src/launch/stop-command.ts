/**
 * `jetson-vllm launch --stop NAME`: stops a detached server (`launch --detach`) and forgets its record.
 */
import { UserError } from '../shared/errors.js';
import { describeServerPlace } from './core/servers.js';
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
    out(`jetson-vllm: stopping ${record.name} (${describeServerPlace(record)})`);
    await stopServer(record);
  }
  if (await isServerAlive(record)) {
    throw new UserError(`--stop: ${record.name} is still running (${describeServerPlace(record)})`, undefined, 1);
  }
  await forgetServers([record.name]);
  out(
    isAlive
      ? `stopped ${record.name}${record.logPath !== null ? ` (its log stays in ${record.logPath})` : ''}`
      : `${record.name} had already ended (${describeServerPlace(record)}): its record was removed`,
  );
  return 0;
}
