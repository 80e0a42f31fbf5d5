/**
 * Where and how to reach the Hugging Face Hub, from the environment: the endpoint, the token (the
 * variables, else the file `huggingface-cli login` saved), offline mode and jetson-vllm's cache folder.
 * I/O: reads the saved token file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../shared/errors.js';
import { pickXdgVariable } from '../../shared/xdg.js';
import { hfTokenPath } from '../token-path.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** Where and how to reach the Hub (see hubEnvFromProcess). */
export interface HubEnv {
  /** HF_ENDPOINT without a trailing slash (https://huggingface.co or a mirror). */
  endpoint: string;
  /** HF_TOKEN; sent only to the endpoint's origin. */
  token: string | null;
  /** HF_HUB_OFFLINE: answer from the cache only. */
  isOffline: boolean;
  /** jetson-vllm's cache directory ($XDG_CACHE_HOME/jetson-vllm). */
  cacheDir: string;
  /** The fetch to use (tests pass a guarded one); defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
}

const isTrue = (v: string | undefined): boolean => ['1', 'true', 'yes', 'on'].includes((v ?? '').trim().toLowerCase());
const nonEmpty = (v: string | undefined): string | null => {
  const t = (v ?? '').trim();
  return t === '' ? null : t;
};

const readTextOrNull = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/**
 * The Hub settings from the environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (or
 * HUGGING_FACE_HUB_TOKEN, else the token `huggingface-cli login` saved: see hfTokenPath), HF_HUB_OFFLINE
 * ("1"/"true"), and the cache dir <cache home>/jetson-vllm where the cache home is $XDG_CACHE_HOME when
 * set (absolute), else `xdgCacheHome` (the caller's resolveXdgDir('cache', …), normally ~/.cache).
 */
export function hubEnvFromProcess(
  env: NodeJS.ProcessEnv,
  xdgCacheHome: string,
  readText: (file: string) => string | null = readTextOrNull,
): HubEnv {
  const endpointText = nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_HF_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpointText);
  } catch {
    throw new UserError(`HF_ENDPOINT "${endpointText}" is not a URL (e.g. ${DEFAULT_HF_ENDPOINT})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UserError(`HF_ENDPOINT "${endpointText}" is not an http(s) URL (e.g. ${DEFAULT_HF_ENDPOINT})`);
  if (url.username !== '' || url.password !== '')
    throw new UserError('HF_ENDPOINT must not contain a user or password: put the token in HF_TOKEN');
  const endpoint = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  const cacheHome = pickXdgVariable('cache', env) ?? xdgCacheHome;
  return {
    endpoint,
    token:
      nonEmpty(env.HF_TOKEN) ??
      nonEmpty(env.HUGGING_FACE_HUB_TOKEN) ??
      nonEmpty(readText(hfTokenPath(env, cacheHome)) ?? undefined),
    isOffline: isTrue(env.HF_HUB_OFFLINE),
    cacheDir: path.join(cacheHome, 'jetson-vllm'),
  };
}
