/**
 * Docker, the pure parts: `docker pull`'s layer lines read into a compact progress figure, the local
 * image list (`docker images --format '{{json .}}'`) matched against the image rule of
 * jetson-platform.md §D.4, the container's known name, and the exact `docker run` argv of a launch
 * (attached: the plan's own; detached: its -d variant), built by the plan's builder. No I/O, never throws on a line.
 */
import {
  buildCommandLine,
  buildDockerRunArgv,
  buildServerName,
  readServePort,
  type DockerRunParts,
} from '../../plan/core/flags.js';
import type { ContainerImage } from '../../catalog/core/presets-schema.js';
import type { Plan, PlanRequest } from '../../plan/core/plan.js';
import { compareVersions, parseVersion } from '../../shared/units.js';

// ---------------------------------------------------------------------------------------------------------------
// docker pull progress
// ---------------------------------------------------------------------------------------------------------------

export type LayerStatus = 'waiting' | 'downloading' | 'downloaded' | 'extracting' | 'done';

export interface PullLayer {
  status: LayerStatus;
  /** Bytes downloaded so far, when docker printed it (a terminal's progress bar). */
  currentBytes: number | null;
  /** The layer's compressed size, when docker printed it. */
  totalBytes: number | null;
}

export interface PullProgress {
  /** `latest-jetson-orin: Pulling from nvidia-ai-iot/vllm` → "nvidia-ai-iot/vllm:latest-jetson-orin". */
  ref: string | null;
  /** Layers by their 12-hex id, in the order first seen. */
  layers: Record<string, PullLayer>;
  order: string[];
  /** `Digest: sha256:…` */
  digest: string | null;
  /** `Status: Downloaded newer image for …` / `Status: Image is up to date for …` seen. */
  isDone: boolean;
  /** The error docker printed (`Error response from daemon: manifest unknown`), when one was. */
  error: string | null;
  lines: number;
}

export interface PullSummary {
  layersDone: number;
  layersTotal: number;
  /** Known only when docker printed sizes (null otherwise). */
  bytesDone: number | null;
  bytesTotal: number | null;
}

export function initialPullProgress(): PullProgress {
  return { ref: null, layers: {}, order: [], digest: null, isDone: false, error: null, lines: 0 };
}

const MAX_LINE_CHARS = 4096;
const ANSI_RE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[ -/]*[@-~]`, 'g');
/** docker prints decimal units (go-units HumanSize): kB = 1000 B, MB = 10^6 B, … */
const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** A docker size ("12.35MB", "512B", "1.2 GB", "3.1kB") in bytes, or null. */
export function parseDockerSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?i?[bB])\s*$/.exec(text);
  if (m === null) return null;
  const factor = SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  const value = Number(m[1]);
  if (factor === undefined || !Number.isFinite(value)) return null;
  return Math.round(value * factor);
}

/** Bytes as docker would print them: 3 significant figures, decimal units ("1.23 GB"). */
export function formatDockerSize(bytes: number): string {
  const units: [string, number][] = [
    ['TB', 1e12],
    ['GB', 1e9],
    ['MB', 1e6],
    ['kB', 1e3],
  ];
  for (const [unit, factor] of units) {
    if (bytes >= factor) return `${(bytes / factor).toPrecision(3)} ${unit}`;
  }
  return `${Math.max(0, Math.round(bytes))} B`;
}

const LAYER_RE =
  /^([0-9a-f]{12}): (Pulling fs layer|Waiting|Downloading|Verifying Checksum|Download complete|Extracting|Pull complete|Already exists)\b(.*)$/;
/** `[==>      ]  12.35MB/1.234GB` or `12.35MB/1.234GB` after the status word. */
const BYTES_RE = /(\d+(?:\.\d+)?\s*[kKmMgGtT]?i?[bB])\s*\/\s*(\d+(?:\.\d+)?\s*[kKmMgGtT]?i?[bB])/;

const STATUS_OF: Readonly<Record<string, LayerStatus>> = {
  'Pulling fs layer': 'waiting',
  Waiting: 'waiting',
  Downloading: 'downloading',
  'Verifying Checksum': 'downloaded',
  'Download complete': 'downloaded',
  Extracting: 'extracting',
  'Pull complete': 'done',
  'Already exists': 'done',
};
const STATUS_RANK: Readonly<Record<LayerStatus, number>> = {
  waiting: 0,
  downloading: 1,
  downloaded: 2,
  extracting: 3,
  done: 4,
};

/** Returns whether a line is one of `docker pull`'s per-layer lines ("a1b2c3d4e5f6: Downloading [==>  ] 12MB/1GB"). */
export function isPullLayerLine(line: string): boolean {
  return LAYER_RE.test((line.slice(0, MAX_LINE_CHARS).split('\r').at(-1) ?? '').trim());
}

/** The progress after one line of `docker pull` (or of `docker run` pulling an image itself). */
export function parsePullLine(progress: PullProgress, line: string): PullProgress {
  const raw = typeof line === 'string' ? line : '';
  // A terminal's carriage-return redraws: the last segment is the current one.
  const segment = raw.slice(0, MAX_LINE_CHARS).split('\r').at(-1) ?? '';
  const text = segment.replace(ANSI_RE, '').trim();
  const next: PullProgress = { ...progress, lines: progress.lines + 1 };
  const layer = LAYER_RE.exec(text);
  if (layer !== null) {
    const id = layer[1] ?? '';
    const status = STATUS_OF[layer[2] ?? ''] ?? 'waiting';
    const before = progress.layers[id];
    const bytes = BYTES_RE.exec(layer[3] ?? '');
    const current = bytes === null ? null : parseDockerSize(bytes[1] ?? '');
    const total = bytes === null ? null : parseDockerSize(bytes[2] ?? '');
    const isDownload = status === 'downloading';
    const updated: PullLayer = {
      // A layer never goes back (docker repeats "Waiting" lines out of order).
      status: before !== undefined && STATUS_RANK[before.status] > STATUS_RANK[status] ? before.status : status,
      currentBytes: isDownload && current !== null ? current : (before?.currentBytes ?? null),
      totalBytes: (isDownload ? total : null) ?? before?.totalBytes ?? null,
    };
    next.layers = { ...progress.layers, [id]: updated };
    if (before === undefined) next.order = [...progress.order, id];
    return next;
  }
  const from = /^(\S+): Pulling from (\S+)/.exec(text);
  if (from !== null) {
    next.ref = `${from[2] ?? ''}:${from[1] ?? ''}`;
    return next;
  }
  const digest = /^Digest: (sha256:[0-9a-f]{64})/.exec(text);
  if (digest !== null) {
    next.digest = digest[1] ?? null;
    return next;
  }
  if (/^Status: (?:Downloaded newer image|Image is up to date) for \S/.test(text)) {
    next.isDone = true;
    return next;
  }
  if (
    /^(?:docker: )?Error response from daemon:|^Error: |manifest unknown|pull access denied|toomanyrequests|no matching manifest|unauthorized:/i.test(
      text,
    )
  ) {
    next.error = text;
  }
  return next;
}

/** Layers done / seen, and bytes when docker printed sizes. */
export function summarizePull(progress: PullProgress): PullSummary {
  let layersDone = 0;
  let bytesDone = 0;
  let bytesTotal = 0;
  let hasBytes = false;
  for (const id of progress.order) {
    const layer = progress.layers[id];
    if (layer === undefined) continue;
    if (layer.status === 'done') layersDone += 1;
    if (layer.totalBytes !== null) {
      hasBytes = true;
      bytesTotal += layer.totalBytes;
      bytesDone += STATUS_RANK[layer.status] >= STATUS_RANK.downloaded ? layer.totalBytes : (layer.currentBytes ?? 0);
    }
  }
  return {
    layersDone,
    layersTotal: progress.order.length,
    bytesDone: hasBytes ? bytesDone : null,
    bytesTotal: hasBytes ? bytesTotal : null,
  };
}

/** One compact line: "3/7 layers, 1.20 GB of 5.70 GB" (bytes only when docker printed them). */
export function formatPullProgress(progress: PullProgress): string {
  const s = summarizePull(progress);
  const layers = s.layersTotal === 0 ? 'waiting for the registry' : `${s.layersDone}/${s.layersTotal} layers`;
  const bytes =
    s.bytesDone !== null && s.bytesTotal !== null
      ? `, ${formatDockerSize(s.bytesDone)} of ${formatDockerSize(s.bytesTotal)} downloaded`
      : '';
  return `${layers}${bytes}${progress.isDone ? ', done' : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Local images
// ---------------------------------------------------------------------------------------------------------------

export interface LocalImage {
  /** Normalised reference "repository:tag" (docker.io/ and library/ dropped). */
  ref: string;
  id: string | null;
  createdAt: string | null;
}

/** A reference as docker lists it: `docker.io/` and `library/` dropped, the tag defaulting to latest. */
export function normalizeImageRef(ref: string): string {
  let r = ref.trim();
  const at = r.indexOf('@');
  if (at >= 0) r = r.slice(0, at);
  const lastSlash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  if (colon <= lastSlash) r = `${r}:latest`;
  r = r.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  r = r.replace(/^library\//, '');
  return r;
}

/** The images `docker images --format '{{json .}}'` lists (one JSON object a line; other lines skipped). */
export function parseImageList(text: string): LocalImage[] {
  const images: LocalImage[] = [];
  for (const line of (typeof text === 'string' ? text : '').split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch {
      continue;
    }
    if (typeof obj !== 'object' || obj === null) continue;
    const o = obj as Record<string, unknown>;
    const repo = typeof o.Repository === 'string' ? o.Repository : null;
    const tag = typeof o.Tag === 'string' ? o.Tag : null;
    if (repo === null || repo === '<none>' || tag === null || tag === '<none>') continue;
    images.push({
      ref: normalizeImageRef(`${repo}:${tag}`),
      id: typeof o.ID === 'string' ? o.ID : null,
      createdAt: typeof o.CreatedAt === 'string' ? o.CreatedAt : null,
    });
  }
  return images;
}

/**
 * The catalog's images that satisfy the rule for this board (§D.4): built for its SoC, and for its L4T
 * when known (l4tMin ≤ L4T < l4tMax — a CUDA 13 image is never taken on JetPack 6). Preferred first,
 * then the newest vLLM.
 */
export function ruleImages(images: ContainerImage[], soc: string | undefined, l4t: string | null): ContainerImage[] {
  if (soc === undefined) return [];
  const host = l4t === null ? null : parseVersion(l4t);
  return images
    .filter((i) => i.socs.includes(soc))
    .filter((i) => {
      if (host === null) return true;
      const min = parseVersion(i.l4tMin);
      const max = parseVersion(i.l4tMax);
      return (min === null || compareVersions(host, min) >= 0) && (max === null || compareVersions(host, max) < 0);
    })
    .sort(
      (a, b) =>
        Number(b.isPreferred) - Number(a.isPreferred) ||
        compareVersions(parseVersion(b.vllmVersion) ?? [0, 0, 0], parseVersion(a.vllmVersion) ?? [0, 0, 0]),
    );
}

export type ImageChoice =
  | { kind: 'present'; image: string }
  | { kind: 'present-other'; image: string; vllmVersion: string }
  | { kind: 'pull'; image: string };

/**
 * The image a launch runs: the plan's when it is present; else, when the user pinned neither the image
 * nor the version (`isPinned` false), another present image that satisfies the rule (no multi-GB
 * pull; the launch is re-planned for its vLLM); else the plan's, pulled. Only exact references of the
 * catalog count as satisfying the rule: "any local image called vllm" is not safe (§D.4 step 6).
 */
export function chooseLaunchImage(
  planImage: string,
  rule: ContainerImage[],
  present: LocalImage[],
  isPinned: boolean,
): ImageChoice {
  const have = new Set(present.map((p) => p.ref));
  if (have.has(normalizeImageRef(planImage))) return { kind: 'present', image: planImage };
  if (!isPinned) {
    const other = rule.find((i) => have.has(normalizeImageRef(i.image)));
    if (other !== undefined) return { kind: 'present-other', image: other.image, vllmVersion: other.vllmVersion };
  }
  return { kind: 'pull', image: planImage };
}

/** The image a docker launch switches to: one already here, instead of pulling the plan's. */
export interface PresentImageSwitch {
  image: string;
  vllmVersion: string;
  /** The line that says so (printed by `launch`, in the wizard's log tail). */
  note: string;
}

/**
 * The present image a docker launch takes instead of pulling the plan's (jetson-platform.md §D.4 step 6),
 * with the line saying so; null to keep the plan's image (native, no image, the plan's image is here, the
 * user pinned --image or --vllm-version, or nothing here satisfies the rule for this SoC and L4T).
 */
export function choosePresentImage(
  plan: Pick<Plan, 'runtime' | 'image'>,
  request: Pick<PlanRequest, 'image' | 'vllmVersion' | 'device'>,
  images: ContainerImage[],
  present: LocalImage[],
  l4t: string | null,
): PresentImageSwitch | null {
  if (plan.runtime !== 'docker' || plan.image === null) return null;
  // The request carries --image and --vllm-version as given (null when not): either pins the image.
  const isPinned = request.image !== null || request.vllmVersion !== null;
  const choice = chooseLaunchImage(plan.image, ruleImages(images, request.device.soc, l4t), present, isPinned);
  if (choice.kind !== 'present-other') return null;
  return {
    image: choice.image,
    vllmVersion: choice.vllmVersion,
    note: `jetson-vllm: ${choice.image} is here already: using it instead of pulling ${plan.image} (re-planned for vLLM ${choice.vllmVersion}; --image ${plan.image} pulls that one)`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The container and its command
// ---------------------------------------------------------------------------------------------------------------

/** The port a serve argv listens on (--port, else vLLM's 8000): the plan's own rule (flags.ts). */
export const servePort = readServePort;

/** The known name of a launch's container (and of a detached server): the plan's own (flags.ts). */
export const serverName = buildServerName;

/** `docker run` options that take a value (the walk to the image must skip it). */
const VALUE_OPTIONS = new Set([
  '-v',
  '--volume',
  '-e',
  '--env',
  '--runtime',
  '--network',
  '--net',
  '--shm-size',
  '--name',
  '--ulimit',
  '--restart',
  '-p',
  '--publish',
  '--gpus',
  '--entrypoint',
  '-w',
  '--workdir',
  '--mount',
  '--ipc',
  '-u',
  '--user',
  '--device',
  '--env-file',
  '--label',
  '-l',
  '--pull',
]);
/** Options a launch decides itself: removed from the plan's command before its own are added. */
const LAUNCH_DECIDES = new Set(['--rm', '-it', '-ti', '-i', '-t', '-d', '--detach', '--interactive', '--tty']);
const LAUNCH_DECIDES_WITH_VALUE = new Set(['--name', '--restart']);

export type { DockerRunParts };

/** `docker run [options] image command…` split into its parts, or null when it is not one. */
export function splitDockerRun(argv: string[]): DockerRunParts | null {
  if (argv[0] !== 'docker' || argv[1] !== 'run') return null;
  let i = 2;
  while (i < argv.length) {
    const a = argv[i] ?? '';
    if (!a.startsWith('-')) break;
    i += VALUE_OPTIONS.has(a) ? 2 : 1;
  }
  const image = argv[i];
  if (image === undefined) return null;
  return { options: argv.slice(2, i), image, command: argv.slice(i + 1) };
}

/**
 * The exact argv a launch runs, from the plan's `docker run` through the same builder the plan used
 * (buildDockerRunArgv): attached with the plan's name, it is the plan's argv itself; detached, `-d` instead of
 * `--rm` (no restart policy until it is ready and let go). Whatever the launch decides is taken out first (`-t`,
 * `--rm`, `-d`, a `--name`, a `--restart`), so a hand-edited command cannot double them.
 * HF_TOKEN stays `-e HF_TOKEN`: by name, its value is never in the argv.
 */
export function launchRunArgv(dockerArgv: string[], o: { name: string; isDetached: boolean }): string[] | null {
  const parts = splitDockerRun(dockerArgv);
  if (parts === null) return null;
  const kept: string[] = [];
  for (let i = 0; i < parts.options.length; i++) {
    const a = parts.options[i] ?? '';
    if (LAUNCH_DECIDES.has(a)) continue;
    if (LAUNCH_DECIDES_WITH_VALUE.has(a)) {
      i += 1;
      continue;
    }
    if (a === '-e' || a === '--env') {
      const value = parts.options[i + 1] ?? '';
      // A token given by value in the plan's command would be written into argv: pass it by name instead.
      kept.push(a, /^HF_TOKEN=/.test(value) ? 'HF_TOKEN' : value);
      i += 1;
      continue;
    }
    kept.push(a);
    if (VALUE_OPTIONS.has(a)) {
      kept.push(parts.options[i + 1] ?? '');
      i += 1;
    }
  }
  return buildDockerRunArgv({ options: kept, image: parts.image, command: parts.command }, o);
}

/** The same as one copy-pasteable line. */
export function launchRunCommand(argv: string[]): string {
  return buildCommandLine(argv);
}

/** The oldest L4T any vLLM image runs on: JetPack 6.1 (jetson-platform.md §D.2, §D.4 step 2). */
export const MIN_VLLM_L4T = '36.4.0';

/**
 * Why this image will not start on this board (its L4T, from /etc/nv_tegra_release), or null when it
 * will (or cannot be judged: no L4T known, an image the catalog does not list). §D.4: r36.4 images need
 * L4T 36.4–36.x (never a JetPack 7 driver), CUDA 13 images need JetPack 7, nothing runs below 36.4.
 */
export function imageRefusal(
  image: string | null,
  images: ContainerImage[],
  l4t: string | null,
  soc: string | undefined,
): string | null {
  const host = l4t === null ? null : parseVersion(l4t);
  if (image === null || host === null) return null;
  const min = parseVersion(MIN_VLLM_L4T);
  if (min !== null && compareVersions(host, min) < 0) {
    return `this board runs L4T ${l4t}, and no vLLM image runs below L4T 36.4 (JetPack 6.1): upgrade JetPack (flash 6.2 or newer)`;
  }
  const entry = images.find((i) => i.image === image);
  if (entry === undefined) return null;
  const fits = ruleImages([entry], soc, l4t).length > 0;
  if (fits) return null;
  const other = ruleImages(images, soc, l4t)[0];
  const range = `L4T ${entry.l4tMin} up to (not including) ${entry.l4tMax}`;
  const way =
    other !== undefined
      ? `--image ${other.image} (vLLM ${other.vllmVersion}) is built for it`
      : `no published image is built for it yet (experimental): build one with jetson-containers and give --image`;
  return `${image} is built for ${range}, and this board runs L4T ${l4t}: its driver would refuse the container at start; ${way}`;
}
