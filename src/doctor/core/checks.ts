/**
 * System checks for serving vLLM on this machine: each passes, warns, fails or is skipped, and each
 * non-pass carries the exact fix and what it gains (reference jetson-platform.md §C, §D). Pure.
 */
import type { Identification } from '../../device/core/identify.js';
import { describeAccuracy, type PredictionAccuracy } from '../../launch/core/history.js';
import { compareL4t } from '../../device/core/jetpack.js';
import type { Catalog } from '../../catalog/core/presets-schema.js';
import { findGpuUsers, NOT_CHECKED, sumDesktopRss, type SystemFacts } from '../../device/core/system-facts.js';
import { GiB, MiB } from '../../shared/units.js';
import { buildSwapFix, checkAvailableMemory, checkNvmapHeld, SERVER_OVERHEAD_BYTES } from './memory-checks.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skipped';

export interface Check {
  id: string;
  status: CheckStatus;
  summary: string;
  /** The exact command(s) that fix it; null on pass/skipped. */
  fix: string | null;
  /** What the fix gains. */
  gain: string | null;
}

export interface DoctorInput {
  facts: SystemFacts;
  identification: Identification;
  catalog: Catalog;
  /** Bytes the chosen model's weights take on disk (a typical 5 GB when no model was chosen). */
  modelBytes: number;
  /** Bytes of the container image (a typical vLLM image: 5.7 GB). */
  imageBytes: number;
  /** How far this device's launches were from their plans (the local history); null if unknown. */
  accuracy?: PredictionAccuracy | null;
  /** What the chosen model's plan needs besides the OS (doctor --model); null: a typical model. */
  need?: { bytes: number; what: string } | null;
}

/** A typical vLLM image for Jetson (dustynv/vllm:0.8.6-r36.4-cu128-24.04, 5.7 GB). */
export const TYPICAL_IMAGE_BYTES = 5.7e9;
/** A typical 7B model at 4 bits. */
export const TYPICAL_MODEL_BYTES = 5e9;

const gib = (b: number): string => `${(b / GiB).toFixed(1)} GiB`;
const mib = (b: number): string => `${Math.round(b / MiB)} MiB`;

function check(
  id: string,
  status: CheckStatus,
  summary: string,
  fix: string | null = null,
  gain: string | null = null,
): Check {
  return { id, status, summary, fix, gain };
}

function skipped(id: string, what: string, why: string): Check {
  return check(id, 'skipped', `${what}: ${why}`);
}

/** Returns whether vLLM can run on the identified board (a fix for vLLM is offered only there). */
function canRunVllm({ identification, catalog }: DoctorInput): boolean {
  if (identification.device !== null) return identification.device.isVllmSupported;
  const preset = catalog.devices.find((d) => d.id === identification.presetId);
  return preset?.vllm.isSupported ?? false;
}

/** Runs every check. */
export function runDoctorChecks(input: DoctorInput): Check[] {
  const { facts, identification } = input;
  const checks: Check[] = [checkDevice(input), checkPredictions(input)];
  const need = input.need ?? null;
  const memory =
    need === null
      ? checkAvailableMemory(facts, input.modelBytes + SERVER_OVERHEAD_BYTES, canRunVllm(input))
      : checkAvailableMemory(facts, need.bytes, canRunVllm(input), need.what);
  if (!facts.isJetson) {
    const why = identification.kind === 'discrete' ? 'not a Jetson' : 'no Jetson here';
    for (const [id, what] of [
      ['jetpack', 'JetPack'],
      ['desktop', 'desktop GUI'],
      ['swap', 'swap'],
      ['power-mode', 'power mode'],
      ['clocks', 'clocks'],
    ] as const) {
      checks.push(skipped(id, what, why));
    }
    checks.push(memory, checkGpuUsers(input), ...checkDocker(input, false), checkDisk(input), checkCacheMedium(input));
    return checks;
  }
  checks.push(
    checkJetpack(input),
    memory,
    checkDesktop(input),
    checkSwap(input),
    checkGpuUsers(input),
    checkPowerMode(input),
    checkClocks(input),
    ...checkDocker(input, true),
    checkDisk(input),
    checkCacheMedium(input),
  );
  return checks;
}

function checkDevice({ facts, identification, catalog }: DoctorInput): Check {
  if (identification.kind === 'none') {
    return check(
      'device',
      'fail',
      `not a Jetson and no NVIDIA GPU found (${facts.gpus.source}): vLLM cannot serve on this machine`,
      'jetson-vllm plan --device <id>   (jetson-vllm devices lists the boards to plan for)',
      'a plan for the board you will run on',
    );
  }
  if (identification.kind === 'discrete') {
    const d = identification.device;
    if (d === null)
      return check(
        'device',
        'warn',
        `${identification.name}: memory or compute capability unknown (${identification.source})`,
        'jetson-vllm plan --device <id>',
        'a plan with known figures',
      );
    return d.isVllmSupported
      ? check(
          'device',
          'pass',
          `not a Jetson: ${identification.name}, ${gib(d.memTotalBytes)}, compute capability ${d.computeCapability} (${identification.source})`,
        )
      : check('device', 'fail', `${identification.name}: ${d.vllmReason}`, null, null);
  }
  const preset =
    identification.presetId !== null ? catalog.devices.find((d) => d.id === identification.presetId) : undefined;
  if (preset === undefined) {
    return check(
      'device',
      'warn',
      `${identification.name}: ${identification.source}`,
      'jetson-vllm plan --device <id>',
      'plans use the preset you name',
    );
  }
  if (!preset.vllm.isSupported) {
    return check(
      'device',
      'fail',
      `${identification.name}: vLLM cannot run here — ${preset.vllm.reason}`,
      'use an Orin module (Orin Nano/NX, AGX Orin) with JetPack 6.1+ or a Thor with JetPack 7',
      'a board vLLM images exist for',
    );
  }
  const family = identification.isFamilyOnly ? ' (module not certain)' : '';
  return check(
    'device',
    'pass',
    `${identification.name}${family}, ${gib(identification.device?.memTotalBytes ?? preset.memTotalBytes)} (${identification.source})`,
  );
}

function checkJetpack({ facts, identification, catalog }: DoctorInput): Check {
  const l4t = facts.l4t.value;
  if (l4t === null)
    return check(
      'jetpack',
      'warn',
      `L4T version unknown (${facts.l4t.source})`,
      'cat /etc/nv_tegra_release',
      'the image choice depends on it',
    );
  const jp = facts.jetpack.value ?? 'unknown';
  const soc = facts.soc.value ?? catalog.devices.find((d) => d.id === identification.presetId)?.soc ?? null;
  if (soc === 't234') {
    if (compareL4t(l4t, '36.4.0') < 0) {
      return check(
        'jetpack',
        'fail',
        `JetPack ${jp} (L4T ${l4t}) is too old for any vLLM image: they start at JetPack 6.1 (L4T 36.4)`,
        'flash JetPack 6.2 with SDK Manager (or `sudo apt dist-upgrade` from 6.0 with the r36.4 apt source)',
        'the dustynv/vllm and ghcr.io/nvidia-ai-iot/vllm images run',
      );
    }
    if (compareL4t(l4t, '38.0.0') >= 0) {
      return check(
        'jetpack',
        'warn',
        `JetPack ${jp} (L4T ${l4t}) on Orin: no published vLLM image was confirmed for it (experimental)`,
        '--runtime native with a vLLM built for CUDA 13 and sm_87, or JetPack 6.2',
        'a tested image',
      );
    }
    return check('jetpack', 'pass', `JetPack ${jp} (L4T ${l4t}): vLLM images for r36.4 run`);
  }
  if (soc === 't264') return check('jetpack', 'pass', `JetPack ${jp} (L4T ${l4t}): Thor images (CUDA 13) run`);
  return check(
    'jetpack',
    'fail',
    `JetPack ${jp} (L4T ${l4t}): no vLLM image exists for this board's JetPack`,
    null,
    null,
  );
}

function checkDesktop({ facts }: DoctorInput): Check {
  const procs = facts.processes.value;
  const dms = facts.displayManagers.value;
  const target = facts.defaultTarget.value;
  const running = (dms !== null && dms.length > 0) || (procs !== null && sumDesktopRss(procs) > 0);
  if (procs === null && dms === null) {
    if (target === 'graphical.target') {
      return check(
        'desktop',
        'warn',
        `the desktop starts at boot (default target graphical.target, ${facts.defaultTarget.source}); whether it runs now was ${NOT_CHECKED}`,
        'sudo systemctl set-default multi-user.target && sudo reboot',
        'about 800 MB with GNOME, 250 MB with LXDE (typical)',
      );
    }
    return skipped('desktop', 'desktop GUI', facts.processes.source);
  }
  if (running) {
    const held = procs === null ? null : sumDesktopRss(procs);
    const heldText = held === null ? 'memory not measured' : `holding ${mib(held)} now (RSS of its processes)`;
    return check(
      'desktop',
      'warn',
      `the desktop GUI is running, ${heldText}${target !== null ? `; default target ${target}` : ''}`,
      'sudo systemctl set-default multi-user.target && sudo reboot   (now, until reboot: sudo init 3)',
      held === null ? 'about 800 MB with GNOME (typical)' : `${mib(held)} for the model and its KV cache`,
    );
  }
  if (target === 'graphical.target') {
    return check(
      'desktop',
      'warn',
      'no desktop is running now, but graphical.target starts it at the next boot',
      'sudo systemctl set-default multi-user.target',
      'the desktop stays off after a reboot',
    );
  }
  return check('desktop', 'pass', `headless${target !== null ? ` (${target})` : ''}`);
}

function checkSwap(input: DoctorInput): Check {
  const { facts } = input;
  const swaps = facts.swaps.value;
  if (swaps === null) return skipped('swap', 'swap', facts.swaps.source);
  const sized = buildSwapFix(facts, canRunVllm(input));
  const note =
    'swap never holds GPU memory (CUDA memory is pinned); it relieves CPU-side pressure while the model loads';
  const why = sized.why === '' ? '' : `; ${sized.why}`;
  const disk = swaps.filter((s) => s.kind !== 'zram');
  const zram = swaps.filter((s) => s.kind === 'zram');
  if (swaps.length === 0) return check('swap', 'warn', `no swap at all; ${note}${why}`, sized.fix, sized.gain);
  if (disk.length === 0) {
    const total = zram.reduce((s, z) => s + z.sizeBytes, 0);
    return check(
      'swap',
      'warn',
      `only zram swap (${gib(total)} compressed in RAM itself); ${note}${why}`,
      sized.fix,
      sized.gain === null ? null : `${sized.gain}; swap that does not take RAM to hold it`,
    );
  }
  return check(
    'swap',
    'pass',
    `disk swap ${disk.map((s) => `${s.name} ${gib(s.sizeBytes)}`).join(', ')}${zram.length > 0 ? ' (and zram)' : ''}`,
  );
}

function checkGpuUsers(input: DoctorInput): Check {
  const { facts } = input;
  const procs = facts.processes.value;
  if (procs === null) {
    // Without the process list (--root) the files still say how much GPU memory others hold.
    return checkNvmapHeld(facts, canRunVllm(input)) ?? skipped('gpu-users', 'other GPU users', facts.processes.source);
  }
  const users = findGpuUsers(procs);
  if (users.length > 0) {
    const byName = new Map<string, number>();
    for (const u of users) byName.set(u.name, (byName.get(u.name) ?? 0) + u.rssBytes);
    const list = [...byName].map(([n, b]) => `${n} ${mib(b)}`).join(', ');
    const fixes = [...byName.keys()].map((n) =>
      n === 'ollama'
        ? 'sudo systemctl stop ollama'
        : n === 'vllm'
          ? 'docker ps   then   docker stop <the vllm container>   (or kill the vllm serve process)'
          : `stop ${n}`,
    );
    return check(
      'gpu-users',
      'warn',
      `other processes hold memory the model needs: ${list} (RSS)`,
      fixes.join('; '),
      'their memory for this server',
    );
  }
  const nvmap = facts.nvmapBytes.value;
  const jp = facts.jetpack.value;
  // A running desktop holds NvMap memory of its own (compositor surfaces): allow for it.
  const desktopAllowance = (facts.displayManagers.value?.length ?? 0) > 0 ? 1024 * MiB : 0;
  if (nvmap !== null && nvmap > 512 * MiB + desktopAllowance) {
    const old = jp === null || Number.parseFloat(jp) < 7.2;
    return check(
      'gpu-users',
      'warn',
      `${mib(nvmap)} of GPU memory (NvMapMemUsed) is held with no GPU process running: memory stuck after a previous run`,
      old ? 'sudo sync && echo 3 | sudo tee /proc/sys/vm/drop_caches   (if that does not free it: reboot)' : 'reboot',
      `${mib(nvmap)} back`,
    );
  }
  return check('gpu-users', 'pass', 'no other GPU users (ollama, vLLM, llama.cpp) running');
}

function checkPowerMode({ facts }: DoctorInput): Check {
  const mode = facts.powerMode.value;
  if (mode === null) return skipped('power-mode', 'power mode', facts.powerMode.source);
  if (/^MAXN/i.test(mode.name))
    return check('power-mode', 'pass', `power mode ${mode.name}${mode.id !== null ? ` (${mode.id})` : ''}`);
  return check(
    'power-mode',
    'warn',
    `power mode ${mode.name}${mode.id !== null ? ` (${mode.id})` : ''}, not MAXN: GPU and memory clocks are capped`,
    'sudo nvpmodel -p --verbose | grep MAXN   then   sudo nvpmodel -m <that id>   (MAXN is 0 on most boards; MAXN_SUPER on Orin Nano/NX with JetPack 6.2)',
    'faster prefill and more tokens/s (not more memory)',
  );
}

function checkClocks({ facts }: DoctorInput): Check {
  const pinned = facts.areClocksPinned.value;
  if (pinned === null) return skipped('clocks', 'clocks', facts.areClocksPinned.source);
  if (pinned) return check('clocks', 'pass', "clocks pinned at the mode's maximum (jetson_clocks)");
  return check(
    'clocks',
    'warn',
    'clocks scale with load (jetson_clocks not active)',
    'sudo jetson_clocks',
    'steadier latency; costs idle power',
  );
}

function checkDocker({ facts }: DoctorInput, isJetson: boolean): Check[] {
  const d = facts.docker;
  if (d.isInstalled.value === null) return [skipped('docker', 'docker', d.isInstalled.source)];
  const level: CheckStatus = isJetson ? 'fail' : 'warn';
  if (!d.isInstalled.value) {
    return [
      check(
        'docker',
        level,
        'docker is not installed',
        isJetson
          ? 'sudo apt-get update && sudo apt-get install -y docker.io nvidia-container'
          : 'sudo apt-get install -y docker.io nvidia-container-toolkit',
        'the vLLM container images (or use --runtime native)',
      ),
    ];
  }
  const checks: Check[] = [];
  const daemon = d.daemon.value;
  if (daemon === 'down')
    checks.push(
      check(
        'docker',
        level,
        'the docker daemon is not running',
        'sudo systemctl enable --now docker',
        'containers can start',
      ),
    );
  else if (daemon === 'permission-denied' || d.isUserInGroup.value === false) {
    checks.push(
      check(
        'docker',
        'warn',
        'you are not in the docker group: docker needs sudo',
        'sudo usermod -aG docker $USER   then log out and in again',
        'docker without sudo (jetson-vllm launches it as you)',
      ),
    );
  } else if (daemon === 'up')
    checks.push(
      check('docker', 'pass', `docker ${d.isUserInGroup.value === true ? 'usable without sudo' : 'daemon up'}`),
    );
  else checks.push(skipped('docker', 'docker daemon', d.daemon.source));
  const runtime = d.hasNvidiaRuntime.value;
  if (runtime === false) {
    checks.push(
      check(
        'docker-nvidia-runtime',
        level,
        'docker has no "nvidia" runtime: containers cannot use the GPU',
        'sudo apt-get install -y nvidia-container-toolkit && sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker',
        '--runtime nvidia works',
      ),
    );
  } else if (runtime === true) checks.push(check('docker-nvidia-runtime', 'pass', 'docker has the nvidia runtime'));
  else checks.push(skipped('docker-nvidia-runtime', 'nvidia runtime', d.hasNvidiaRuntime.source));
  return checks;
}

function checkDisk({ facts, modelBytes, imageBytes }: DoctorInput): Check {
  const disks = facts.disks.value;
  if (disks === null || disks.length === 0) return skipped('disk', 'free disk', facts.disks.source);
  const cache = disks.find((x) => x.path === facts.hfCacheDir.value) ?? disks[0];
  const docker = disks.find((x) => x.path === facts.docker.rootDir.value) ?? cache;
  if (cache === undefined || docker === undefined) return skipped('disk', 'free disk', 'no disk figures');
  const same = cache.target === docker.target;
  const needCache = modelBytes + (same ? imageBytes : 0);
  const needDocker = same ? needCache : imageBytes;
  const short: string[] = [];
  if (cache.availBytes < needCache)
    short.push(
      `${cache.target} has ${gib(cache.availBytes)} free, needs ${gib(needCache)} (model${same ? ' + image' : ''})`,
    );
  if (!same && docker.availBytes < needDocker)
    short.push(`${docker.target} has ${gib(docker.availBytes)} free, needs ${gib(needDocker)} (image)`);
  const fix =
    'free space, or move the Hugging Face cache and docker\'s data-root to an NVMe drive: export HF_HOME=/ssd/huggingface; "data-root": "/ssd/docker" in /etc/docker/daemon.json';
  if (short.length > 0) return check('disk', 'fail', short.join('; '), fix, 'the image and the model fit on disk');
  const spare = Math.min(cache.availBytes - needCache, same ? Infinity : docker.availBytes - needDocker);
  if (spare < 10 * GiB)
    return check(
      'disk',
      'warn',
      `${gib(cache.availBytes)} free on ${cache.target}: the image and model fit with ${gib(spare)} to spare`,
      fix,
      'room for a second model or image',
    );
  return check(
    'disk',
    'pass',
    `${gib(cache.availBytes)} free on ${cache.target}${same ? '' : `, ${gib(docker.availBytes)} on ${docker.target}`}`,
  );
}

function checkCacheMedium({ facts }: DoctorInput): Check {
  const disks = facts.disks.value;
  const cache = disks?.find((x) => x.path === facts.hfCacheDir.value);
  if (cache === undefined)
    return skipped(
      'hf-cache-medium',
      'Hugging Face cache medium',
      facts.disks.value === null ? facts.disks.source : 'cache not found',
    );
  if (cache.medium === 'sd-card') {
    return check(
      'hf-cache-medium',
      'warn',
      `the Hugging Face cache (${facts.hfCacheDir.value ?? ''}) is on an SD card (${cache.source}): loading weights runs at SD speed`,
      'export HF_HOME=/ssd/huggingface   (an NVMe drive), and mount it into the container',
      'minutes off every model load',
    );
  }
  const medium = { emmc: 'eMMC', nvme: 'NVMe', other: 'a disk', 'sd-card': 'an SD card' }[cache.medium ?? 'other'];
  return check('hf-cache-medium', 'pass', `the Hugging Face cache is on ${medium} (${cache.source})`);
}

function checkPredictions({ accuracy }: DoctorInput): Check {
  const summary = describeAccuracy(accuracy);
  if (summary === null) {
    return skipped(
      'predictions',
      'predicted vs actual',
      'no launch of this device recorded yet (jetson-vllm launch records them)',
    );
  }
  if (accuracy?.kvTokensError != null && Math.abs(accuracy.kvTokensError) > 0.2) {
    return check(
      'predictions',
      'warn',
      `${summary}: plans for this board are off by more than 20 %`,
      'jetson-vllm plan … and compare its kvCache with vLLM\'s "GPU KV cache size" line; please report the difference',
      'plans you can trust on this board',
    );
  }
  return check('predictions', 'pass', summary);
}
