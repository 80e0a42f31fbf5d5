/**
 * A loopback stand-in for the Hugging Face Hub, serving the repositories recorded in
 * test/fixtures/hub/<org>/<name>/: repo.json (commit sha, gated), config.json and other small files as
 * they are, and for each `<file>.safetensors.header.json` ({ fileBytes, header }) a synthetic
 * `<file>.safetensors` (8-byte LE header length + header JSON padded to 8 bytes + zero-filled data), and
 * for each `<file>.gguf.header.json` ({ metadata, tensors }) a synthetic GGUF (v3 header + zero data).
 * Large files exist only as byte ranges computed on demand.
 *
 * It answers like the Hub: `/{repo}/raw|resolve/{rev}/{path}` (HEAD and GET, with X-Error-Code
 * RepoNotFound / GatedRepo / RevisionNotFound / EntryNotFound; 401 for a missing repo without a token,
 * 404 with one; a gated repo is 401 without a token and 403 with a token that has not accepted the
 * licence), small files served directly (Range honoured), LFS files (safetensors, gguf) redirected (302,
 * X-Linked-Size, X-Linked-ETag) to a second loopback server standing in for the CDN, which serves byte
 * ranges (206, Content-Range) and refuses full downloads. Both record every request.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'hub');

/** Tokens the stand-in knows: one that accepted every gated licence, one that accepted none. */
export const TOKENS = {
  accepted: 'hf_jvTestAcceptedLicence0123456789abcdef',
  notAccepted: 'hf_jvTestNoLicence0123456789abcdefghij',
} as const;

export interface RecordedRequest {
  server: 'hub' | 'cdn';
  method: string;
  /** Path and query as received. */
  url: string;
  host: string;
  remoteAddress: string;
  range: string | null;
  hasAuthorization: boolean;
  status: number;
  /** Body bytes sent. */
  bytes: number;
}

export interface HubServer {
  /** http://127.0.0.1:<port>: what HF_ENDPOINT is set to. */
  endpoint: string;
  /** Origin of the CDN stand-in (another port, so another origin). */
  cdnOrigin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

type FileEntry =
  { kind: 'git'; bytes: Buffer; etag: string } | { kind: 'lfs'; prefix: Buffer; size: number; sha256: string };

interface Repo {
  id: string;
  sha: string;
  isGated: boolean;
  files: Map<string, FileEntry>;
}

// ------------------------------------------------------------------------------------------------
// Synthetic file contents

/** safetensors: 8-byte LE header length, header JSON padded with spaces to a multiple of 8, then data. */
function safetensorsPrefix(header: Record<string, unknown>, fileBytes: number, where: string): Buffer {
  const json = JSON.stringify(header);
  const padded = Math.ceil(Buffer.byteLength(json) / 8) * 8;
  const text = Buffer.alloc(padded, ' ');
  text.write(json, 'utf8');
  let dataBytes = 0;
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const end = (info as { data_offsets: [number, number] }).data_offsets[1];
    dataBytes = Math.max(dataBytes, end);
  }
  if (8 + padded + dataBytes !== fileBytes)
    throw new Error(`${where}: fileBytes ${fileBytes} ≠ 8 + ${padded} header + ${dataBytes} data`);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded));
  return Buffer.concat([length, text]);
}

const GGML: Record<string, { id: number; block: number; bytes: number }> = {
  F32: { id: 0, block: 1, bytes: 4 },
  F16: { id: 1, block: 1, bytes: 2 },
  Q8_0: { id: 8, block: 32, bytes: 34 },
  Q4_K: { id: 12, block: 256, bytes: 144 },
  Q5_K: { id: 13, block: 256, bytes: 176 },
  Q6_K: { id: 14, block: 256, bytes: 210 },
  BF16: { id: 30, block: 1, bytes: 2 },
};
const GGUF_VALUE: Record<string, number> = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, UINT64: 10 };
const GGUF_ALIGNMENT = 32;

export interface GgufFixture {
  metadata: [string, string, string | number | boolean][];
  tensors: { name: string; shape: number[]; type: string }[];
}

/** Bytes of a tensor's data in a GGUF (whole blocks). */
export function ggufTensorBytes(shape: number[], type: string): number {
  const t = GGML[type];
  if (t === undefined) throw new Error(`unknown GGML type ${type}`);
  const elements = shape.reduce((a, b) => a * b, 1);
  return (elements / t.block) * t.bytes;
}

/** A GGUF v3 header (little-endian) for the fixture, and the file's total size. */
export function buildGguf(fixture: GgufFixture): { prefix: Buffer; size: number } {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    parts.push(b);
  };
  const u64 = (n: number | bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    parts.push(b);
  };
  const str = (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    u64(bytes.length);
    parts.push(bytes);
  };
  parts.push(Buffer.from('GGUF', 'latin1'));
  u32(3);
  u64(fixture.tensors.length);
  u64(fixture.metadata.length);
  for (const [key, type, value] of fixture.metadata) {
    const id = GGUF_VALUE[type];
    if (id === undefined) throw new Error(`unsupported GGUF value type ${type}`);
    str(key);
    u32(id);
    if (type === 'STRING') str(String(value));
    else if (type === 'BOOL') parts.push(Buffer.from([value === true ? 1 : 0]));
    else if (type === 'UINT64') u64(Number(value));
    else {
      const b = Buffer.alloc(4);
      if (type === 'UINT32') b.writeUInt32LE(Number(value));
      else if (type === 'INT32') b.writeInt32LE(Number(value));
      else b.writeFloatLE(Number(value));
      parts.push(b);
    }
  }
  let offset = 0;
  let end = 0;
  for (const tensor of fixture.tensors) {
    const t = GGML[tensor.type];
    if (t === undefined) throw new Error(`unknown GGML type ${tensor.type}`);
    str(tensor.name);
    u32(tensor.shape.length);
    for (const d of tensor.shape) u64(d);
    u32(t.id);
    u64(offset);
    end = offset + ggufTensorBytes(tensor.shape, tensor.type);
    offset = Math.ceil(end / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  }
  const header = Buffer.concat(parts);
  const dataStart = Math.ceil(header.length / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  return { prefix: Buffer.concat([header, Buffer.alloc(dataStart - header.length)]), size: dataStart + end };
}

// ------------------------------------------------------------------------------------------------
// Loading the recorded repositories

const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest('hex');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

export function loadRepos(root = FIXTURES): Map<string, Repo> {
  const repos = new Map<string, Repo>();
  const dirs = (dir: string) => readdirSync(dir).filter((name) => statSync(path.join(dir, name)).isDirectory());
  for (const org of dirs(root)) {
    for (const name of dirs(path.join(root, org))) {
      const dir = path.join(root, org, name);
      const facts = JSON.parse(readFileSync(path.join(dir, 'repo.json'), 'utf8')) as { sha: string; gated?: boolean };
      const files = new Map<string, FileEntry>();
      for (const file of listFiles(dir)) {
        if (file === 'repo.json') continue;
        const raw = readFileSync(path.join(dir, file));
        if (file.endsWith('.safetensors.header.json')) {
          const { fileBytes, header } = JSON.parse(raw.toString('utf8')) as {
            fileBytes: number;
            header: Record<string, unknown>;
          };
          const prefix = safetensorsPrefix(header, fileBytes, `${org}/${name}/${file}`);
          files.set(file.replace(/\.header\.json$/, ''), {
            kind: 'lfs',
            prefix,
            size: fileBytes,
            sha256: sha256(prefix),
          });
        } else if (file.endsWith('.gguf.header.json')) {
          const { prefix, size } = buildGguf(JSON.parse(raw.toString('utf8')) as GgufFixture);
          files.set(file.replace(/\.header\.json$/, ''), { kind: 'lfs', prefix, size, sha256: sha256(prefix) });
        } else {
          files.set(file, { kind: 'git', bytes: raw, etag: sha1(raw) });
        }
      }
      repos.set(`${org}/${name}`, { id: `${org}/${name}`, sha: facts.sha, isGated: facts.gated === true, files });
    }
  }
  return repos;
}

// ------------------------------------------------------------------------------------------------
// HTTP

/** Parses a single `bytes=a-b` / `bytes=a-` / `bytes=-n`; null when absent, 'bad' when unsatisfiable. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'bad' | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const [, a = '', b = ''] = match;
  let start: number;
  let end: number;
  if (a === '') {
    if (b === '') return null;
    start = Math.max(0, size - Number(b));
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

/** Bytes [start, end] of a synthetic file: the stored prefix, then zeros. */
function slice(prefix: Buffer, start: number, end: number): Buffer {
  const out = Buffer.alloc(end - start + 1);
  if (start < prefix.length) prefix.copy(out, 0, start, Math.min(end + 1, prefix.length));
  return out;
}

/** Largest ranged body either server will send (the GGUF reader asks for 2 MB chunks). */
const MAX_RANGE_BYTES = 16 * 1024 * 1024;
/** Largest file the CDN stand-in sends without a Range header. */
const MAX_FULL_BYTES = 4 * 1024 * 1024;

function send(
  res: http.ServerResponse,
  method: string,
  status: number,
  headers: Record<string, string | number>,
  body: Buffer | string = '',
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'Content-Length': bytes.length, ...headers });
  res.end(method === 'HEAD' ? undefined : bytes);
}

function sendError(res: http.ServerResponse, method: string, status: number, code: string | null, message: string) {
  send(
    res,
    method,
    status,
    {
      'Content-Type': 'application/json; charset=utf-8',
      ...(code === null ? {} : { 'X-Error-Code': code }),
      'X-Error-Message': message,
    },
    JSON.stringify({ error: message }),
  );
}

/** Serves bytes of a (possibly synthetic) file, honouring Range. */
function sendContent(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  size: number,
  read: (start: number, end: number) => Buffer,
  headers: Record<string, string | number>,
  maxFull: number,
): void {
  const method = req.method ?? 'GET';
  const range = parseRange(req.headers.range, size);
  const common = { 'Accept-Ranges': 'bytes', ...headers };
  if (range === 'bad') {
    send(res, method, 416, { ...common, 'Content-Range': `bytes */${size}` });
    return;
  }
  if (range === null) {
    if (method === 'HEAD') {
      res.writeHead(200, { ...common, 'Content-Length': size });
      res.end();
      return;
    }
    if (size > maxFull) {
      sendError(res, method, 500, null, `test server: refusing a full download of ${size} bytes (use Range)`);
      return;
    }
    send(res, method, 200, common, size === 0 ? Buffer.alloc(0) : read(0, size - 1));
    return;
  }
  if (range.end - range.start + 1 > MAX_RANGE_BYTES) {
    sendError(res, method, 500, null, 'test server: range too large');
    return;
  }
  send(
    res,
    method,
    206,
    { ...common, 'Content-Range': `bytes ${range.start}-${range.end}/${size}` },
    read(range.start, range.end),
  );
}

/** A server that ignores Range: 200 and the whole file, in 1 MB pieces until the client hangs up. */
function streamWhole(
  res: http.ServerResponse,
  prefix: Buffer,
  size: number,
  headers: Record<string, string | number>,
): void {
  res.writeHead(200, { ...headers, 'Content-Length': size });
  const piece = 1024 * 1024;
  let sent = 0;
  const pump = (): void => {
    while (sent < size && !res.destroyed) {
      const end = Math.min(size, sent + piece) - 1;
      const isFull = !res.write(slice(prefix, sent, end));
      sent = end + 1;
      if (isFull) {
        res.once('drain', pump);
        return;
      }
    }
    if (sent >= size) res.end();
  };
  pump();
}

function bearer(req: http.IncomingMessage): string | null {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return match?.[1] ?? null;
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

/** Wraps a (synchronous) handler so every request is recorded on arrival, with the answer it got. */
function recorded(
  requests: RecordedRequest[],
  server: RecordedRequest['server'],
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const entry: RecordedRequest = {
      server,
      method: req.method ?? '',
      url: req.url ?? '',
      host: req.headers.host ?? '',
      remoteAddress: req.socket.remoteAddress ?? '',
      range: req.headers.range ?? null,
      hasAuthorization: req.headers.authorization !== undefined,
      status: 0,
      bytes: 0,
    };
    requests.push(entry);
    handle(req, res);
    entry.status = res.statusCode;
    // Every answer carries Content-Length; HEAD sends no body.
    entry.bytes = req.method === 'HEAD' ? 0 : Number(res.getHeader('content-length') ?? 0);
  };
}

/** Starts the Hub and CDN stand-ins on 127.0.0.1 (ports chosen by the system). */
export async function startHubServer(
  options: {
    fixtures?: string;
    /** The CDN answers Range requests with the whole file (200). */ ignoreRange?: boolean;
  } = {},
): Promise<HubServer> {
  const repos = loadRepos(options.fixtures);
  const requests: RecordedRequest[] = [];
  const known = new Set<string>(Object.values(TOKENS));
  let cdnOrigin = '';

  const hub = http.createServer(
    recorded(requests, 'hub', (req, res) => {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const match = /^\/([^/]+)\/([^/]+)\/(resolve|raw)\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (match === null || (method !== 'GET' && method !== 'HEAD')) {
        sendError(res, method, 404, null, 'Not Found');
        return;
      }
      const [, org = '', name = '', kind = '', revText = '', fileText = ''] = match;
      const repoId = `${decodeURIComponent(org)}/${decodeURIComponent(name)}`;
      const revision = decodeURIComponent(revText);
      const file = fileText.split('/').map(decodeURIComponent).join('/');
      const token = bearer(req);
      if (token !== null && !known.has(token)) {
        sendError(res, method, 401, null, 'Invalid credentials in Authorization header');
        return;
      }
      const repo = repos.get(repoId);
      if (repo === undefined) {
        sendError(res, method, token === null ? 401 : 404, 'RepoNotFound', 'Repository not found');
        return;
      }
      if (repo.isGated && token !== TOKENS.accepted) {
        if (token === null)
          sendError(
            res,
            method,
            401,
            'GatedRepo',
            `Access to model ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
          );
        else
          sendError(
            res,
            method,
            403,
            'GatedRepo',
            `Access to model ${repoId} is restricted and you are not in the authorized list. Visit ${repoId} to ask for access.`,
          );
        return;
      }
      if (revision !== 'main' && revision !== repo.sha) {
        sendError(res, method, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
        return;
      }
      const entry = repo.files.get(file);
      if (entry === undefined) {
        sendError(res, method, 404, 'EntryNotFound', `Entry not found`);
        return;
      }
      const commit = { 'X-Repo-Commit': repo.sha };
      if (entry.kind === 'git') {
        sendContent(
          req,
          res,
          entry.bytes.length,
          (a, b) => entry.bytes.subarray(a, b + 1),
          { ...commit, ETag: `"${entry.etag}"`, 'Content-Type': 'text/plain; charset=utf-8' },
          Number.MAX_SAFE_INTEGER,
        );
        return;
      }
      if (kind === 'raw') {
        // raw/ of an LFS file is its pointer.
        const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${entry.sha256}\nsize ${entry.size}\n`;
        send(res, method, 200, { ...commit, ETag: `"${sha1(pointer)}"`, 'Content-Type': 'text/plain' }, pointer);
        return;
      }
      const location = `${cdnOrigin}/lfs/${repoId}/${repo.sha}/${fileText}?X-Amz-Signature=stand-in`;
      send(
        res,
        method,
        302,
        {
          ...commit,
          Location: location,
          'X-Linked-Size': entry.size,
          'X-Linked-ETag': `"${entry.sha256}"`,
          ETag: `"${entry.sha256}"`,
          'Content-Type': 'text/plain; charset=utf-8',
        },
        `Found. Redirecting to ${location}`,
      );
    }),
  );

  const cdn = http.createServer(
    recorded(requests, 'cdn', (req, res) => {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const match = /^\/lfs\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname);
      const repo = match === null ? undefined : repos.get(match[1] ?? '');
      const file = (match?.[3] ?? '').split('/').map(decodeURIComponent).join('/');
      const entry = repo?.files.get(file);
      if (entry === undefined || entry.kind !== 'lfs' || url.searchParams.get('X-Amz-Signature') === null) {
        send(res, method, 403, { 'Content-Type': 'application/xml' }, '<Error><Code>AccessDenied</Code></Error>');
        return;
      }
      const headers = { ETag: `"${entry.sha256}"`, 'Content-Type': 'application/octet-stream' };
      if (options.ignoreRange === true && method === 'GET') {
        streamWhole(res, entry.prefix, entry.size, headers);
        return;
      }
      sendContent(req, res, entry.size, (a, b) => slice(entry.prefix, a, b), headers, MAX_FULL_BYTES);
    }),
  );

  const endpoint = await listen(hub);
  cdnOrigin = await listen(cdn);
  const closeOne = (server: http.Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    endpoint,
    cdnOrigin,
    requests,
    close: async () => {
      await Promise.all([closeOne(hub), closeOne(cdn)]);
    },
  };
}

/** The real fetch, captured before any test stubs the global. */
const realFetch = globalThis.fetch;

/** A fetch that records every URL it is asked for and refuses any host but 127.0.0.1. */
export function loopbackFetch(log: string[]): typeof fetch {
  return (input, init) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    log.push(href);
    if (new URL(href).hostname !== '127.0.0.1')
      return Promise.reject(new TypeError(`test: a request left the loopback (${href})`));
    return realFetch(input, init);
  };
}
