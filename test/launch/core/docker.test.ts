/**
 * src/launch/core/docker.ts: docker pull's layer lines, the local image list against the §D.4 rule, the
 * container name and the exact run argv of a launch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseLaunchImage,
  choosePresentImage,
  formatDockerSize,
  imageRefusal,
  MIN_VLLM_L4T,
  formatPullProgress,
  initialPullProgress,
  launchRunArgv,
  normalizeImageRef,
  parseDockerSize,
  parseImageList,
  parsePullLine,
  ruleImages,
  serverName,
  servePort,
  splitDockerRun,
  summarizePull,
  type PullProgress,
} from '../../../src/launch/core/docker.js';
import { loadTestCatalog, planFor, requestAndPlanFor } from '../../helpers/catalog.js';
import { buildCommandLine } from '../../../src/plan/core/flags.js';

const feed = (lines: string[]): PullProgress => lines.reduce(parsePullLine, initialPullProgress());

describe('docker pull progress', () => {
  // What docker prints through a pipe (no progress bars), for an image whose first layer is shared.
  const piped = [
    'latest-jetson-orin: Pulling from nvidia-ai-iot/vllm',
    'a82feeb77ee7: Already exists',
    '9710bf356616: Pulling fs layer',
    'f95e452d1552: Pulling fs layer',
    'f95e452d1552: Waiting',
    '9710bf356616: Verifying Checksum',
    '9710bf356616: Download complete',
    '9710bf356616: Pull complete',
  ];

  it('counts layers done (Already exists and Pull complete) out of the layers seen, without bytes when none are printed', () => {
    const p = feed(piped);
    expect(p.ref).toBe('nvidia-ai-iot/vllm:latest-jetson-orin');
    expect(summarizePull(p)).toEqual({ layersDone: 2, layersTotal: 3, bytesDone: null, bytesTotal: null });
    expect(formatPullProgress(p)).toBe('2/3 layers');
  });

  it("reads a terminal's Downloading bars (decimal units) into bytes done of bytes known", () => {
    const p = feed([
      ...piped,
      'f95e452d1552: Downloading  [============>                                      ]  265.0MB/1.060GB',
    ]);
    // 9710bf356616 printed no size; f95e452d1552: 265 MB of 1.06 GB.
    expect(summarizePull(p)).toEqual({ layersDone: 2, layersTotal: 3, bytesDone: 265e6, bytesTotal: 1.06e9 });
    expect(formatPullProgress(p)).toBe('2/3 layers, 265 MB of 1.06 GB downloaded');
    // Download complete counts the whole layer; a late "Waiting" never sends it back.
    const q = feed([
      ...piped,
      'f95e452d1552: Downloading  [=>  ]  265.0MB/1.060GB',
      'f95e452d1552: Download complete',
      'f95e452d1552: Waiting',
    ]);
    expect(q.layers.f95e452d1552?.status).toBe('downloaded');
    expect(summarizePull(q).bytesDone).toBe(1.06e9);
  });

  it('reads the digest, the end and a daemon error', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const done = feed([
      ...piped,
      `Digest: ${digest}`,
      'Status: Downloaded newer image for ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin',
    ]);
    expect(done.digest).toBe(digest);
    expect(done.isDone).toBe(true);
    expect(formatPullProgress(done)).toBe('2/3 layers, done');
    const failed = feed(['Error response from daemon: manifest unknown']);
    expect(failed.error).toBe('Error response from daemon: manifest unknown');
    expect(formatPullProgress(failed)).toBe('waiting for the registry');
  });

  it('takes the last segment of a carriage-return redraw and strips colour codes', () => {
    const p = feed(['\u001b[1Ga1b2c3d4e5f6: Downloading 1MB/2MB\ra1b2c3d4e5f6: Download complete']);
    expect(p.layers.a1b2c3d4e5f6?.status).toBe('downloaded');
  });

  it('never throws and keeps its counts consistent on any line', () => {
    const layerLine = fc
      .tuple(
        fc.stringMatching(/^[0-9a-f]{12}$/),
        fc.constantFrom(
          'Pulling fs layer',
          'Waiting',
          'Downloading',
          'Verifying Checksum',
          'Download complete',
          'Extracting',
          'Pull complete',
          'Already exists',
        ),
        fc.string(),
      )
      .map(([id, status, rest]) => `${id}: ${status}${rest}`);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), layerLine), { maxLength: 40 }),
        (lines) => {
          const p = feed(lines);
          const s = summarizePull(p);
          expect(s.layersDone).toBeLessThanOrEqual(s.layersTotal);
          expect(p.lines).toBe(lines.length);
          if (s.bytesDone !== null && s.bytesTotal !== null) expect(s.bytesDone).toBeLessThanOrEqual(s.bytesTotal);
          expect(typeof formatPullProgress(p)).toBe('string');
        },
      ),
    );
    expect(() => parsePullLine(initialPullProgress(), undefined as unknown as string)).not.toThrow();
  });

  it('sizes: docker units are decimal, the IEC ones binary', () => {
    expect(parseDockerSize('12.35MB')).toBe(12_350_000);
    expect(parseDockerSize('3.1kB')).toBe(3100);
    expect(parseDockerSize('1GiB')).toBe(2 ** 30);
    expect(parseDockerSize('512B')).toBe(512);
    expect(parseDockerSize('MB')).toBeNull();
    expect(formatDockerSize(1_901_704_200)).toBe('1.90 GB');
    expect(formatDockerSize(999)).toBe('999 B');
  });
});

describe('images here and the rule', () => {
  const listing = [
    '{"Containers":"N/A","CreatedAt":"2025-05-06 10:00:00 +0000 UTC","ID":"d500723a0362","Repository":"dustynv/vllm","Tag":"0.8.6-r36.4-cu128-24.04"}',
    '{"Repository":"<none>","Tag":"<none>","ID":"0123456789ab"}',
    '{"Repository":"docker.io/library/ubuntu","Tag":"24.04","ID":"1111"}',
    'WARNING: not json',
    '{"Repository":"vllm/vllm-openai","Tag":"latest","ID":"2222"}',
  ].join('\n');

  it('lists tagged images with normalised references (docker.io/ and library/ dropped)', () => {
    expect(parseImageList(listing).map((i) => i.ref)).toEqual([
      'dustynv/vllm:0.8.6-r36.4-cu128-24.04',
      'ubuntu:24.04',
      'vllm/vllm-openai:latest',
    ]);
    expect(normalizeImageRef('docker.io/dustynv/vllm:0.6.3-r36.4.0')).toBe('dustynv/vllm:0.6.3-r36.4.0');
    expect(normalizeImageRef('ghcr.io/nvidia-ai-iot/vllm')).toBe('ghcr.io/nvidia-ai-iot/vllm:latest');
    expect(normalizeImageRef('localhost:5000/vllm')).toBe('localhost:5000/vllm:latest');
  });

  it('the rule: images for the SoC (and its L4T when known), preferred first, then the newest vLLM', () => {
    const catalog = loadTestCatalog();
    const orin = ruleImages(catalog.vllm.images, 't234', null).map((i) => i.image);
    expect(orin[0]).toBe('ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin');
    // With the L4T unknown, the upstream CUDA 13 image (Orin on JetPack 7.2) ranks by its newer vLLM next; with
    // JetPack 6's L4T it is out of the rule and the newest r36.4 image follows the preferred one.
    expect(orin[1]).toBe('vllm/vllm-openai:v0.31.0');
    expect(ruleImages(catalog.vllm.images, 't234', '36.4.3').map((i) => i.image)[1]).toBe(
      'dustynv/vllm:0.8.6-r36.4-cu128-24.04',
    );
    expect(orin.every((i) => !i.includes('thor') && !i.startsWith('nvcr.io'))).toBe(true);
    // JetPack 7 on Thor: never an r36 image.
    const thor = ruleImages(catalog.vllm.images, 't264', '38.2.0').map((i) => i.image);
    expect(thor.length).toBeGreaterThan(0);
    expect(thor.some((i) => i.includes('r36'))).toBe(false);
    // An Orin on r36.3 (JetPack 6.0): nothing satisfies the rule.
    expect(ruleImages(catalog.vllm.images, 't234', '36.3.0')).toEqual([]);
    expect(ruleImages(catalog.vllm.images, undefined, null)).toEqual([]);
  });

  it("prefers the plan's image when here, else another present image of the rule unless pinned, else a pull", () => {
    const catalog = loadTestCatalog();
    const rule = ruleImages(catalog.vllm.images, 't234', null);
    const present = parseImageList(listing);
    const planned = 'ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin';
    expect(chooseLaunchImage(planned, rule, present, false)).toEqual({
      kind: 'present-other',
      image: 'dustynv/vllm:0.8.6-r36.4-cu128-24.04',
      vllmVersion: '0.8.6',
    });
    expect(chooseLaunchImage(planned, rule, present, true)).toEqual({ kind: 'pull', image: planned });
    expect(chooseLaunchImage(planned, rule, [...present, { ref: planned, id: null, createdAt: null }], false)).toEqual({
      kind: 'present',
      image: planned,
    });
    // "Any local image called vllm" does not satisfy the rule (vllm/vllm-openai is CUDA 13, not for JetPack 6).
    const onlyUpstream = parseImageList('{"Repository":"vllm/vllm-openai","Tag":"latest"}');
    expect(chooseLaunchImage(planned, rule, onlyUpstream, false)).toEqual({ kind: 'pull', image: planned });
  });
});

describe('choosePresentImage (a docker launch takes an image already here, §D.4 step 6)', () => {
  const catalog = loadTestCatalog();
  const planned = 'ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin';
  const dusty = 'dustynv/vllm:0.8.6-r36.4-cu128-24.04';
  const here = (...refs: string[]): ReturnType<typeof parseImageList> =>
    refs.map((ref) => ({ ref: normalizeImageRef(ref), id: null, createdAt: null }));
  const orin = { device: 'orin-nx-16gb', model: 'qwen2.5-0.5b-instruct' };
  const note = (image: string, version: string): string =>
    `jetson-vllm: ${image} is here already: using it instead of pulling ${planned} (re-planned for vLLM ${version}; --image ${planned} pulls that one)`;

  it.each([
    ['no local image', here(), '36.4.3', null],
    ['only unrelated images', here('ubuntu:24.04', 'vllm/vllm-openai:latest'), '36.4.3', null],
    ["the plan's own image", here(planned, dusty), '36.4.3', null],
    ['an r36.4 image on L4T 36.3 (below its l4tMin)', here(dusty), '36.3.0', null],
    ['an r36.4 image on L4T 37.0.0 (its l4tMax, excluded)', here(dusty), '37.0.0', null],
    ['an r36.4 image on JetPack 7 (L4T 39.2)', here(dusty), '39.2.0', null],
    ['a Thor image on an Orin', here('ghcr.io/nvidia-ai-iot/vllm:latest-jetson-thor'), '36.4.3', null],
    ['an r36.4 image on L4T 36.4.0 (its l4tMin, included)', here(dusty), '36.4.0', dusty],
    ['an r36.4 image on L4T 36.4.3 (JetPack 6.2)', here(dusty), '36.4.3', dusty],
    ['an r36.4 image, the L4T unknown', here(`docker.io/${dusty}`), null, dusty],
    ['two that suit: the newest vLLM', here('dustynv/vllm:0.8.5-r36.4.0-cu128-24.04', dusty), '36.4.3', dusty],
  ])('%s → %s', (_what, present, l4t, expected) => {
    const { plan, request } = requestAndPlanFor(orin);
    expect(plan.image).toBe(planned);
    const change = choosePresentImage(plan, request, catalog.vllm.images, present, l4t);
    if (expected === null) expect(change).toBeNull();
    else expect(change).toEqual({ image: expected, vllmVersion: '0.8.6', note: note(expected, '0.8.6') });
  });

  it.each([
    ['--image', { image: planned }],
    ['--vllm-version', { vllmVersion: '0.11.2' }],
  ])('pinned with %s: the plan keeps its image (pulled)', (_flag, pin) => {
    const { plan, request } = requestAndPlanFor({ ...orin, ...pin });
    expect(choosePresentImage(plan, request, catalog.vllm.images, here(dusty), '36.4.3')).toBeNull();
  });

  it('a native launch has no image to choose', () => {
    const { plan, request } = requestAndPlanFor({ ...orin, runtime: 'native' });
    expect(choosePresentImage(plan, request, catalog.vllm.images, here(dusty), '36.4.3')).toBeNull();
  });
});

describe('the container and its command', () => {
  it('names the container jetson-vllm-<model-slug>-<port>, always a valid docker name', () => {
    expect(serverName('qwen2.5-0.5b-instruct', 8000)).toBe('jetson-vllm-qwen2.5-0.5b-instruct-8000');
    expect(serverName('Qwen/Qwen2.5-7B-Instruct-AWQ', 8123)).toBe('jetson-vllm-qwen-qwen2.5-7b-instruct-awq-8123');
    expect(serverName('///', 1)).toBe('jetson-vllm-model-1');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 65535 }), (id, port) => {
        const name = serverName(id, port);
        expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
        expect(name.endsWith(`-${port}`)).toBe(true);
        expect(name.length).toBeLessThanOrEqual(12 + 48 + 6);
      }),
    );
  });

  it("the plan's command is the launch's: no -t, its --name, --rm (or -d without a restart policy detached)", () => {
    const plan = planFor({ device: 'orin-nx-16gb', model: 'qwen2.5-0.5b-instruct', port: '8123' });
    const docker = plan.dockerArgv ?? [];
    const name = serverName(plan.model.id, servePort(plan.argv));
    expect(name).toBe('jetson-vllm-qwen2.5-0.5b-instruct-8123');
    // What plan, Copy and the Launch screen show is what runs (issue 13 item 9): named, never -it.
    expect(docker.slice(0, 5)).toEqual(['docker', 'run', '--rm', '--name', name]);
    expect(docker).not.toContain('-it');
    expect(plan.command).toBe(buildCommandLine(docker));
    const attached = launchRunArgv(docker, { name, isDetached: false }) ?? [];
    const parts = splitDockerRun(docker);
    // Exactly: the launch's own options, then the plan's options without --rm/--name, the image, the serve argv.
    expect(attached).toEqual([
      'docker',
      'run',
      '--rm',
      '--name',
      name,
      ...(parts?.options ?? []).slice(3),
      plan.image,
      ...plan.argv,
    ]);
    expect(attached).toEqual(docker);
    expect(attached).not.toContain('-it');
    expect(attached.join(' ')).toContain('-e HF_TOKEN ');
    // Detached: no restart policy until the server is ready and let go (`docker update`, runtime.ts release).
    const detached = launchRunArgv(docker, { name, isDetached: true }) ?? [];
    expect(detached.slice(0, 5)).toEqual(['docker', 'run', '-d', '--name', name]);
    expect(detached).not.toContain('--rm');
    expect(detached).not.toContain('--restart');
    expect(detached.slice(5)).toEqual(attached.slice(5));
    // Running it again replaces the name, and a token given by value is passed by name instead.
    const again = launchRunArgv(['docker', 'run', '--name', 'old', '-e', 'HF_TOKEN=hf_x', '-t', 'img', 'vllm'], {
      name: 'new',
      isDetached: false,
    });
    expect(again).toEqual(['docker', 'run', '--rm', '--name', 'new', '-e', 'HF_TOKEN', 'img', 'vllm']);
    expect(launchRunArgv(['vllm', 'serve', 'x'], { name: 'n', isDetached: false })).toBeNull();
  });

  it('reads the port of a serve argv (8000 when absent or bad)', () => {
    expect(servePort(['vllm', 'serve', 'm', '--port', '9001'])).toBe(9001);
    expect(servePort(['vllm', 'serve', 'm'])).toBe(8000);
    expect(servePort(['vllm', 'serve', 'm', '--port', 'x'])).toBe(8000);
  });
});

describe('imageRefusal (the board L4T against the image, §D.4)', () => {
  const images = loadTestCatalog().vllm.images;
  const orin = 'ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin';
  const thor = 'ghcr.io/nvidia-ai-iot/vllm:latest-jetson-thor';

  it('the bounds, exactly: l4tMin is in (36.4.0 runs), l4tMax is out (37.0.0 is refused: "up to, not including")', () => {
    const entry = images.find((i) => i.image === orin);
    expect(entry).toMatchObject({ l4tMin: '36.4.0', l4tMax: '37.0.0' });
    expect(imageRefusal(orin, images, '36.4.0', 't234')).toBeNull();
    expect(imageRefusal(orin, images, '36.99.99', 't234')).toBeNull();
    expect(imageRefusal(orin, images, '37.0.0', 't234')).toMatch(
      /is built for L4T 36\.4\.0 up to \(not including\) 37\.0\.0, and this board runs L4T 37\.0\.0/,
    );
    expect(imageRefusal(orin, images, '37.0', 't234')).not.toBeNull();
    expect(ruleImages(images, 't234', '37.0.0').map((i) => i.image)).not.toContain(orin);
    expect(ruleImages(images, 't234', '36.4.0').map((i) => i.image)).toContain(orin);
    // Below the oldest L4T any vLLM image runs on, one patch level counts.
    expect(imageRefusal(orin, images, MIN_VLLM_L4T, 't234')).toBeNull();
    expect(imageRefusal(orin, images, '36.3.99', 't234')).toMatch(/no vLLM image runs below L4T 36\.4/);
  });

  it('an r36.4 Orin image on L4T 36.4.3 (JetPack 6.2) starts; so does any image when the L4T is unknown', () => {
    expect(imageRefusal(orin, images, '36.4.3', 't234')).toBeNull();
    expect(imageRefusal(orin, images, null, 't234')).toBeNull();
    expect(imageRefusal('my/own:image', images, '39.2.0', 't234')).toBeNull();
  });

  it('the Orin image on an AGX Orin with JetPack 7.2 (L4T 39.2): refused, and the upstream CUDA 13 image named', () => {
    expect(imageRefusal(orin, images, '39.2.0', 't234')).toBe(
      `${orin} is built for L4T 36.4.0 up to (not including) 37.0.0, and this board runs L4T 39.2.0: its driver would refuse the container at start; --image vllm/vllm-openai:v0.31.0 (vLLM 0.31.0) is built for it`,
    );
    // Past the L4T range of every listed image, nothing published fits.
    expect(imageRefusal(orin, images, '40.0.0', 't234')).toMatch(/no published image is built for it yet/);
  });

  it('the Thor image on a Thor (L4T 38.2) starts; below JetPack 6.1 nothing does', () => {
    expect(imageRefusal(thor, images, '38.2.0', 't264')).toBeNull();
    expect(imageRefusal(orin, images, '35.3.1', 't234')).toMatch(
      /^this board runs L4T 35\.3\.1, and no vLLM image runs below L4T 36\.4 \(JetPack 6\.1\): upgrade JetPack/,
    );
  });

  it('an r36.4 image on L4T 36.3 names none (no published image below 36.4)', () => {
    expect(imageRefusal(orin, images, '36.3.0', 't234')).toMatch(/no vLLM image runs below L4T 36\.4/);
  });
});
