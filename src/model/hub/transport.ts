/**
 * The HTTP side of reading the Hub: one fetch wrapper per call (token, timeout, Range checks, what went
 * wrong), the error vocabulary that turns what went wrong into one-line UserErrors, and the requests
 * themselves (config.json and the safetensors headers through @huggingface/hub, a GGUF header through
 * @huggingface/gguf). No cache here: a transient failure is thrown as Transient so the caller can fall
 * back on its cache. I/O.
 *
 * The token is never handed to the libraries: one fetch wrapper adds `Authorization: Bearer …` to
 * requests for the endpoint's own origin only (never to a CDN it redirects to), and no message or
 * cache file ever contains it.
 */
import { HubApiError, parseSafetensorsMetadata } from '@huggingface/hub';
import { gguf, type GGUFMetadata } from '@huggingface/gguf';
import { UserError } from '../../shared/errors.js';
import { buildResolveUrl, isRepoId, isRevision, type HubRef } from '../core/hub-ref.js';
import { HUB_CACHE_FORMAT, type HubGgufHeader, type HubRecord } from '../core/hub-record.js';
import type { HubEnv } from './env.js';

/** Per-request limit (connect + body) for every Hub request. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** A 200 answer to a Range request bigger than this means the server ignored the range: refuse it. */
const MAX_UNRANGED_BYTES = 16 * 1024 * 1024;
/** config.json larger than this is not a config. */
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

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
export class Failures {
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

/** The endpoint could not be reached (network failure, timeout, 429 or 5xx): the cache may answer. */
export class Transient extends Error {}

/** Checks the reference and the token before any request; the Failures of this call. */
export function checkRef(ref: HubRef, env: HubEnv): Failures {
  const failures = new Failures(ref, env);
  if (!isRepoId(ref.repo)) throw failures.fail(`"${ref.repo}" is not a Hugging Face repository id (org/name)`);
  if (ref.revision !== null && !isRevision(ref.revision))
    throw failures.fail(`"${ref.revision}" is not a revision (a branch, tag or commit)`);
  if (env.token !== null && !/^[\x21-\x7e]+$/.test(env.token))
    throw failures.fail('HF_TOKEN contains characters that cannot be sent in an HTTP header (spaces or newlines?)');
  return failures;
}

/** Fetches config.json and the safetensors headers (no cache involved). */
export async function fetchHubRecord(ref: HubRef, env: HubEnv, failures: Failures): Promise<HubRecord> {
  const revision = ref.revision ?? 'main';
  const session = openSession(env, false);
  let configText: string;
  let commit: string | null;
  try {
    const response = await session.fetch(buildResolveUrl(env.endpoint, ref, 'config.json'));
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
      format: HUB_CACHE_FORMAT,
      repo: ref.repo,
      revision,
      commit: commit !== null && /^[0-9a-f]{40}$/.test(commit) ? commit : null,
      fetchedAt: new Date().toISOString(),
      endpoint: env.endpoint,
      files,
    },
  };
}

/**
 * Fetches the header of one GGUF file with range requests (2 MB chunks) and its total size (from
 * Content-Range, else a HEAD request); no cache involved.
 */
export async function fetchGgufHeader(
  ref: HubRef,
  file: string,
  env: HubEnv,
  failures: Failures,
): Promise<HubGgufHeader> {
  const url = buildResolveUrl(env.endpoint, ref, file);
  const session = openSession(env, true);
  try {
    const parsed = await gguf(url, { fetch: session.fetch });
    let fileBytes = session.totals.get(url);
    if (fileBytes === undefined) {
      const head = await session.fetch(url, { method: 'HEAD' });
      const size = Number(head.headers.get('x-linked-size') ?? head.headers.get('content-length') ?? NaN);
      if (!Number.isSafeInteger(size)) throw failures.fail(`${env.endpoint} did not tell the size of ${file}`);
      fileBytes = size;
    }
    return {
      metadata: parsed.metadata as GGUFMetadata<{ strict: false }>,
      tensorInfos: parsed.tensorInfos,
      fileBytes,
    };
  } catch (error) {
    const outcome = failures.classify(error, session, `${file} header`);
    if (outcome instanceof UserError) throw outcome;
    throw new Transient(outcome.transient);
  }
}
