/**
 * With no --url and no recorded server, `monitor` looks for a vLLM on localhost's default port: /health, then
 * /v1/models for what it serves. Bounded GETs with a short deadline, so a port held by something else costs
 * at most that before the panel starts.
 */
import { DEFAULT_VLLM_PORT, parseServedModels, type Discovery } from './core/discovery.js';
import { getBounded } from '../process/http-get.js';

/** The URL looked at by default. */
export const DEFAULT_LOCAL_URL = `http://127.0.0.1:${DEFAULT_VLLM_PORT}`;

const DISCOVERY_TIMEOUT_MS = 800;

/** Looks for a vLLM at `url` (default: localhost's port 8000) and says what answered. */
export async function discoverLocalServer(url: string = DEFAULT_LOCAL_URL): Promise<Discovery> {
  const base = url.replace(/\/+$/, '');
  try {
    const health = await getBounded(`${base}/health`, {
      limitBytes: 64 * 1024,
      timeoutMs: DISCOVERY_TIMEOUT_MS,
      what: 'health',
    });
    if (health.status !== 200) return { kind: 'not-vllm', url: base, status: health.status };
    const models = await getBounded(`${base}/v1/models`, {
      limitBytes: 1024 * 1024,
      timeoutMs: DISCOVERY_TIMEOUT_MS,
      what: 'models',
    }).catch(() => null);
    return { kind: 'found', url: base, models: models === null ? [] : parseServedModels(models.body) };
  } catch (error) {
    return { kind: 'none', url: base, why: error instanceof Error ? error.message : String(error) };
  }
}
