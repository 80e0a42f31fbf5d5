/**
 * Any Hugging Face model, read from its own metadata: config.json plus the safetensors tensor headers
 * (HTTP range requests through @huggingface/hub), or the header of one GGUF file (@huggingface/gguf).
 * What was read is cached under <cacheDir>/hub/<org>/<name>/<revision>/ so a model planned once can be
 * planned again offline. I/O.
 *
 * The token is never handed to the libraries: one fetch wrapper adds `Authorization: Bearer …` to
 * requests for the endpoint's own origin only (never to a CDN it redirects to), and no message or
 * cache file ever contains it.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HubApiError, parseSafetensorsMetadata } from '@huggingface/hub';
import { gguf, type GGUFMetadata, type GGUFTensorInfo } from '@huggingface/gguf';
import { UserError } from '../shared/errors.js';
import { hfTokenPath } from './token-path.js';
import { parseHfConfig } from './core/hf-config.js';
import { safetensorsDtypeBytes, type ModelDescription } from './core/model-source.js';
import { describeSafetensors, type SafetensorsTensor } from './core/weights.js';
import type { QuantVariant } from '../catalog/core/presets-schema.js';
import { formatBytes } from '../shared/units.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
/** Per-request limit (connect + body) for every Hub request. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** A 200 answer to a Range request bigger than this means the server ignored the range: refuse it. */
const MAX_UNRANGED_BYTES = 16 * 1024 * 1024;
/** config.json larger than this is not a config. */
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const CACHE_FORMAT = 1;

/** A Hugging Face model reference: the repository and an optional branch, tag or commit. */
export interface HubRef {
  repo: string;
  revision: string | null;
}

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

/** The raw header of a GGUF file on the Hub (metadata and tensor infos as @huggingface/gguf parses them). */
export interface HubGgufHeader {
  /** Every key as parsed (numbers, strings, bigints for 64-bit values, arrays). */
  metadata: GGUFMetadata<{ strict: false }>;
  tensorInfos: GGUFTensorInfo[];
  /** Total size of the .gguf file in bytes. */
  fileBytes: number;
}

// ------------------------------------------------------------------------------------------------
// References and environment

const NAME_PART = /^[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9_])?$/;
const REVISION = /^[\w.-]+(?:\/[\w.-]+)*$/;

function isRepoId(repo: string): boolean {
  const parts = repo.split('/');
  return (
    parts.length === 2 &&
    parts.every((p) => NAME_PART.test(p) && !p.includes('..') && !p.includes('--') && p !== '.' && p !== '..')
  );
}

function isRevision(revision: string): boolean {
  return (
    revision.length > 0 &&
    revision.length <= 255 &&
    REVISION.test(revision) &&
    !revision.split('/').some((s) => s === '.' || s === '..')
  );
}

/**
 * "org/name" or "org/name@revision" (a branch, tag or 40-hex commit); anything else → null.
 * Note: "models/qwen" also has this shape, so a caller checks for a local folder first.
 */
export function parseModelRef(ref: string): HubRef | null {
  const at = ref.indexOf('@');
  const repo = at === -1 ? ref : ref.slice(0, at);
  const revision = at === -1 ? null : ref.slice(at + 1);
  if (!isRepoId(repo)) return null;
  if (revision !== null && !isRevision(revision)) return null;
  return { repo, revision };
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
 * set (absolute), else `xdgCacheHome` (normally ~/.cache).
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
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  const cacheHome =
    xdg !== null && path.isAbsolute(xdg) ? xdg : xdgCacheHome !== '' ? xdgCacheHome : path.join(os.homedir(), '.cache');
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

// ------------------------------------------------------------------------------------------------
// Fetching: one session per describe call records what went wrong, whatever the library makes of it

interface HttpFailure {
  status: number;
  /** The Hub's X-Error-Code (RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound), if any. */
  code: string | null;
  /** The file the request was for (the path after /resolve/<rev>/ or /raw/<rev>/). */
  file: string;
}

interface Session {
  fetch: typeof fetch;
  network: string | null;
  http: HttpFailure | null;
  rangeIgnored: string | null;
  /** Total file sizes learnt from Content-Range, by request URL. */
  totals: Map<string, number>;
}

/** Thrown by the fetch wrapper; the session says what happened. */
class SessionAbort extends Error {}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
    const cause: unknown = (error as { cause?: unknown }).cause;
    if (typeof cause === 'object' && cause !== null) {
      const code = (cause as { code?: unknown }).code;
      if (typeof code === 'string') return code;
      const name = (cause as { name?: unknown }).name;
      if (name === 'ConnectTimeoutError') return 'timed out';
    }
  }
  return 'network error';
}

function fileOfUrl(url: URL): string {
  const match = /\/(?:resolve|raw)\/[^/]+\/(.+)$/.exec(url.pathname);
  return match?.[1] !== undefined ? decodeURIComponent(match[1]) : url.pathname;
}

/**
 * The fetch handed to the libraries: adds the token for the endpoint's origin, a timeout, records HTTP
 * and network failures, refuses a full download when a Range request was ignored, and (strict) turns
 * non-2xx answers into errors (@huggingface/gguf does not check the status itself).
 */
function openSession(env: HubEnv, strict: boolean): Session {
  const base = env.fetch ?? fetch;
  const origin = new URL(env.endpoint).origin;
  const timeoutMs = env.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const session: Session = { fetch: base, network: null, http: null, rangeIgnored: null, totals: new Map() };
  session.fetch = async (input, init) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(href);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (env.token !== null && url.origin === origin && !headers.has('authorization'))
      headers.set('Authorization', `Bearer ${env.token}`);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    let response: Response;
    try {
      response = await base(url.href, {
        ...init,
        method,
        headers,
        signal: init?.signal ?? AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      session.network ??= describeNetworkError(error);
      throw new SessionAbort('network');
    }
    if (!response.ok) {
      const code = response.headers.get('x-error-code');
      // fileExists() probes model.safetensors with HEAD and takes a 404 as "not there".
      const isProbe = method === 'HEAD' && response.status === 404;
      if (!isProbe) session.http ??= { status: response.status, code, file: fileOfUrl(url) };
      if (strict) {
        await response.body?.cancel();
        throw new SessionAbort('http');
      }
      return response;
    }
    if (headers.has('range')) {
      const total = /\/\s*(\d+)\s*$/.exec(response.headers.get('content-range') ?? '')?.[1];
      if (total !== undefined) session.totals.set(href, Number(total));
      // A 200 JSON answer is the Xet file-info (or a small file), not the whole weights file.
      const isJson = /json/i.test(response.headers.get('content-type') ?? '');
      if (response.status === 200 && !isJson) {
        const length = Number(response.headers.get('content-length') ?? NaN);
        const isBig = Number.isFinite(length)
          ? length > MAX_UNRANGED_BYTES
          : /\.(safetensors|gguf)$/i.test(url.pathname);
        if (isBig) {
          await response.body?.cancel();
          session.rangeIgnored = fileOfUrl(url);
          throw new SessionAbort('range');
        }
      }
    }
    return response;
  };
  return session;
}

// ------------------------------------------------------------------------------------------------
// Errors

/** The per-call error vocabulary: every message goes through scrub() so the token never shows. */
class Failures {
  constructor(
    private readonly ref: HubRef,
    private readonly env: HubEnv,
  ) {}

  scrub(text: string): string {
    const token = this.env.token;
    return token === null || token === '' ? text : text.split(token).join('***');
  }

  fail(message: string, hint?: string): UserError {
    return new UserError(this.scrub(message), hint === undefined ? undefined : this.scrub(hint));
  }

  unreachable(reason: string, what: string): UserError {
    const { repo } = this.ref;
    return this.fail(
      `cannot reach ${this.env.endpoint} (offline?): planning ${repo} needs its ${what} once; afterwards it works offline`,
      `the request failed (${reason}); set HF_ENDPOINT for a mirror, or plan a preset or a local model folder`,
    );
  }

  offline(what: string, dir: string): UserError {
    const { repo } = this.ref;
    return this.fail(
      `HF_HUB_OFFLINE is set and ${repo} is not in the cache: planning ${repo} needs its ${what} once; afterwards it works offline`,
      `run once without HF_HUB_OFFLINE (the cache is ${dir}), or plan a preset or a local model folder`,
    );
  }

  /** The UserError for an HTTP failure, or null when it is transient (429, 5xx: the cache may answer). */
  http(failure: HttpFailure): UserError | null {
    const { repo } = this.ref;
    const { endpoint, token } = this.env;
    const revision = this.ref.revision ?? 'main';
    const { status, code, file } = failure;
    if (code === 'RepoNotFound')
      return this.fail(
        `${repo} does not exist on ${endpoint} (or is private)`,
        token === null ? 'if it is private, set HF_TOKEN to a token that can read it' : 'check the repository name',
      );
    if (code === 'RevisionNotFound') return this.fail(`${repo} has no revision "${revision}" on ${endpoint}`);
    if (code === 'EntryNotFound')
      return this.fail(
        `${repo}${this.ref.revision === null ? '' : `@${revision}`} has no ${file} on ${endpoint}`,
        file === 'config.json'
          ? 'a Transformers checkpoint has config.json; for a GGUF repository name the .gguf file'
          : undefined,
      );
    if (status === 401) {
      if (token !== null && code !== 'GatedRepo')
        return this.fail(
          `${endpoint} rejected HF_TOKEN (invalid or expired) for ${repo}`,
          'set HF_TOKEN to a valid token, or unset it for public repositories',
        );
      return this.fail(`${repo} is gated: set HF_TOKEN to a token that has accepted its licence on the Hub`);
    }
    if (status === 403)
      return this.fail(
        `HF_TOKEN has no access to ${repo} (accept the licence on its page)`,
        `open ${endpoint}/${repo} as the token's owner and accept the licence (a fine-grained token also needs read access)`,
      );
    if (status === 404) return this.fail(`${repo} does not exist on ${endpoint} (or is private)`);
    if (status === 429 || status >= 500) return null;
    return this.fail(`${endpoint} answered HTTP ${status} for ${file} of ${repo}`);
  }

  /** Classifies whatever a library threw, using what the session saw first. */
  classify(error: unknown, session: Session, what: string): UserError | { transient: string } {
    if (error instanceof UserError) return error;
    if (session.rangeIgnored !== null)
      return this.fail(
        `${this.env.endpoint} ignored a Range request for ${session.rangeIgnored} of ${this.ref.repo} and started sending the whole file; only its header is needed`,
        'use an endpoint (HF_ENDPOINT) that supports HTTP range requests',
      );
    if (session.http !== null) return this.http(session.http) ?? { transient: `HTTP ${session.http.status}` };
    if (session.network !== null) return { transient: session.network };
    if (error instanceof HubApiError) {
      const mapped = this.http({ status: error.statusCode, code: null, file: what });
      return mapped ?? { transient: `HTTP ${error.statusCode}` };
    }
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof TypeError && /fetch failed|terminated|network/i.test(message)) return { transient: message };
    if (/does not seem to contain safetensors weights/.test(message))
      return this.fail(
        `${this.ref.repo} has no safetensors weights (model.safetensors or model.safetensors.index.json)`,
        'for a GGUF repository name the .gguf file; .bin checkpoints are not read',
      );
    return this.fail(`reading the ${what} of ${this.ref.repo} failed: ${message}`);
  }
}

// ------------------------------------------------------------------------------------------------
// Cache

interface SafetensorsRecord {
  format: number;
  repo: string;
  revision: string;
  /** The commit the revision resolved to (X-Repo-Commit), when the server said. */
  commit: string | null;
  fetchedAt: string;
  endpoint: string;
  /** Header of each safetensors file, by file path in the repository. */
  files: Record<string, Record<string, unknown>>;
}

interface HubRecord {
  configText: string;
  meta: SafetensorsRecord;
}

function cacheDirFor(cacheDir: string, ref: HubRef): string {
  return path.join(cacheDir, 'hub', ...ref.repo.split('/'), encodeURIComponent(ref.revision ?? 'main'));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function readHubCache(dir: string): Promise<HubRecord | null> {
  const configText = await readText(path.join(dir, 'config.json'));
  const metaText = await readText(path.join(dir, 'safetensors-metadata.json'));
  if (configText === null || metaText === null) return null;
  try {
    const meta: unknown = JSON.parse(metaText);
    if (!isObject(meta) || meta.format !== CACHE_FORMAT || !isObject(meta.files)) return null;
    JSON.parse(configText);
    return { configText, meta: meta as unknown as SafetensorsRecord };
  } catch {
    return null;
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}

/** Writes the cache; a failure only costs a note (the description is already good). */
async function writeHubCache(dir: string, record: HubRecord, failures: Failures): Promise<string | null> {
  try {
    await writeAtomic(path.join(dir, 'config.json'), record.configText);
    await writeAtomic(path.join(dir, 'safetensors-metadata.json'), JSON.stringify(record.meta));
    return null;
  } catch (error) {
    const reason = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : 'unknown';
    return failures.scrub(`could not write the cache ${dir} (${reason}); the next offline run cannot use it`);
  }
}

// ------------------------------------------------------------------------------------------------
// safetensors → ModelDescription

interface Tensors {
  list: SafetensorsTensor[];
  files: number;
  /** A stored lm_head.weight that vLLM does not load (tied embeddings). */
  skippedTied: SafetensorsTensor | null;
}

/** The tensors of all headers, checked; a stored lm_head is set aside when the embeddings are tied. */
function collectTensors(files: Record<string, Record<string, unknown>>, isTied: boolean, failures: Failures): Tensors {
  const out: Tensors = { list: [], files: 0, skippedTied: null };
  for (const [file, header] of Object.entries(files)) {
    out.files += 1;
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const shape = isObject(info) ? info.shape : undefined;
      const dtype = isObject(info) ? info.dtype : undefined;
      const offsets = isObject(info) ? info.data_offsets : undefined;
      if (
        typeof dtype !== 'string' ||
        !Array.isArray(shape) ||
        !shape.every((d): d is number => Number.isSafeInteger(d) && (d as number) >= 0)
      )
        throw failures.fail(`the safetensors header of ${file} has a malformed entry for ${name}`);
      const span =
        Array.isArray(offsets) && typeof offsets[0] === 'number' && typeof offsets[1] === 'number'
          ? offsets[1] - offsets[0]
          : undefined;
      if (safetensorsDtypeBytes(dtype) === null && span === undefined)
        throw failures.fail(`the safetensors header of ${file} has no size for ${name} (${dtype})`);
      const tensor: SafetensorsTensor = { name, dtype, shape, ...(span === undefined ? {} : { byteLength: span }) };
      // vLLM ties lm_head to the embeddings and skips a stored lm_head.weight (load_weights skip_prefixes).
      if (isTied && name === 'lm_head.weight') out.skippedTied = tensor;
      else out.list.push(tensor);
    }
  }
  return out;
}

function describeRecord(ref: HubRef, record: HubRecord, failures: Failures, sourceNotes: string[]): ModelDescription {
  let config: unknown;
  try {
    config = JSON.parse(record.configText);
  } catch {
    throw failures.fail(`${ref.repo}: config.json is not valid JSON`);
  }
  const parsed = parseHfConfig(config, ref.repo);
  if (!parsed.ok) throw failures.fail(`${ref.repo}: ${parsed.problem}`);
  const tensors = collectTensors(record.meta.files, parsed.arch.tieWordEmbeddings, failures);
  if (tensors.list.length === 0) throw failures.fail(`${ref.repo}: its safetensors headers list no tensors`);
  const summary = describeSafetensors(tensors.list);
  const quant: QuantVariant = {
    ...parsed.quant,
    repo: ref.repo,
    sizeBytes: summary.totalBytes,
    sizeSource: 'published',
  };
  const dtypes = Object.entries(summary.bytesByDtype)
    .sort((a, b) => b[1] - a[1])
    .map(([dtype, bytes]) => `${dtype} ${formatBytes(bytes)}`)
    .join(', ');
  const notes = [
    `weights ${formatBytes(summary.totalBytes)} from the tensor headers of ${tensors.files} safetensors file${tensors.files === 1 ? '' : 's'} (${tensors.list.length} tensors: ${dtypes})`,
  ];
  if (tensors.skippedTied !== null) {
    const skipped = describeSafetensors([tensors.skippedTied]).totalBytes;
    notes.push(
      `lm_head.weight (${formatBytes(skipped)}) is stored but tied to the embeddings; vLLM does not load it, so it is not counted`,
    );
  }
  if (parsed.quant.method === null && summary.looksQuantized !== null)
    notes.push(
      `config.json has no quantization_config but the tensors look ${summary.looksQuantized} quantized: the plan treats the checkpoint as ${parsed.quant.id}`,
    );
  const { commit } = record.meta;
  if (commit !== null && commit !== ref.revision) notes.push(`${ref.revision ?? 'main'} is commit ${commit}`);
  notes.push(...sourceNotes);
  return {
    id: ref.revision === null ? ref.repo : `${ref.repo}@${ref.revision}`,
    name: parsed.name,
    origin: 'hub',
    tokenizerRepo: ref.repo,
    arch: parsed.arch,
    quant,
    weightSource: 'tensor headers',
    serveTarget: ref.repo,
    revision: ref.revision,
    unsupportedTensorTypes: [],
    notes,
  };
}

const encodePath = (file: string): string => file.split('/').map(encodeURIComponent).join('/');
const resolveUrl = (env: HubEnv, ref: HubRef, file: string): string =>
  `${env.endpoint}/${ref.repo}/resolve/${encodeURIComponent(ref.revision ?? 'main')}/${encodePath(file)}`;
const isPinned = (ref: HubRef): boolean => ref.revision !== null && /^[0-9a-f]{40}$/.test(ref.revision);

function checkRef(ref: HubRef, env: HubEnv): Failures {
  const failures = new Failures(ref, env);
  if (!isRepoId(ref.repo)) throw failures.fail(`"${ref.repo}" is not a Hugging Face repository id (org/name)`);
  if (ref.revision !== null && !isRevision(ref.revision))
    throw failures.fail(`"${ref.revision}" is not a revision (a branch, tag or commit)`);
  if (env.token !== null && !/^[\x21-\x7e]+$/.test(env.token))
    throw failures.fail('HF_TOKEN contains characters that cannot be sent in an HTTP header (spaces or newlines?)');
  return failures;
}

/** Fetches config.json and the safetensors headers (no cache involved). */
async function fetchHubRecord(ref: HubRef, env: HubEnv, failures: Failures): Promise<HubRecord> {
  const revision = ref.revision ?? 'main';
  const session = openSession(env, false);
  let configText: string;
  let commit: string | null;
  try {
    const response = await session.fetch(resolveUrl(env, ref, 'config.json'));
    if (!response.ok) {
      await response.body?.cancel();
      throw (
        failures.http(session.http ?? { status: response.status, code: null, file: 'config.json' }) ??
        new SessionAbort('transient')
      );
    }
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > MAX_CONFIG_BYTES) {
      await response.body?.cancel();
      throw failures.fail(`${ref.repo}: config.json is ${length} bytes, too big for a model config`);
    }
    commit = response.headers.get('x-repo-commit');
    configText = await response.text();
  } catch (error) {
    const outcome = failures.classify(error, session, 'config.json');
    if (outcome instanceof UserError) throw outcome;
    throw new Transient(outcome.transient);
  }
  let files: Record<string, Record<string, unknown>>;
  try {
    const parsed = await parseSafetensorsMetadata({
      repo: { type: 'model', name: ref.repo },
      revision,
      hubUrl: env.endpoint,
      fetch: session.fetch,
    });
    files = parsed.sharded ? parsed.headers : { [parsed.filepaths[0] ?? 'model.safetensors']: parsed.header };
  } catch (error) {
    const outcome = failures.classify(error, session, 'safetensors headers');
    if (outcome instanceof UserError) throw outcome;
    throw new Transient(outcome.transient);
  }
  return {
    configText,
    meta: {
      format: CACHE_FORMAT,
      repo: ref.repo,
      revision,
      commit: commit !== null && /^[0-9a-f]{40}$/.test(commit) ? commit : null,
      fetchedAt: new Date().toISOString(),
      endpoint: env.endpoint,
      files,
    },
  };
}

/** The endpoint could not be reached (network failure, timeout, 429 or 5xx): the cache may answer. */
class Transient extends Error {}

/**
 * Describes a Hugging Face model from its config.json and safetensors tensor headers: exact weight
 * bytes (sum of elements × dtype size over all tensors), the architecture, and the quantization from
 * quantization_config. Caches what it read; offline (HF_HUB_OFFLINE) or when the endpoint cannot be
 * reached, answers from that cache. Failures are one-line UserErrors.
 */
export async function describeHubModel(ref: HubRef, env: HubEnv): Promise<ModelDescription> {
  const failures = checkRef(ref, env);
  const dir = cacheDirFor(env.cacheDir, ref);
  const what = 'config.json and safetensors headers';
  if (env.isOffline || isPinned(ref)) {
    const cached = await readHubCache(dir);
    if (cached !== null)
      return describeRecord(ref, cached, failures, [
        env.isOffline
          ? `HF_HUB_OFFLINE: read from the cache (fetched ${cached.meta.fetchedAt})`
          : `commit ${ref.revision ?? ''} read from the cache (fetched ${cached.meta.fetchedAt})`,
      ]);
    if (env.isOffline) throw failures.offline(what, dir);
  }
  let record: HubRecord;
  try {
    record = await fetchHubRecord(ref, env, failures);
  } catch (error) {
    if (!(error instanceof Transient)) throw error;
    const cached = await readHubCache(dir);
    if (cached === null) throw failures.unreachable(error.message, what);
    return describeRecord(ref, cached, failures, [
      `${env.endpoint} could not be reached (${error.message}): read from the cache (fetched ${cached.meta.fetchedAt})`,
    ]);
  }
  const description = describeRecord(ref, record, failures, []);
  const cacheProblem = await writeHubCache(dir, record, failures);
  if (cacheProblem !== null) description.notes.push(cacheProblem);
  return description;
}

// ------------------------------------------------------------------------------------------------
// GGUF

const bigintReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? { $bigint: value.toString() } : value;
const bigintReviver = (_key: string, value: unknown): unknown =>
  isObject(value) && typeof value.$bigint === 'string' && Object.keys(value).length === 1
    ? BigInt(value.$bigint)
    : value;

function ggufCacheFile(dir: string, file: string): string {
  return path.join(dir, 'gguf', `${encodeURIComponent(file)}.json`);
}

async function readGgufCache(file: string): Promise<HubGgufHeader | null> {
  const text = await readText(file);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text, bigintReviver);
    if (!isObject(value) || value.format !== CACHE_FORMAT || !isObject(value.header)) return null;
    const header = value.header as unknown as HubGgufHeader;
    if (!Array.isArray(header.tensorInfos) || typeof header.fileBytes !== 'number') return null;
    return header;
  } catch {
    return null;
  }
}

/**
 * Reads the header of one GGUF file in a Hub repository with range requests (2 MB chunks), and its total
 * size. Cached like describeHubModel; offline or unreachable, answers from the cache.
 */
export async function describeHubGguf(ref: HubRef, file: string, env: HubEnv): Promise<HubGgufHeader> {
  const failures = checkRef(ref, env);
  const segments = file.split('/');
  if (
    !/\.gguf$/i.test(file) ||
    file.startsWith('/') ||
    file.includes('\\') ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  )
    throw failures.fail(`"${file}" is not a .gguf file path inside ${ref.repo}`);
  const cacheFile = ggufCacheFile(cacheDirFor(env.cacheDir, ref), file);
  const what = `${file} header`;
  if (env.isOffline || isPinned(ref)) {
    const cached = await readGgufCache(cacheFile);
    if (cached !== null) return cached;
    if (env.isOffline) throw failures.offline(what, path.dirname(path.dirname(cacheFile)));
  }
  const url = resolveUrl(env, ref, file);
  const session = openSession(env, true);
  let header: HubGgufHeader;
  try {
    const parsed = await gguf(url, { fetch: session.fetch });
    let fileBytes = session.totals.get(url);
    if (fileBytes === undefined) {
      const head = await session.fetch(url, { method: 'HEAD' });
      const size = Number(head.headers.get('x-linked-size') ?? head.headers.get('content-length') ?? NaN);
      if (!Number.isSafeInteger(size)) throw failures.fail(`${env.endpoint} did not tell the size of ${file}`);
      fileBytes = size;
    }
    header = {
      metadata: parsed.metadata as GGUFMetadata<{ strict: false }>,
      tensorInfos: parsed.tensorInfos,
      fileBytes,
    };
  } catch (error) {
    const outcome = failures.classify(error, session, what);
    if (outcome instanceof UserError) throw outcome;
    const cached = await readGgufCache(cacheFile);
    if (cached !== null) return cached;
    throw failures.unreachable(outcome.transient, what);
  }
  try {
    const record = { format: CACHE_FORMAT, repo: ref.repo, revision: ref.revision ?? 'main', file, header };
    await writeAtomic(cacheFile, JSON.stringify(record, bigintReplacer));
  } catch {
    // The header is good; only a later offline run misses it.
  }
  return header;
}
