/**
 * Detection: reads the device through a ProbeHost and returns SystemFacts. Every probe runs in
 * parallel and never throws: a failure becomes an unknown fact with its reason.
 */
import { expectedCudaForL4t, lookupJetpack } from './core/jetpack.js';
import {
  classifyDockerError,
  parseCompatible,
  parseCudartFileName,
  parseCudaVersionJson,
  parseCudaVersionTxt,
  parseDeviceTreeStrings,
  parseDf,
  parseDockerInfoJson,
  parseDpkgVersion,
  parseIdGroups,
  parseMeminfo,
  parseNvccVersion,
  parseNvidiaSmiGpuCsv,
  parseNvpmodelQuery,
  parseNvTegraRelease,
  parseOsRelease,
  parseProcMounts,
  parseProcSwaps,
  parsePs,
  parseSystemctlGetDefault,
  parseSystemctlIsActive,
  parseVllmVersionOutput,
} from './core/system-parsers.js';
import {
  known,
  NOT_CHECKED,
  unknown,
  type DiskFact,
  type DockerFacts,
  type Fact,
  type GpuFact,
  type SystemFacts,
} from './core/system-facts.js';
import { MiB } from '../shared/units.js';
import { resolveHfHome } from '../shared/xdg.js';
import type { ProbeHost } from './host.js';

/** The nvidia-smi query the probe runs (and the fixtures record). */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=name,memory.total,compute_cap,driver_version',
  '--format=csv,noheader,nounits',
];
const DISPLAY_MANAGERS = ['gdm3', 'gdm', 'lightdm', 'sddm'];

async function readText(host: ProbeHost, file: string): Promise<{ text: string } | { why: string }> {
  const r = await host.readFile(file);
  if (r.ok) return { text: r.text };
  return {
    why: `${file}: ${r.reason === 'missing' ? 'missing' : r.reason === 'denied' ? 'permission denied' : 'unreadable'}`,
  };
}

/** Runs a command; `{ why }` when it was not run, not found, or failed. */
async function command(
  host: ProbeHost,
  cmd: string,
  args: string[],
): Promise<
  { stdout: string; stderr: string; exitCode: number | null } | { why: string; notFound?: boolean; stderr?: string }
> {
  const r = await host.run(cmd, args);
  if (r === null) return { why: NOT_CHECKED };
  if (r.isNotFound) return { why: `${cmd}: not installed`, notFound: true };
  if (r.isTimedOut) return { why: `${cmd} did not answer in time` };
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

const label = (cmd: string, args: string[]): string => [cmd, ...args].join(' ');

async function detectDeviceTree(
  host: ProbeHost,
): Promise<Pick<SystemFacts, 'model' | 'moduleParts' | 'carrier' | 'soc'>> {
  let modelFile = '/proc/device-tree/model';
  let model = await readText(host, modelFile);
  if (!('text' in model)) {
    modelFile = '/sys/firmware/devicetree/base/model';
    const alt = await readText(host, modelFile);
    if ('text' in alt) model = alt;
  }
  let compatFile = '/proc/device-tree/compatible';
  let compat = await readText(host, compatFile);
  if (!('text' in compat)) {
    compatFile = '/sys/firmware/devicetree/base/compatible';
    const alt = await readText(host, compatFile);
    if ('text' in alt) compat = alt;
  }
  const modelName = 'text' in model ? (parseDeviceTreeStrings(model.text)[0] ?? null) : null;
  let parsed = 'text' in compat ? parseCompatible(compat.text) : null;
  let partsFile = compatFile;
  if (parsed !== null && parsed.moduleParts.length === 0) {
    // JetPack 4 TX2/Xavier name the board by codename ("nvidia,quill"); the legacy dts file name
    // still carries the module ("…tegra186-quill-p3310-1000-c03-00-base.dts").
    const dts = await readText(host, '/proc/device-tree/nvidia,dtsfilename');
    const part = 'text' in dts ? /p\d{4}-\d{4}/.exec(dts.text)?.[0] : undefined;
    if (part !== undefined) {
      parsed = { ...parsed, moduleParts: [part] };
      partsFile = '/proc/device-tree/nvidia,dtsfilename';
    }
  }
  const compatWhy = 'why' in compat ? compat.why : '';
  return {
    model:
      modelName !== null ? known(modelName, modelFile) : unknown('why' in model ? model.why : `${modelFile}: empty`),
    moduleParts:
      parsed !== null && parsed.moduleParts.length > 0
        ? known(parsed.moduleParts, partsFile)
        : unknown(parsed === null ? compatWhy : `${compatFile}: no module part number`),
    carrier:
      parsed?.carrier != null
        ? known(parsed.carrier, compatFile)
        : unknown(parsed === null ? compatWhy : `${compatFile}: no carrier board`),
    soc:
      parsed?.soc != null
        ? known(parsed.soc, compatFile)
        : unknown(parsed === null ? compatWhy : `${compatFile}: no tegra SoC entry`),
  };
}

async function detectL4t(host: ProbeHost): Promise<{ l4t: Fact<string>; hasReleaseFile: boolean }> {
  const file = '/etc/nv_tegra_release';
  const release = await readText(host, file);
  if ('text' in release) {
    const parsed = parseNvTegraRelease(release.text);
    if (parsed !== null) return { l4t: known(parsed.l4t, file), hasReleaseFile: true };
  }
  const args = ['-W', '-f', '${Version}', 'nvidia-l4t-core'];
  const dpkg = await command(host, 'dpkg-query', args);
  if ('stdout' in dpkg && dpkg.exitCode === 0) {
    const v = parseDpkgVersion(dpkg.stdout);
    if (v !== null) return { l4t: known(v, label('dpkg-query', args)), hasReleaseFile: 'text' in release };
  }
  const why = 'text' in release ? `${file}: not an L4T release line` : release.why;
  return { l4t: unknown(why), hasReleaseFile: 'text' in release };
}

async function detectJetpack(host: ProbeHost, l4t: Fact<string>): Promise<Fact<string>> {
  const args = ['-W', '-f', '${Version}', 'nvidia-jetpack'];
  const dpkg = await command(host, 'dpkg-query', args);
  if ('stdout' in dpkg && dpkg.exitCode === 0) {
    const v = parseDpkgVersion(dpkg.stdout);
    if (v !== null) return known(v, label('dpkg-query', args));
  }
  if (l4t.value === null) return unknown(`no L4T version (${l4t.source})`);
  const row = lookupJetpack(l4t.value);
  if (row === null) return unknown(`L4T ${l4t.value} is not in the JetPack table`);
  return known(
    row.jetpack,
    row.isExact
      ? `L4T ${l4t.value} in the JetPack table`
      : `inferred from L4T ${l4t.value} (nearest row of the JetPack table)`,
  );
}

async function detectCuda(host: ProbeHost, l4t: Fact<string>): Promise<Fact<string>> {
  const json = await readText(host, '/usr/local/cuda/version.json');
  if ('text' in json) {
    const v = parseCudaVersionJson(json.text);
    if (v !== null) return known(v, '/usr/local/cuda/version.json');
  }
  const txt = await readText(host, '/usr/local/cuda/version.txt');
  if ('text' in txt) {
    const v = parseCudaVersionTxt(txt.text);
    if (v !== null) return known(v, '/usr/local/cuda/version.txt');
  }
  const nvcc = await command(host, '/usr/local/cuda/bin/nvcc', ['--version']);
  if ('stdout' in nvcc && nvcc.exitCode === 0) {
    const v = parseNvccVersion(nvcc.stdout);
    if (v !== null) return known(v, '/usr/local/cuda/bin/nvcc --version');
  }
  for (const dir of ['/usr/local/cuda/targets/aarch64-linux/lib', '/usr/local/cuda/lib64']) {
    const names = await host.listDir(dir);
    for (const name of names ?? []) {
      const v = parseCudartFileName(name);
      if (v !== null) return known(v, `${dir}/${name}`);
    }
  }
  if (l4t.value !== null) {
    const expected = expectedCudaForL4t(l4t.value);
    if (expected !== null)
      return known(expected, `inferred from L4T ${l4t.value}: not installed on the host (containers bring their own)`);
  }
  return unknown('no CUDA toolkit found');
}

async function detectMemory(
  host: ProbeHost,
): Promise<Pick<SystemFacts, 'memTotalBytes' | 'memAvailableBytes' | 'memFreeBytes' | 'nvmapBytes'>> {
  const file = '/proc/meminfo';
  const r = await readText(host, file);
  if (!('text' in r))
    return {
      memTotalBytes: unknown(r.why),
      memAvailableBytes: unknown(r.why),
      memFreeBytes: unknown(r.why),
      nvmapBytes: unknown(r.why),
    };
  const m = parseMeminfo(r.text);
  const get = (key: string): Fact<number> => {
    const v = m[key];
    return v !== undefined && v > 0 ? known(v, `${file} ${key}`) : unknown(`${file}: no ${key}`);
  };
  return {
    memTotalBytes: get('MemTotal'),
    memAvailableBytes: get('MemAvailable'),
    // vLLM 0.6.3's free-memory delta saturates near MemFree on a Jetson (plan/core/budget.ts, corrections §5).
    memFreeBytes: get('MemFree'),
    nvmapBytes:
      m.NvMapMemUsed !== undefined
        ? known(m.NvMapMemUsed, `${file} NvMapMemUsed`)
        : unknown(`${file}: no NvMapMemUsed (absent on Thor and non-Jetsons)`),
  };
}

async function detectSwaps(host: ProbeHost): Promise<SystemFacts['swaps']> {
  const r = await readText(host, '/proc/swaps');
  if (!('text' in r)) return unknown(r.why);
  // The kernel always prints the header line; an empty file was not read whole.
  if (!/^Filename\s/m.test(r.text)) return unknown('/proc/swaps: empty or without its header line');
  return known(
    parseProcSwaps(r.text).map((s) => ({ name: s.name, kind: s.kind, sizeBytes: s.sizeBytes, usedBytes: s.usedBytes })),
    '/proc/swaps',
  );
}

async function detectPowerMode(host: ProbeHost): Promise<SystemFacts['powerMode']> {
  const r = await command(host, 'nvpmodel', ['-q']);
  if (!('stdout' in r)) return unknown(r.why);
  const mode = parseNvpmodelQuery(`${r.stdout}\n${r.stderr}`);
  if (mode === null)
    return unknown(
      `nvpmodel -q: ${r.exitCode === 0 ? 'no power mode in its output' : `failed (exit ${r.exitCode ?? '?'}): ${r.stderr.trim().split('\n')[0] ?? ''}`}`,
    );
  return known(mode, 'nvpmodel -q');
}

async function readNumber(host: ProbeHost, file: string): Promise<number | null> {
  const r = await host.readFile(file);
  if (!r.ok) return null;
  const n = Number(r.text.trim());
  return Number.isFinite(n) ? n : null;
}

/** jtop's rule without root: every CPU and the GPU run with min frequency = max frequency. */
async function detectClocks(host: ProbeHost): Promise<Fact<boolean>> {
  const cpus = (await host.listDir('/sys/devices/system/cpu'))?.filter((n) => /^cpu\d+$/.test(n)) ?? [];
  let checked = 0;
  for (const cpu of cpus) {
    const dir = `/sys/devices/system/cpu/${cpu}/cpufreq`;
    const [min, max] = await Promise.all([
      readNumber(host, `${dir}/scaling_min_freq`),
      readNumber(host, `${dir}/scaling_max_freq`),
    ]);
    if (min === null || max === null) continue;
    checked++;
    if (min !== max) return known(false, `${dir}: min ${min} < max ${max} kHz`);
  }
  const devfreq = (await host.listDir('/sys/class/devfreq')) ?? [];
  for (const node of devfreq) {
    const name = await host.readFile(`/sys/class/devfreq/${node}/device/of_node/name`);
    const isGpu = name.ok ? /gpu|gv11b|gp10b|ga10b|gb10b/.test(name.text) : /gpu/.test(node);
    if (!isGpu) continue;
    const [min, max] = await Promise.all([
      readNumber(host, `/sys/class/devfreq/${node}/min_freq`),
      readNumber(host, `/sys/class/devfreq/${node}/max_freq`),
    ]);
    if (min === null || max === null) continue;
    checked++;
    if (min !== max) return known(false, `/sys/class/devfreq/${node}: GPU min ${min} < max ${max} Hz`);
  }
  if (checked === 0) return unknown('no cpufreq or GPU devfreq nodes readable');
  return known(true, 'cpufreq and GPU devfreq: min = max');
}

async function detectDesktop(host: ProbeHost): Promise<Pick<SystemFacts, 'defaultTarget' | 'displayManagers'>> {
  let defaultTarget: Fact<string>;
  const r = await command(host, 'systemctl', ['get-default']);
  const parsed = 'stdout' in r ? parseSystemctlGetDefault(r.stdout) : null;
  if (parsed !== null) defaultTarget = known(parsed, 'systemctl get-default');
  else {
    const link = await host.readLink('/etc/systemd/system/default.target');
    const target = link?.split('/').pop() ?? null;
    defaultTarget =
      target !== null && target.endsWith('.target')
        ? known(target, '/etc/systemd/system/default.target')
        : unknown('why' in r ? r.why : 'systemctl get-default: no target in its output');
  }
  const active = await command(host, 'systemctl', ['is-active', ...DISPLAY_MANAGERS]);
  const displayManagers =
    'stdout' in active
      ? known(
          Object.entries(parseSystemctlIsActive(active.stdout, DISPLAY_MANAGERS))
            .filter(([, state]) => state === 'active')
            .map(([unit]) => unit),
          label('systemctl', ['is-active', ...DISPLAY_MANAGERS]),
        )
      : unknown<string[]>(active.why);
  return { defaultTarget, displayManagers };
}

async function detectProcesses(host: ProbeHost): Promise<SystemFacts['processes']> {
  const args = ['-eo', 'pid=,rss=,comm=,args='];
  const r = await command(host, 'ps', args);
  if (!('stdout' in r)) return unknown(r.why);
  return known(parsePs(r.stdout), label('ps', args));
}

async function detectDocker(host: ProbeHost): Promise<DockerFacts> {
  const args = ['info', '--format', '{{json .}}'];
  const [info, groups, daemonJson] = await Promise.all([
    command(host, 'docker', args),
    command(host, 'id', ['-nG']),
    readText(host, '/etc/docker/daemon.json'),
  ]);
  const isUserInGroup: Fact<boolean> =
    'stdout' in groups ? known(parseIdGroups(groups.stdout).includes('docker'), 'id -nG') : unknown(groups.why);
  if (!('stdout' in info)) {
    const notFound = 'notFound' in info && info.notFound === true;
    return {
      isInstalled: notFound ? known(false, 'docker: not on PATH') : unknown(info.why),
      daemon: unknown(info.why),
      isUserInGroup,
      hasNvidiaRuntime: unknown(info.why),
      rootDir: unknown(info.why),
    };
  }
  const parsed = parseDockerInfoJson(info.stdout);
  const src = label('docker', args);
  const errorText = `${info.stderr}\n${parsed?.errors.join('\n') ?? ''}`;
  if (parsed === null || parsed.serverVersion === null || info.exitCode !== 0) {
    const kind = classifyDockerError(errorText);
    const daemon: Fact<'up' | 'down' | 'permission-denied'> =
      kind === 'permission-denied'
        ? known('permission-denied', src)
        : kind === 'daemon-down'
          ? known('down', src)
          : unknown(`${src}: ${errorText.trim().split('\n')[0] ?? 'failed'}`);
    let hasNvidiaRuntime: Fact<boolean> = unknown('the daemon did not answer');
    if ('text' in daemonJson) hasNvidiaRuntime = known(/"nvidia"\s*:/.test(daemonJson.text), '/etc/docker/daemon.json');
    return {
      isInstalled: known(true, src),
      daemon,
      isUserInGroup,
      hasNvidiaRuntime,
      rootDir: unknown('the daemon did not answer'),
    };
  }
  return {
    isInstalled: known(true, src),
    daemon: known('up', src),
    isUserInGroup,
    hasNvidiaRuntime: known(parsed.runtimes.includes('nvidia'), `${src} Runtimes`),
    rootDir:
      parsed.rootDir !== null ? known(parsed.rootDir, `${src} DockerRootDir`) : unknown(`${src}: no DockerRootDir`),
  };
}

/** The Hugging Face cache on the host: $HF_HUB_CACHE's parent, $HF_HOME, $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface. */
export function findHostHfCache(host: ProbeHost): Fact<string> {
  const found = resolveHfHome(host.env, host.home);
  return known(found.path, found.source);
}

async function classifyMedium(host: ProbeHost, source: string): Promise<DiskFact['medium']> {
  const m = /^\/dev\/(mmcblk\d+|nvme\d+n\d+|sd[a-z]+)/.exec(source);
  if (m === null) return 'other';
  const disk = m[1] ?? '';
  if (disk.startsWith('nvme')) return 'nvme';
  if (disk.startsWith('mmcblk')) {
    const type = await host.readFile(`/sys/block/${disk}/device/type`);
    if (type.ok) return type.text.trim() === 'SD' ? 'sd-card' : 'emmc';
    return null;
  }
  return 'other';
}

/** The path itself, or its nearest ancestor that exists (df needs an existing path). */
async function existingAncestor(host: ProbeHost, p: string): Promise<string> {
  let current = p;
  while (current !== '/' && current !== '' && !(await host.exists(current))) {
    current = current.slice(0, current.lastIndexOf('/')) || '/';
  }
  return current === '' ? '/' : current;
}

async function detectDisks(host: ProbeHost, hfCache: string, dockerRoot: string | null): Promise<SystemFacts['disks']> {
  const wanted = ['/', hfCache, dockerRoot ?? '/var/lib/docker'];
  const paths = await Promise.all(wanted.map((p) => existingAncestor(host, p)));
  const args = ['-B1', '--output=source,target,avail,size', ...paths];
  const r = await command(host, 'df', args);
  if (!('stdout' in r)) return unknown(r.why);
  const rows = parseDf(r.stdout);
  const mounts = await readText(host, '/proc/mounts');
  const mountList = 'text' in mounts ? parseProcMounts(mounts.text) : [];
  // JetPack 4 mounts the root filesystem as /dev/root: the kernel command line names the real device.
  const cmdline = await readText(host, '/proc/cmdline');
  const rootDevice = 'text' in cmdline ? (/(?:^|\s)root=(\/dev\/\S+)/.exec(cmdline.text)?.[1] ?? null) : null;
  const disks: DiskFact[] = [];
  for (const [i, p] of paths.entries()) {
    const row = rows[i];
    if (row === undefined) continue;
    let source = row.source.startsWith('/dev/')
      ? row.source
      : (mountList.find((m) => m.target === row.target)?.source ?? row.source);
    if (source === '/dev/root' && rootDevice !== null) source = rootDevice;
    disks.push({
      path: wanted[i] ?? p,
      source,
      target: row.target,
      availBytes: row.availBytes,
      sizeBytes: row.sizeBytes,
      medium: await classifyMedium(host, source),
    });
  }
  return known(disks, label('df', args));
}

async function detectGpus(host: ProbeHost): Promise<SystemFacts['gpus']> {
  const r = await command(host, 'nvidia-smi', NVIDIA_SMI_ARGS);
  if (!('stdout' in r))
    return unknown('notFound' in r && r.notFound === true ? 'no NVIDIA GPU: nvidia-smi is not installed' : r.why);
  if (r.exitCode !== 0)
    return unknown(`nvidia-smi failed (exit ${r.exitCode ?? '?'}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
  const gpus: GpuFact[] = parseNvidiaSmiGpuCsv(r.stdout).map((g) => ({
    name: g.name,
    memTotalBytes: g.memoryTotalMiB === null ? null : g.memoryTotalMiB * MiB,
    computeCapability: g.computeCapability,
    driverVersion: g.driverVersion,
  }));
  return gpus.length > 0 ? known(gpus, 'nvidia-smi --query-gpu') : unknown('nvidia-smi lists no GPU');
}

async function detectVllm(host: ProbeHost): Promise<Fact<string>> {
  const r = await command(host, 'vllm', ['--version']);
  if (!('stdout' in r))
    return unknown('notFound' in r && r.notFound === true ? 'no vllm on PATH (the container brings its own)' : r.why);
  const v = parseVllmVersionOutput(r.stdout);
  return v !== null ? known(v, 'vllm --version') : unknown('vllm --version printed no version');
}

async function detectOs(host: ProbeHost): Promise<Fact<string>> {
  const r = await readText(host, '/etc/os-release');
  if (!('text' in r)) return unknown(r.why);
  const os = parseOsRelease(r.text);
  return os.prettyName !== null ? known(os.prettyName, '/etc/os-release') : unknown('/etc/os-release: no PRETTY_NAME');
}

/** Detects everything. Never throws. */
export async function detectSystem(host: ProbeHost): Promise<SystemFacts> {
  const hfCacheDir = findHostHfCache(host);
  const [tree, l4tResult, memory, swaps, powerMode, clocks, desktop, processes, docker, gpus, vllmVersion, os] =
    await Promise.all([
      detectDeviceTree(host),
      detectL4t(host),
      detectMemory(host),
      detectSwaps(host),
      detectPowerMode(host),
      detectClocks(host),
      detectDesktop(host),
      detectProcesses(host),
      detectDocker(host),
      detectGpus(host),
      detectVllm(host),
      detectOs(host),
    ]);
  // Positive evidence only: a tegra SoC in the device tree, an L4T release file, or "Jetson" in the model.
  const isJetson = tree.soc.value !== null || l4tResult.hasReleaseFile || /\bjetson\b/i.test(tree.model.value ?? '');
  const [jetpack, cuda, disks] = await Promise.all([
    isJetson ? detectJetpack(host, l4tResult.l4t) : Promise.resolve(unknown<string>('not a Jetson')),
    isJetson ? detectCuda(host, l4tResult.l4t) : Promise.resolve(unknown<string>('not a Jetson (see nvidia-smi)')),
    detectDisks(host, hfCacheDir.value ?? `${host.home}/.cache/huggingface`, docker.rootDir.value),
  ]);
  return {
    root: host.root,
    areCommandsChecked: host.runsCommands,
    isJetson,
    ...tree,
    l4t: isJetson ? l4tResult.l4t : unknown('not a Jetson'),
    jetpack,
    cuda,
    os,
    ...memory,
    swaps,
    powerMode: isJetson ? powerMode : unknown('not a Jetson'),
    areClocksPinned: isJetson ? clocks : unknown('not a Jetson'),
    ...desktop,
    processes,
    docker,
    hfCacheDir,
    disks,
    gpus: isJetson && gpus.value === null ? unknown('a Jetson: memory is shared, nvidia-smi reports little') : gpus,
    vllmVersion,
  };
}
