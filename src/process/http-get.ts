/**
 * A bounded HTTP GET, for the vLLM poller and the launcher's readiness checks (here, beside the child
 * processes, so both areas reach the same one): the body is read up to a limit and the whole request (answer and
 * body) has a deadline. Over the limit or past the deadline the connection is destroyed and the GET fails
 * with one short reason, so an endless or huge body costs at most the limit in memory. node:http, loaded on
 * the first poll (not fetch: undici is a large module to load for one GET every two seconds).
 */
import type * as Http from 'node:http';

/** A finished GET: the status and the body as text. */
export interface BoundedAnswer {
  status: number;
  body: string;
}

/** A GET that failed, with the reason the panel shows ("metrics body over 8 MiB", "connection refused"). */
export class BoundedGetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoundedGetError';
  }
}

export interface BoundedGetOptions {
  /** The most body bytes kept; one more and the GET fails. */
  limitBytes: number;
  /** Milliseconds for the whole GET (redirects, answer and body). */
  timeoutMs: number;
  /** What the body is, for the reasons: "metrics" → "metrics body over 8 MiB". */
  what: string;
  /** Hears the body chunk by chunk instead of keeping it (the answer's body is then ""): memory O(chunk). */
  onChunk?: (chunk: Buffer) => void;
}

/** Redirects followed (vLLM answers /metrics directly; an older Starlette mount redirected to /metrics/). */
const MAX_REDIRECTS = 3;

type Get = typeof Http.get;
// Loaded on first use; node:https (and TLS with it) only for an https URL.
let httpGet: Get | null = null;
let httpsGet: Get | null = null;

/** The get function for the URL's protocol, loaded once; null for any other protocol. */
async function loadGet(protocol: string): Promise<Get | null> {
  if (protocol === 'http:') return (httpGet ??= (await import('node:http')).get);
  if (protocol === 'https:') return (httpsGet ??= (await import('node:https')).get);
  return null;
}

/** "8 MiB", "64 KiB", "100 bytes". */
export function formatLimit(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** The reason a request failed at the socket level, short ("connection refused"). */
function describeNetError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; errors?: { code?: unknown }[] };
  // Node ≥ 20 tries IPv6 and IPv4 for "localhost" and fails with an AggregateError holding both refusals.
  const code = typeof e.code === 'string' ? e.code : e.errors?.[0]?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return typeof e.message === 'string' && e.message !== '' ? e.message : String(code ?? error);
  }
}

/** GETs `url` with a bounded body and a deadline; rejects with a BoundedGetError. */
export async function getBounded(url: string, o: BoundedGetOptions): Promise<BoundedAnswer> {
  const deadline = performance.now() + o.timeoutMs;
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    const get = await loadGet(target.protocol);
    if (get === null) throw new BoundedGetError(`unsupported protocol ${target.protocol}`);
    const answer = await getOnce(get, target, o, deadline);
    const isRedirect = answer.status >= 301 && answer.status <= 308 && answer.location !== null;
    if (!isRedirect || hop >= MAX_REDIRECTS) return { status: answer.status, body: answer.body };
    target = new URL(answer.location ?? '', target);
  }
}

function getOnce(
  get: Get,
  target: URL,
  o: BoundedGetOptions,
  deadline: number,
): Promise<BoundedAnswer & { location: string | null }> {
  const seconds = `${Number((o.timeoutMs / 1000).toFixed(1))} s`;
  return new Promise((resolve, reject) => {
    let isSettled = false;
    let hasAnswer = false;
    const settle = (fn: () => void): void => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      fn();
    };
    const fail = (message: string): void =>
      settle(() => {
        // Destroying the request closes the socket: a body still arriving stops here.
        req.destroy();
        reject(new BoundedGetError(message));
      });
    const req = get(target, { headers: { accept: 'text/plain' } }, (res) => {
      hasAnswer = true;
      const status = res.statusCode ?? 0;
      const location = typeof res.headers.location === 'string' ? res.headers.location : null;
      const tooLarge = `${o.what} body over ${formatLimit(o.limitBytes)}`;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.limitBytes) return fail(tooLarge);
      const chunks: Buffer[] = [];
      let size = 0;
      const isRedirect = status >= 301 && status <= 308 && location !== null;
      res.on('data', (chunk: Buffer) => {
        if (isSettled) return;
        size += chunk.length;
        if (size > o.limitBytes) return fail(tooLarge);
        // A redirect's own body is read (so the socket can be kept) but not heard.
        if (o.onChunk === undefined) chunks.push(chunk);
        else if (!isRedirect) o.onChunk(chunk);
      });
      res.on('end', () =>
        settle(() => resolve({ status, body: Buffer.concat(chunks, size).toString('utf8'), location })),
      );
      // The server closed the connection in the middle of the body.
      res.on('close', () => {
        if (!res.complete) fail(`${o.what} body cut short`);
      });
      res.on('error', (error) => fail(describeNetError(error)));
    });
    req.on('error', (error) => fail(describeNetError(error)));
    // Declared last, used only from callbacks that run later.
    const timer = setTimeout(
      () => fail(hasAnswer ? `${o.what} body not complete in ${seconds}` : `no answer in ${seconds}`),
      Math.max(0, deadline - performance.now()),
    );
  });
}
