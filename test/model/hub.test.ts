/**
 * describeHubModel / describeHubGguf against a loopback stand-in for the Hub (test/model/hub-server.ts)
 * serving the repositories recorded in test/fixtures/hub. No request leaves 127.0.0.1.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/shared/errors.js';
import type { Architecture } from '../../src/catalog/core/presets-schema.js';
import { parseModelRef, type HubRef } from '../../src/model/core/hub-ref.js';
import { hubEnvFromProcess, type HubEnv } from '../../src/model/hub/env.js';
import { describeHubGguf, describeHubModel } from '../../src/model/hub/metadata.js';
import { loadTestCatalog } from '../helpers/catalog.js';
import {
  buildGguf,
  FIXTURES,
  ggufTensorBytes,
  loopbackFetch,
  startHubServer,
  TOKENS,
  type GgufFixture,
  type HubServer,
} from './hub-server.js';

const QWEN_05B = 'Qwen/Qwen2.5-0.5B-Instruct';
const QWEN_7B_AWQ = 'Qwen/Qwen2.5-7B-Instruct-AWQ';
const QWEN3_FP8 = 'Qwen/Qwen3-0.6B-FP8';
const LLAMA = 'meta-llama/Llama-3.2-1B-Instruct';
const GGUF_REPO = 'bartowski/Qwen2.5-0.5B-Instruct-GGUF';
const GGUF_FILE = 'Qwen2.5-0.5B-Instruct-Q8_0.gguf';

// ------------------------------------------------------------------------------------------------
// Expectations computed from the fixtures, independently of src/

/** Bytes of one element per safetensors dtype, for the dtypes the fixtures use. */
const DTYPE_BYTES: Record<string, number> = { BF16: 2, F16: 2, F32: 4, I32: 4, F8_E4M3: 1 };

interface FixtureHeader {
  fileBytes: number;
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
}

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, ...parts), 'utf8')) as T;
}

function fixtureHeaders(repo: string): Map<string, FixtureHeader> {
  const dir = path.join(FIXTURES, repo);
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.safetensors.header.json'))
      .map((f) => [f.replace(/\.header\.json$/, ''), readJson<FixtureHeader>(repo, f)]),
  );
}

/** Σ elements × dtype bytes over the recorded tensors (without a stored lm_head when tied). */
function expectedWeightBytes(repo: string): number {
  const config = readJson<{ tie_word_embeddings?: boolean }>(repo, 'config.json');
  let bytes = 0;
  for (const { header } of fixtureHeaders(repo).values()) {
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      if (config.tie_word_embeddings === true && name === 'lm_head.weight') continue;
      const unit = DTYPE_BYTES[info.dtype];
      if (unit === undefined) throw new Error(`test: no size for ${info.dtype}`);
      bytes += info.shape.reduce((a, b) => a * b, 1) * unit;
    }
  }
  return bytes;
}

function presetArch(repo: string): Architecture {
  const preset = loadTestCatalog().models.find((m) => m.repo === repo);
  if (preset === undefined) throw new Error(`test: no preset for ${repo}`);
  return preset.arch;
}

const SHAPE_FIELDS = [
  'architecture',
  'layers',
  'hiddenSize',
  'intermediateSize',
  'attentionHeads',
  'kvHeads',
  'headDim',
  'vocabSize',
  'tieWordEmbeddings',
  'maxPositionEmbeddings',
  'slidingWindow',
  'moe',
] as const;

function pickShape(arch: Architecture): Partial<Architecture> {
  return Object.fromEntries(SHAPE_FIELDS.map((k) => [k, arch[k]]));
}

// ------------------------------------------------------------------------------------------------
// Helpers

const tempDirs: string[] = [];
function freshCache(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jv-hub-'));
  tempDirs.push(dir);
  return dir;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

async function failure(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof UserError)) throw new Error(`expected a UserError, got ${String(error)}`);
  return error;
}

const ref = (repo: string, revision: string | null = null): HubRef => ({ repo, revision });

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------------

describe('parseModelRef', () => {
  it('takes org/name and org/name@revision', () => {
    expect(parseModelRef(QWEN_05B)).toEqual({ repo: QWEN_05B, revision: null });
    expect(parseModelRef(`${QWEN_05B}@v1.0`)).toEqual({ repo: QWEN_05B, revision: 'v1.0' });
    expect(parseModelRef(`${LLAMA}@refs/pr/12`)).toEqual({ repo: LLAMA, revision: 'refs/pr/12' });
    const sha = '7ae557604adf67be50417f59c2c2f167def9a775';
    expect(parseModelRef(`${QWEN_05B}@${sha}`)).toEqual({ repo: QWEN_05B, revision: sha });
  });

  it('refuses anything else', () => {
    for (const text of [
      'qwen2.5-0.5b-instruct',
      './model',
      '/models/qwen',
      'x.gguf',
      'org/name/file.gguf',
      'org/',
      '/name',
      'org/na me',
      'org/name@',
      'org/name@a@b',
      'org/name@../main',
      'org/..',
      'org/a..b',
      'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct',
      '',
    ]) {
      expect(parseModelRef(text), text).toBeNull();
    }
  });
});

describe('hubEnvFromProcess', () => {
  it('defaults to huggingface.co, no token, online, ~/.cache/jetson-vllm', () => {
    expect(hubEnvFromProcess({}, '/home/u/.cache', () => null)).toEqual({
      endpoint: 'https://huggingface.co',
      token: null,
      isOffline: false,
      cacheDir: path.join('/home/u/.cache', 'jetson-vllm'),
    });
  });

  it('reads HF_ENDPOINT, HF_TOKEN (or HUGGING_FACE_HUB_TOKEN), HF_HUB_OFFLINE and XDG_CACHE_HOME', () => {
    const env = hubEnvFromProcess(
      {
        HF_ENDPOINT: 'https://hf-mirror.com/',
        HUGGING_FACE_HUB_TOKEN: 'hf_old',
        HF_HUB_OFFLINE: '1',
        XDG_CACHE_HOME: '/x',
      },
      '/home/u/.cache',
    );
    expect(env).toEqual({
      endpoint: 'https://hf-mirror.com',
      token: 'hf_old',
      isOffline: true,
      cacheDir: '/x/jetson-vllm',
    });
    expect(hubEnvFromProcess({ HF_TOKEN: 'hf_new', HUGGING_FACE_HUB_TOKEN: 'hf_old' }, '/c').token).toBe('hf_new');
    expect(hubEnvFromProcess({ HF_HUB_OFFLINE: 'true' }, '/c').isOffline).toBe(true);
    expect(hubEnvFromProcess({ HF_HUB_OFFLINE: '0' }, '/c').isOffline).toBe(false);
    expect(hubEnvFromProcess({ HF_TOKEN: '  ' }, '/c', () => null).token).toBeNull();
  });

  it('without HF_TOKEN, reads the token huggingface-cli login saved: $HF_TOKEN_PATH, $HF_HOME/token, <cache>/huggingface/token', () => {
    const reads: string[] = [];
    const files: Record<string, string> = {
      '/home/u/.cache/huggingface/token': 'hf_saved\n',
      '/hf/token': 'hf_home\n',
      '/t/tok': 'hf_path',
    };
    const read = (file: string): string | null => {
      reads.push(file);
      return files[file] ?? null;
    };
    expect(hubEnvFromProcess({}, '/home/u/.cache', read).token).toBe('hf_saved');
    expect(hubEnvFromProcess({ HF_HOME: '/hf' }, '/home/u/.cache', read).token).toBe('hf_home');
    expect(hubEnvFromProcess({ HF_HOME: '/hf', HF_TOKEN_PATH: '/t/tok' }, '/c', read).token).toBe('hf_path');
    expect(hubEnvFromProcess({ XDG_CACHE_HOME: '/x' }, '/home/u/.cache', read).token).toBeNull();
    expect(reads.at(-1)).toBe('/x/huggingface/token');
    // The variable wins and the file is not read.
    reads.length = 0;
    expect(hubEnvFromProcess({ HF_TOKEN: 'hf_env' }, '/home/u/.cache', read).token).toBe('hf_env');
    expect(reads).toEqual([]);
  });

  it('refuses an HF_ENDPOINT that is not an http(s) URL or carries a password', () => {
    expect(() => hubEnvFromProcess({ HF_ENDPOINT: 'hf-mirror' }, '/c')).toThrow(UserError);
    expect(() => hubEnvFromProcess({ HF_ENDPOINT: 'ftp://x' }, '/c')).toThrow(UserError);
    expect(() => hubEnvFromProcess({ HF_ENDPOINT: 'https://u:p@x' }, '/c')).toThrow(/HF_TOKEN/);
  });
});

describe('describeHubModel against the loopback Hub', () => {
  let server: HubServer;
  const fetched: string[] = [];
  const env = (overrides: Partial<HubEnv> = {}): HubEnv => ({
    endpoint: server.endpoint,
    token: null,
    isOffline: false,
    cacheDir: freshCache(),
    fetch: loopbackFetch(fetched),
    ...overrides,
  });
  /** Requests the servers received since `mark`. */
  const since = (mark: number) => server.requests.slice(mark);

  beforeAll(async () => {
    server = await startHubServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('Qwen2.5-0.5B-Instruct: exact bf16 bytes from one model.safetensors, architecture from config.json', async () => {
    const mark = server.requests.length;
    const d = await describeHubModel(ref(QWEN_05B), env());
    const expected = expectedWeightBytes(QWEN_05B);
    // 494,032,768 parameters (the preset's published count) × 2 bytes: the same number another way.
    expect(expected).toBe(494_032_768 * 2);
    expect(d.quant).toEqual({
      id: 'bf16',
      method: null,
      scheme: 'bf16',
      repo: QWEN_05B,
      sizeBytes: expected,
      sizeSource: 'published',
    });
    expect(d).toMatchObject({
      id: QWEN_05B,
      name: QWEN_05B,
      origin: 'hub',
      tokenizerRepo: QWEN_05B,
      weightSource: 'tensor headers',
      serveTarget: QWEN_05B,
      revision: null,
      unsupportedTensorTypes: [],
    });
    expect(pickShape(d.arch)).toEqual(pickShape(presetArch(QWEN_05B)));
    expect(d.arch.torchDtype).toBe('bfloat16');
    expect(d.notes.join('\n')).toMatch(/1 safetensors file \(290 tensors/);
    // The requests @huggingface/hub makes for one file: HEAD raw/ probe, then ranges of the resolve URL.
    const hub = since(mark).filter((r) => r.server === 'hub');
    expect(hub.map((r) => `${r.method} ${r.url} ${r.range ?? ''}`.trim())).toEqual([
      `GET /${QWEN_05B}/resolve/main/config.json`,
      `HEAD /${QWEN_05B}/raw/main/model.safetensors`,
      `GET /${QWEN_05B}/resolve/main/model.safetensors bytes=0-0`,
      `GET /${QWEN_05B}/resolve/main/model.safetensors bytes=0-7`,
      expect.stringMatching(new RegExp(`^GET /${QWEN_05B}/resolve/main/model.safetensors bytes=8-\\d+$`)),
    ]);
  });

  it('Qwen2.5-7B-Instruct-AWQ: sharded (index + two shards), detected as AWQ with exact bytes', async () => {
    const mark = server.requests.length;
    const d = await describeHubModel(ref(QWEN_7B_AWQ), env());
    const expected = expectedWeightBytes(QWEN_7B_AWQ);
    const index = readJson<{ metadata: { total_size: number } }>(QWEN_7B_AWQ, 'model.safetensors.index.json');
    expect(expected).toBe(index.metadata.total_size);
    expect(d.quant).toEqual({
      id: 'awq',
      method: 'awq',
      scheme: 'awq-int4',
      groupSize: 128,
      repo: QWEN_7B_AWQ,
      sizeBytes: expected,
      sizeSource: 'published',
    });
    expect(pickShape(d.arch)).toEqual(pickShape(presetArch('Qwen/Qwen2.5-7B-Instruct')));
    expect(d.arch.torchDtype).toBe('float16');
    expect(d.notes.join('\n')).toMatch(/2 safetensors files .*I32 .*F16/);
    const requests = since(mark);
    expect(requests).toContainEqual(
      expect.objectContaining({ method: 'HEAD', url: `/${QWEN_7B_AWQ}/raw/main/model.safetensors`, status: 404 }),
    );
    expect(requests).toContainEqual(
      expect.objectContaining({ method: 'GET', url: `/${QWEN_7B_AWQ}/resolve/main/model.safetensors.index.json` }),
    );
    for (const shard of fixtureHeaders(QWEN_7B_AWQ).keys()) {
      const reads = requests.filter((r) => r.server === 'cdn' && r.url.includes(`/${shard}?`));
      expect(reads.length, shard).toBeGreaterThanOrEqual(2);
      expect(reads.every((r) => r.range !== null && r.status === 206)).toBe(true);
    }
  });

  it('Qwen3-0.6B-FP8: fp8 from quantization_config; the stored tied lm_head is not counted', async () => {
    const d = await describeHubModel(ref(QWEN3_FP8), env());
    const expected = expectedWeightBytes(QWEN3_FP8);
    const header = fixtureHeaders(QWEN3_FP8).get('model.safetensors')?.header;
    expect(header?.['lm_head.weight']).toBeDefined();
    expect(d.quant).toMatchObject({ id: 'fp8', method: 'fp8', scheme: 'fp8', sizeBytes: expected });
    expect(pickShape(d.arch)).toEqual(pickShape(presetArch('Qwen/Qwen3-0.6B')));
    expect(d.notes.join('\n')).toMatch(/lm_head\.weight .* tied to the embeddings/);
  });

  it('a gated repository: 401 without a token, 403 with one that has not accepted the licence, read with the right one', async () => {
    const noToken = await failure(describeHubModel(ref(LLAMA), env()));
    expect(noToken.message).toBe(`${LLAMA} is gated: set HF_TOKEN to a token that has accepted its licence on the Hub`);

    const cacheDir = freshCache();
    const wrong = await failure(describeHubModel(ref(LLAMA), env({ token: TOKENS.notAccepted, cacheDir })));
    expect(wrong.message).toBe(`HF_TOKEN has no access to ${LLAMA} (accept the licence on its page)`);
    expect(`${wrong.message} ${wrong.hint ?? ''}`).not.toContain(TOKENS.notAccepted);

    const mark = server.requests.length;
    const d = await describeHubModel(ref(LLAMA), env({ token: TOKENS.accepted, cacheDir }));
    expect(d.quant.sizeBytes).toBe(expectedWeightBytes(LLAMA));
    expect(d.quant.sizeBytes).toBe(1_235_814_400 * 2);
    expect(pickShape(d.arch)).toEqual(pickShape(presetArch(LLAMA)));
    // The token went to the Hub only, never to the CDN it redirects to.
    const requests = since(mark);
    expect(requests.filter((r) => r.server === 'hub').every((r) => r.hasAuthorization)).toBe(true);
    const cdn = requests.filter((r) => r.server === 'cdn');
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.some((r) => r.hasAuthorization)).toBe(false);
    // …and never into the cache.
    const cached = filesUnder(cacheDir);
    expect(cached.map((f) => path.basename(f)).sort()).toEqual(['config.json', 'safetensors-metadata.json']);
    for (const file of cached) {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain(TOKENS.accepted);
      expect(text).not.toContain(TOKENS.notAccepted);
    }
  });

  it('a token the Hub does not know is reported as rejected, without showing it', async () => {
    const token = 'hf_thisTokenDoesNotExist000000000000';
    const error = await failure(describeHubModel(ref(QWEN_05B), env({ token })));
    expect(error.message).toBe(`${server.endpoint} rejected HF_TOKEN (invalid or expired) for ${QWEN_05B}`);
    expect(`${error.message} ${error.hint ?? ''}`).not.toContain(token);
  });

  it('a missing repository is 404 (with or without a token)', async () => {
    const message = `Qwen/does-not-exist does not exist on ${server.endpoint} (or is private)`;
    expect((await failure(describeHubModel(ref('Qwen/does-not-exist'), env()))).message).toBe(message);
    const withToken = await failure(describeHubModel(ref('Qwen/does-not-exist'), env({ token: TOKENS.accepted })));
    expect(withToken.message).toBe(message);
    expect(server.requests.some((r) => r.url.startsWith('/Qwen/does-not-exist/') && r.status === 404)).toBe(true);
  });

  it('a repository without config.json (a GGUF repo) says so', async () => {
    const error = await failure(describeHubModel(ref(GGUF_REPO), env()));
    expect(error.message).toBe(`${GGUF_REPO} has no config.json on ${server.endpoint}`);
    expect(error.hint).toMatch(/\.gguf/);
  });

  it('a pinned revision @<sha> is what reaches the server, and is passed through', async () => {
    const { sha } = readJson<{ sha: string }>(QWEN_05B, 'repo.json');
    const mark = server.requests.length;
    const cacheDir = freshCache();
    const d = await describeHubModel(ref(QWEN_05B, sha), env({ cacheDir }));
    expect(d).toMatchObject({ id: `${QWEN_05B}@${sha}`, revision: sha, serveTarget: QWEN_05B });
    expect(d.quant.sizeBytes).toBe(expectedWeightBytes(QWEN_05B));
    const urls = since(mark)
      .filter((r) => r.server === 'hub')
      .map((r) => r.url);
    expect(urls).toContain(`/${QWEN_05B}/resolve/${sha}/config.json`);
    expect(urls).toContain(`/${QWEN_05B}/raw/${sha}/model.safetensors`);
    expect(urls.every((u) => u.includes(`/${sha}/`))).toBe(true);
    expect(filesUnder(cacheDir).every((f) => f.includes(path.join('hub', 'Qwen', 'Qwen2.5-0.5B-Instruct', sha)))).toBe(
      true,
    );
    // A commit never changes: the second time the cache answers without a request.
    const again = server.requests.length;
    expect((await describeHubModel(ref(QWEN_05B, sha), env({ cacheDir }))).quant).toEqual(d.quant);
    expect(server.requests.length).toBe(again);
  });

  it('a revision the repository does not have', async () => {
    const error = await failure(describeHubModel(ref(QWEN_05B, 'no-such-branch'), env()));
    expect(error.message).toBe(`${QWEN_05B} has no revision "no-such-branch" on ${server.endpoint}`);
  });

  it('with HF_ENDPOINT from the environment and the global fetch, nothing goes to huggingface.co', async () => {
    const urls: string[] = [];
    vi.stubGlobal('fetch', loopbackFetch(urls));
    try {
      const hubEnv = hubEnvFromProcess({ HF_ENDPOINT: server.endpoint, XDG_CACHE_HOME: freshCache() }, '/unused');
      const d = await describeHubModel(ref(QWEN_05B), hubEnv);
      expect(d.quant.sizeBytes).toBe(expectedWeightBytes(QWEN_05B));
    } finally {
      vi.unstubAllGlobals();
    }
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.every((u) => u.startsWith(`${server.endpoint}/`))).toBe(true);
  });

  it('every request stayed on 127.0.0.1 and safetensors were only read by range', () => {
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.every((u) => u.startsWith(`${server.endpoint}/`))).toBe(true);
    expect(
      server.requests.every((r) => r.remoteAddress === '127.0.0.1' || r.remoteAddress === '::ffff:127.0.0.1'),
    ).toBe(true);
    expect(server.requests.every((r) => r.host.startsWith('127.0.0.1:'))).toBe(true);
    const safetensorsGets = server.requests.filter((r) => r.method === 'GET' && /\.safetensors(\?|$)/.test(r.url));
    expect(safetensorsGets.length).toBeGreaterThan(0);
    expect(safetensorsGets.filter((r) => r.range === null)).toEqual([]);
    // The largest header is ~60 kB: nothing like a weight file was sent.
    const cdnBytes = server.requests.filter((r) => r.server === 'cdn').reduce((s, r) => s + r.bytes, 0);
    expect(cdnBytes).toBeLessThan(2_000_000);
  });
});

describe('offline: the cache answers', () => {
  let server: HubServer;
  const fetched: string[] = [];
  const cacheDir = freshCache();
  const env = (overrides: Partial<HubEnv> = {}): HubEnv => ({
    endpoint: server.endpoint,
    token: null,
    isOffline: false,
    cacheDir,
    fetch: loopbackFetch(fetched),
    ...overrides,
  });

  beforeAll(async () => {
    server = await startHubServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('HF_HUB_OFFLINE with an empty cache: a clear message and no request', async () => {
    const mark = server.requests.length;
    const error = await failure(describeHubModel(ref(QWEN_05B), env({ isOffline: true, cacheDir: freshCache() })));
    expect(error.message).toBe(
      `HF_HUB_OFFLINE is set and ${QWEN_05B} is not in the cache: planning ${QWEN_05B} needs its config.json and safetensors headers once; afterwards it works offline`,
    );
    expect(server.requests.length).toBe(mark);
  });

  it('after one fetch, HF_HUB_OFFLINE and then an unreachable endpoint are answered from the cache', async () => {
    const online = await describeHubModel(ref(QWEN_7B_AWQ), env());
    const dir = path.join(cacheDir, 'hub', 'Qwen', 'Qwen2.5-7B-Instruct-AWQ', 'main');
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'safetensors-metadata.json']);
    expect(readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe(
      readFileSync(path.join(FIXTURES, QWEN_7B_AWQ, 'config.json'), 'utf8'),
    );

    const mark = server.requests.length;
    const offline = await describeHubModel(ref(QWEN_7B_AWQ), env({ isOffline: true }));
    expect(server.requests.length).toBe(mark);
    expect({ ...offline, notes: [] }).toEqual({ ...online, notes: [] });
    expect(offline.notes.join('\n')).toMatch(/HF_HUB_OFFLINE: read from the cache/);

    await server.close();
    const unreachable = await describeHubModel(ref(QWEN_7B_AWQ), env());
    expect(unreachable.quant).toEqual(online.quant);
    expect(unreachable.arch).toEqual(online.arch);
    expect(unreachable.notes.join('\n')).toMatch(/could not be reached \(\w+\): read from the cache/);
  });

  it('a busy endpoint (503) is answered from the cache too; a 503 with nothing cached says it could not be reached', async () => {
    const busy: typeof fetch = () => Promise.resolve(new Response('busy', { status: 503 }));
    const cached = await describeHubModel(ref(QWEN_7B_AWQ), env({ fetch: busy }));
    expect(cached.quant.sizeBytes).toBe(expectedWeightBytes(QWEN_7B_AWQ));
    expect(cached.notes.join('\n')).toMatch(/could not be reached \(HTTP 503\)/);
    const error = await failure(describeHubModel(ref(QWEN3_FP8), env({ fetch: busy })));
    expect(error.message).toMatch(/^cannot reach /);
    expect(error.hint).toMatch(/HTTP 503/);
  });

  it('an unreachable endpoint with nothing cached: the clear message', async () => {
    const error = await failure(describeHubModel(ref(QWEN3_FP8), env()));
    expect(error.message).toBe(
      `cannot reach ${server.endpoint} (offline?): planning ${QWEN3_FP8} needs its config.json and safetensors headers once; afterwards it works offline`,
    );
    expect(error.hint).toMatch(/ECONNREFUSED/);
  });
});

describe('describeHubGguf against the loopback Hub', () => {
  let server: HubServer;
  const fetched: string[] = [];
  const env = (overrides: Partial<HubEnv> = {}): HubEnv => ({
    endpoint: server.endpoint,
    token: null,
    isOffline: false,
    cacheDir: freshCache(),
    fetch: loopbackFetch(fetched),
    ...overrides,
  });
  const fixture = readJson<GgufFixture>(GGUF_REPO, `${GGUF_FILE}.header.json`);

  beforeAll(async () => {
    server = await startHubServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('reads metadata, tensor infos and the file size with 2 MB range requests', async () => {
    const mark = server.requests.length;
    const header = await describeHubGguf(ref(GGUF_REPO), GGUF_FILE, env());
    expect(header.metadata['general.architecture']).toBe('qwen2');
    expect(header.metadata['qwen2.block_count']).toBe(24);
    expect(header.tensorInfos).toHaveLength(24 * 12 + 2);
    expect(header.tensorInfos[0]).toMatchObject({ name: 'token_embd.weight', shape: [896n, 151936n], dtype: 8 });
    const tensorBytes = fixture.tensors.reduce((s, t) => s + ggufTensorBytes(t.shape, t.type), 0);
    expect(header.fileBytes).toBe(buildGguf(fixture).size);
    expect(header.fileBytes - tensorBytes).toBeGreaterThan(0);
    expect(header.fileBytes - tensorBytes).toBeLessThan(1_000_000);
    const requests = since(server, mark);
    expect(requests.filter((r) => r.server === 'hub').map((r) => `${r.method} ${r.url} ${r.range ?? ''}`)).toEqual([
      `GET /${GGUF_REPO}/resolve/main/${GGUF_FILE} bytes=0-1999999`,
    ]);
    expect(requests.filter((r) => r.server === 'cdn').map((r) => `${r.status} ${r.range ?? ''}`)).toEqual([
      '206 bytes=0-1999999',
    ]);
  });

  it('answers from the cache offline (bigints intact)', async () => {
    const cacheDir = freshCache();
    const online = await describeHubGguf(ref(GGUF_REPO), GGUF_FILE, env({ cacheDir }));
    const mark = server.requests.length;
    const offline = await describeHubGguf(ref(GGUF_REPO), GGUF_FILE, env({ cacheDir, isOffline: true }));
    expect(server.requests.length).toBe(mark);
    expect(offline).toEqual(online);
    expect(typeof offline.metadata.tensor_count).toBe('bigint');
  });

  it('a missing file, and a path that is not a .gguf file', async () => {
    const missing = await failure(describeHubGguf(ref(GGUF_REPO), 'nope-Q4_K_M.gguf', env()));
    expect(missing.message).toBe(`${GGUF_REPO} has no nope-Q4_K_M.gguf on ${server.endpoint}`);
    await expect(describeHubGguf(ref(GGUF_REPO), '../x.gguf', env())).rejects.toThrow(/not a \.gguf file path/);
    await expect(describeHubGguf(ref(GGUF_REPO), 'model.bin', env())).rejects.toThrow(/not a \.gguf file path/);
  });

  it('a gated GGUF without a token gets the gated message', async () => {
    const error = await failure(describeHubGguf(ref(LLAMA), 'model-Q4_K_M.gguf', env()));
    expect(error.message).toBe(`${LLAMA} is gated: set HF_TOKEN to a token that has accepted its licence on the Hub`);
  });
});

describe('a server that ignores Range', () => {
  let server: HubServer;
  beforeAll(async () => {
    server = await startHubServer({ ignoreRange: true });
  });
  afterAll(async () => {
    await server.close();
  });

  it('is refused instead of downloading the weights', async () => {
    const error = await failure(
      describeHubModel(ref(QWEN_05B), {
        endpoint: server.endpoint,
        token: null,
        isOffline: false,
        cacheDir: freshCache(),
        fetch: loopbackFetch([]),
      }),
    );
    expect(error.message).toMatch(/ignored a Range request for model\.safetensors .* only its header is needed/);
  });
});

function since(server: HubServer, mark: number) {
  return server.requests.slice(mark);
}

afterEach(() => {
  vi.unstubAllGlobals();
});
