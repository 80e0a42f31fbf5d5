/**
 * Parsers for what a Jetson (or any Linux host) tells us about itself: device-tree files, L4T and CUDA
 * version files, /proc files, nvpmodel, nvidia-smi, docker, systemctl, ps, df and vllm --version.
 * Pure: text in, data out. No parser throws; garbage gives null, [] or an empty record.
 * Formats: reference/jetson-platform.md §A (device tree), §B (versions), §C (system state), §F (nvidia-smi).
 */

/** Splits text into lines, accepting "\n" and "\r\n". */
function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** A plain object (not null, not an array), as JSON.parse gives for `{…}`. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field of a JSON object, or null when absent, not a string or empty. */
function stringField(obj: Record<string, unknown>, key: string): string | null {
  const value = obj[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** Parses a JSON text without throwing; undefined when it is not JSON. */
function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A non-negative decimal integer that is exact as a JS number, or null. */
function safeInt(digits: string): number | null {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

/** "036" → "36", "0" → "0": digit strings compared and printed without leading zeros. */
function stripLeadingZeros(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

/**
 * Undoes the kernel's octal escapes in /proc/mounts and /proc/swaps: a space in a path is printed as "\040"
 * (`/mnt/my\040disk/16GB.swap`), a tab as "\011", a newline as "\012", a backslash as "\134".
 */
function decodeOctalEscapes(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

// ---------------------------------------------------------------------------------------------------------------
// Device tree (§A.1)
// ---------------------------------------------------------------------------------------------------------------

/** The strings of a device-tree property (NUL-separated, NUL-terminated), without empty ones. */
export function parseDeviceTreeStrings(text: string): string[] {
  // `cat /proc/device-tree/model` gives "NVIDIA Jetson AGX Thor Developer Kit\0"; read through a shell it may
  // also end in "\n".
  return text
    .split('\0')
    .map((s) => s.replace(/[\r\n]+$/, ''))
    .filter((s) => s.trim() !== '');
}

/** The SoCs we know, as short names ("t234" for "nvidia,tegra234"). */
export type TegraSoc = 't210' | 't186' | 't194' | 't234' | 't264';

/** What /proc/device-tree/compatible says about the board. */
export interface CompatibleInfo {
  /** Module P-numbers ("p3767-0003") in order of appearance, without duplicates. */
  moduleParts: string[];
  /** The carrier board's P-number ("p3768-0000"), from the first "carrier+module" entry; null when none. */
  carrier: string | null;
  /** The SoC from the first "nvidia,tegraNNN" entry; null when absent or unknown. */
  soc: TegraSoc | null;
  /** Every entry, in order. */
  entries: string[];
}

/** One P-number: "p3767-0003", optionally with a board revision the Nano adds ("p3448-0000-b00"). */
const PART = String.raw`(p\d{4}-\d{4})(?:-[0-9a-z]+)?`;
const CARRIER_AND_MODULE = new RegExp(String.raw`^nvidia,${PART}\+${PART}$`, 'i');
const MODULE_ONLY = new RegExp(String.raw`^nvidia,${PART}$`, 'i');
const SOC_ENTRY = /^nvidia,tegra(210|186|194|234|264)$/;

/** The module P-numbers, carrier and SoC named by /proc/device-tree/compatible (NUL-separated entries). */
export function parseCompatible(text: string): CompatibleInfo {
  // Entries are NUL-separated: "nvidia,p3768-0000+p3767-0003\0nvidia,p3767-0003\0nvidia,tegra234\0". Text pasted
  // from a terminal has lost its NULs: "nvidia,p3768-0000+p3767-0003nvidia,p3767-0003nvidia,tegra234nvidia,tegra23x"
  // (jetson_stats issue #400), so each entry is also split before every "nvidia,".
  const entries = parseDeviceTreeStrings(text)
    .flatMap((entry) => entry.split(/(?=nvidia,)/))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const moduleParts: string[] = [];
  let carrier: string | null = null;
  let soc: TegraSoc | null = null;
  const addModule = (part: string): void => {
    const p = part.toLowerCase();
    if (!moduleParts.includes(p)) moduleParts.push(p);
  };
  for (const entry of entries) {
    // "nvidia,p4071-0000+p3834-0008" (Thor) and "nvidia,p3449-0000-b00+p3448-0000-b00" (Nano): carrier+module.
    const both = CARRIER_AND_MODULE.exec(entry);
    if (both?.[1] !== undefined && both[2] !== undefined) {
      carrier ??= both[1].toLowerCase();
      addModule(both[2]);
      continue;
    }
    const single = MODULE_ONLY.exec(entry);
    if (single?.[1] !== undefined) {
      addModule(single[1]);
      continue;
    }
    // Some Orin images add a generic "nvidia,tegra23x" after "nvidia,tegra234": only the first exact SoC counts.
    const chip = SOC_ENTRY.exec(entry);
    if (soc === null && chip?.[1] !== undefined) soc = `t${chip[1]}` as TegraSoc;
  }
  return { moduleParts, carrier, soc, entries };
}

// ---------------------------------------------------------------------------------------------------------------
// Versions (§B)
// ---------------------------------------------------------------------------------------------------------------

/** The L4T release from /etc/nv_tegra_release. */
export interface NvTegraRelease {
  /** "36.4.3": R-number, then REVISION. */
  l4t: string;
  /** The BOARD field ("t186ref", "generic"); not a board identifier (§A.1 #8). */
  board: string | null;
}

/** The L4T version ("36.4.3") and BOARD field from the first line of /etc/nv_tegra_release; null when absent. */
export function parseNvTegraRelease(text: string): NvTegraRelease | null {
  // Only line 1 counts; JetPack 6 adds "# KERNEL_VARIANT: oot", "TARGET_USERSPACE_LIB_DIR=nvidia", ….
  // Leading blank lines are tolerated.
  const first = splitLines(text).find((line) => line.trim() !== '');
  if (first === undefined) return null;
  // "# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, DATE: …"; also posted without
  // the "# " ("R36 (release), REVISION: 4.0, …", jetson-containers issue #678).
  const match = /^\s*(?:#\s*)?R(\d+)\s*\([^)]*\)\s*,\s*REVISION:\s*(\d+)(?:\.(\d+))?/.exec(first);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  const l4t = [match[1], match[2], match[3] ?? '0'].map(stripLeadingZeros).join('.');
  const board = /\bBOARD:\s*([^,\s]+)/.exec(first)?.[1] ?? null;
  return { l4t, board };
}

/** The upstream version of a Debian package version ("36.4.3-20250107174145" → "36.4.3"); null when none. */
export function parseDpkgVersion(text: string): string | null {
  const first = splitLines(text).find((line) => line.trim() !== '');
  if (first === undefined) return null;
  // nvidia-l4t-core: "36.4.3-20250107174145"; nvidia-jetpack: "6.2+b77", "4.6.2-b5"; an epoch "1:" may lead.
  const match = /^(?:\d+:)?(\d+(?:\.\d+)*)/.exec(first.trim());
  return match?.[1] ?? null;
}

/** A version made of dot-separated numbers ("12.6.68"), trimmed; null otherwise. */
function numericVersion(value: string | null): string | null {
  return value !== null && /^\d+(?:\.\d+)*$/.test(value) ? value : null;
}

/** The CUDA toolkit version from /usr/local/cuda/version.json ("12.6.68"); null when unreadable. */
export function parseCudaVersionJson(text: string): string | null {
  // {"cuda": {"name": "CUDA SDK", "version": "12.6.1"}, "cuda_nvcc": {"name": "CUDA NVCC", "version": "12.6.68"}, …}
  // cuda.version is the toolkit release; jetson-containers reads cuda_nvcc.version, so that is the fallback.
  const json = tryJson(text);
  if (!isRecord(json)) return null;
  for (const key of ['cuda', 'cuda_nvcc']) {
    const section = json[key];
    if (isRecord(section)) {
      const version = numericVersion(stringField(section, 'version'));
      if (version !== null) return version;
    }
  }
  return null;
}

/** The CUDA version from /usr/local/cuda/version.txt ("CUDA Version 10.2.89" → "10.2.89"); null when absent. */
export function parseCudaVersionTxt(text: string): string | null {
  return /CUDA Version\s+(\d+(?:\.\d+)+)/.exec(text)?.[1] ?? null;
}

/** The CUDA version from `nvcc --version` ("…, release 12.6, V12.6.68" → "12.6.68"); null when absent. */
export function parseNvccVersion(text: string): string | null {
  // "Cuda compilation tools, release 12.6, V12.6.68": the V-number is the full one; "release 12.6" is the fallback.
  const full = /\bV(\d+\.\d+\.\d+)\b/.exec(text)?.[1];
  if (full !== undefined) return full;
  return /\brelease\s+(\d+\.\d+)\b/.exec(text)?.[1] ?? null;
}

/** The CUDA runtime version from a libcudart file name ("libcudart.so.12.6.68" → "12.6.68"); null otherwise. */
export function parseCudartFileName(name: string): string | null {
  // Only the fully versioned file names the version; "libcudart.so.12" is a symlink name. A path is accepted.
  const base = name.trim().split('/').pop() ?? '';
  return /^libcudart\.so\.(\d+\.\d+\.\d+(?:\.\d+)*)$/.exec(base)?.[1] ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// Memory and swap (§C.3)
// ---------------------------------------------------------------------------------------------------------------

/** /proc/meminfo as key → bytes ("kB" values × 1024); lines without a unit (HugePages_Total) keep their number. */
export function parseMeminfo(text: string): Record<string, number> {
  const entries: [string, number][] = [];
  for (const line of splitLines(text)) {
    // "MemTotal:        8038788 kB", "Active(anon):    1008140 kB", "NvMapMemUsed:     805068 kB" (JP4–6 only),
    // "HugePages_Total:       0" (a count: no unit).
    const match = /^\s*([^\s:]+):\s*(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    const value = safeInt(match[2]);
    if (value === null) continue;
    // Only HugePages_* counts come without a unit; a unit-less memory line was cut off ("MemAvailable:   125").
    if (match[3] === undefined && !match[1].startsWith('HugePages_')) continue;
    const bytes = match[3] === undefined ? value : value * 1024;
    if (Number.isSafeInteger(bytes)) entries.push([match[1], bytes]);
  }
  // fromEntries defines own properties, so a key such as "__proto__" cannot touch the prototype.
  return Object.fromEntries(entries);
}

/** One active swap area from /proc/swaps. */
export interface SwapArea {
  /** Device or file path, escapes decoded. */
  name: string;
  kind: 'zram' | 'file' | 'partition';
  sizeBytes: number;
  usedBytes: number;
  /** Higher is used first; the kernel gives negative defaults (-2, -3, …). */
  priority: number;
}

/** The swap areas listed in /proc/swaps, sizes in bytes (the file gives KiB). */
export function parseProcSwaps(text: string): SwapArea[] {
  const areas: SwapArea[] = [];
  for (const line of splitLines(text)) {
    // Header "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority" does not match (no numbers). Rows:
    // "/dev/zram0                              partition\t669896\t0\t5" and, for a file, "file\t" with an extra tab:
    // "/mnt/16GB.swap                          file\t\t16777212\t0\t-2".
    const match = /^\s*(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(-?\d+)\s*$/.exec(line);
    if (match === null) continue;
    const [, rawName = '', type = '', sizeKiB = '', usedKiB = '', prio = ''] = match;
    const size = safeInt(sizeKiB);
    const used = safeInt(usedKiB);
    const priority = Number(prio);
    if (size === null || used === null || !Number.isSafeInteger(priority)) continue;
    const sizeBytes = size * 1024;
    const usedBytes = used * 1024;
    if (!Number.isSafeInteger(sizeBytes) || !Number.isSafeInteger(usedBytes)) continue;
    // A space in a swap file's path is printed as "\040": "/mnt/swap\040files/16GB.swap".
    const name = decodeOctalEscapes(rawName);
    // jtop's rule (read_swapon): a name under /dev/zram is zram, whatever the Type column says ("partition").
    const kind = name.startsWith('/dev/zram') ? 'zram' : type === 'file' ? 'file' : 'partition';
    areas.push({ name, kind, sizeBytes, usedBytes, priority });
  }
  return areas;
}

// ---------------------------------------------------------------------------------------------------------------
// Power mode (§C.1)
// ---------------------------------------------------------------------------------------------------------------

/** The current nvpmodel mode. */
export interface NvpmodelMode {
  /** "MAXN", "MAXN_SUPER", "15W", "MODE_30W", "120W". */
  name: string;
  /** The numeric mode id; null when the output does not give it. */
  id: number | null;
}

/** The power mode name and id from `nvpmodel -q`; null when no "NV Power Mode" line is present. */
export function parseNvpmodelQuery(text: string): NvpmodelMode | null {
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    // "NV Power Mode: MAXN" then a line "0"; "NVPM WARN: fan mode is not set!" may come before (jtop's emulator);
    // jetson_release on Thor prints "NV Power Mode[1]: 120W" with the id in brackets (jetson_stats issue #820).
    const match = /^\s*NV Power Mode\s*(?:\[\s*(\d+)\s*\])?\s*:\s*(.*?)\s*$/.exec(lines[i] ?? '');
    if (match === null) continue;
    const name = match[2] ?? '';
    if (name === '') continue;
    if (match[1] !== undefined) return { name, id: safeInt(match[1]) };
    let id: number | null = null;
    for (const next of lines.slice(i + 1)) {
      const idMatch = /^\s*(\d+)\s*$/.exec(next);
      if (idMatch?.[1] !== undefined) {
        id = safeInt(idMatch[1]);
        break;
      }
    }
    return { name, id };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// nvidia-smi (§F)
// ---------------------------------------------------------------------------------------------------------------

/** One GPU as `nvidia-smi --query-gpu=name,memory.total,compute_cap,driver_version` reports it. */
export interface NvidiaSmiGpu {
  name: string;
  /** memory.total in MiB, as nvidia-smi prints it; null when N/A (always on Jetson). */
  memoryTotalMiB: number | null;
  /** "8.7"; null when N/A. */
  computeCapability: string | null;
  /** "540.4.0"; null when N/A. */
  driverVersion: string | null;
}

/** "[N/A]", "[Not Supported]", "[Unknown Error]", "[Insufficient Permissions]", bare "N/A" / "Not Supported". */
function isNotAvailable(field: string): boolean {
  return /^\[.*\]$/.test(field) || /^(?:N\/A|Not Supported)$/i.test(field);
}

/**
 * The GPUs in `nvidia-smi --query-gpu=name,memory.total,compute_cap,driver_version --format=csv,noheader,nounits`
 * output (memory in MiB); lines that are not such rows (a header, the table view, an error) are skipped.
 */
export function parseNvidiaSmiGpuCsv(text: string): NvidiaSmiGpu[] {
  const gpus: NvidiaSmiGpu[] = [];
  for (const line of splitLines(text)) {
    // Orin on JetPack 6: "Orin (nvgpu), [N/A], 8.7, 540.4.0". Fields are ", "-separated; a name holding a comma
    // is rejoined by counting the three fixed fields from the end.
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 4) continue;
    const driverField = fields[fields.length - 1] ?? '';
    const ccField = fields[fields.length - 2] ?? '';
    const memoryField = fields[fields.length - 3] ?? '';
    const name = fields.slice(0, -3).join(', ');
    // With a header ("name, memory.total [MiB], compute_cap, driver_version") the first field is "name".
    if (name === '' || name.toLowerCase() === 'name') continue;
    let memoryTotalMiB: number | null = null;
    if (!isNotAvailable(memoryField)) {
      // Without "nounits" the value reads "7620 MiB".
      const m = /^(\d+(?:\.\d+)?)(?:\s*MiB)?$/.exec(memoryField);
      if (m?.[1] === undefined) continue;
      memoryTotalMiB = Number(m[1]);
      if (!Number.isFinite(memoryTotalMiB)) continue;
    }
    let computeCapability: string | null = null;
    if (!isNotAvailable(ccField)) {
      if (!/^\d+\.\d+$/.test(ccField)) continue;
      computeCapability = ccField;
    }
    let driverVersion: string | null = null;
    if (!isNotAvailable(driverField)) {
      if (!/^\d+(?:\.\d+)*$/.test(driverField)) continue;
      driverVersion = driverField;
    }
    gpus.push({ name, memoryTotalMiB, computeCapability, driverVersion });
  }
  return gpus;
}

// ---------------------------------------------------------------------------------------------------------------
// Docker (§C.5)
// ---------------------------------------------------------------------------------------------------------------

/** What `docker info --format '{{json .}}'` says about the daemon. */
export interface DockerInfo {
  /** "27.5.1"; null when the daemon did not answer (client-only output). */
  serverVersion: string | null;
  /** Runtime names ("io.containerd.runc.v2", "nvidia", "runc"), in the order docker prints them. */
  runtimes: string[];
  defaultRuntime: string | null;
  /** DockerRootDir, e.g. "/var/lib/docker". */
  rootDir: string | null;
  /** ServerErrors, e.g. "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. …". */
  errors: string[];
}

/** The server version, runtimes, default runtime, root dir and server errors from `docker info` JSON; null if not JSON. */
export function parseDockerInfoJson(text: string): DockerInfo | null {
  // When the daemon is unreachable, docker ≥ 22 still prints an (empty) Info object with the connection error in
  // ServerErrors: {"ID":"","Containers":0,…,"ServerVersion":"",…,"ServerErrors":["Cannot connect to the Docker
  // daemon at unix:///var/run/docker.sock. Is the docker daemon running?"]} (docker/cli PR #3594). If stderr was
  // merged in, the error line comes first: the JSON is then found on a line of its own.
  let json = tryJson(text.trim());
  if (!isRecord(json)) {
    json = splitLines(text)
      .map((line) => line.trim())
      .filter((line) => line.startsWith('{'))
      .map(tryJson)
      .find(isRecord);
  }
  if (!isRecord(json)) return null;
  const runtimes = isRecord(json.Runtimes) ? Object.keys(json.Runtimes) : [];
  const errors = Array.isArray(json.ServerErrors)
    ? json.ServerErrors.filter((e): e is string => typeof e === 'string')
    : [];
  return {
    serverVersion: stringField(json, 'ServerVersion'),
    runtimes,
    defaultRuntime: stringField(json, 'DefaultRuntime'),
    rootDir: stringField(json, 'DockerRootDir'),
    errors,
  };
}

/** Why a docker command failed, from its stderr. */
export type DockerErrorKind = 'permission-denied' | 'daemon-down' | 'not-installed' | 'other';

/** The kind of a docker failure from its stderr: no access to the socket, no daemon, no docker, or other. */
export function classifyDockerError(stderr: string): DockerErrorKind {
  // User not in the docker group: "permission denied while trying to connect to the Docker daemon socket at
  // unix:///var/run/docker.sock: …" (older clients: "Got permission denied while trying to connect …").
  if (/permission denied/i.test(stderr)) return 'permission-denied';
  // "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"; a missing
  // socket file ("dial unix /var/run/docker.sock: connect: no such file or directory") also means no daemon.
  if (/cannot connect to the docker daemon|is the docker daemon running|docker\.sock\b.*no such file/i.test(stderr)) {
    return 'daemon-down';
  }
  // bash: "docker: command not found"; dash: "sh: 1: docker: not found"; Ubuntu: "Command 'docker' not found, …";
  // a spawn of a missing binary: "spawn docker ENOENT" / "No such file or directory".
  if (
    /command not found|command '?docker'? not found|\bdocker: not found|no such file or directory|\benoent\b|executable file not found/i.test(
      stderr,
    )
  ) {
    return 'not-installed';
  }
  return 'other';
}

// ---------------------------------------------------------------------------------------------------------------
// User, services, processes, disks (§C.4–C.6)
// ---------------------------------------------------------------------------------------------------------------

/** The group names printed by `id -nG`, in order, without duplicates. */
export function parseIdGroups(text: string): string[] {
  // "nvidia adm cdrom sudo audio dip video plugdev render i2c lpadmin gdm sambashare weston-launch gpio docker"
  return [...new Set(text.split(/\s+/).filter((g) => g !== ''))];
}

/** Unit name → state from `systemctl is-active <units…>` (one state per line, in order); missing → "unknown". */
export function parseSystemctlIsActive(text: string, units: string[]): Record<string, string> {
  // `systemctl is-active gdm3 gdm lightdm sddm` → "active\ninactive\ninactive\ninactive" (a unit that does not
  // exist reads "inactive"). A line that is not a state word (an error merged in) counts as "unknown".
  const states = splitLines(text)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return Object.fromEntries(
    units.map((unit, i): [string, string] => {
      const state = states[i];
      return [unit, state !== undefined && /^[a-z][a-z-]*$/.test(state) ? state : 'unknown'];
    }),
  );
}

/** The default target from `systemctl get-default` ("graphical.target"); null when the output is not a target. */
export function parseSystemctlGetDefault(text: string): string | null {
  const first = splitLines(text).find((line) => line.trim() !== '');
  const target = first?.trim() ?? '';
  return /^[A-Za-z0-9@_.:\\-]+\.target$/.test(target) ? target : null;
}

/** One process from `ps -eo pid=,rss=,comm=,args=`. */
export interface PsProcess {
  pid: number;
  /** Resident set size in bytes (ps prints KiB). */
  rssBytes: number;
  /** Executable name (ps truncates it to 15 characters). */
  comm: string;
  /** The full command line ("[kthreadd]" for kernel threads). */
  args: string;
}

/** The processes in `ps -eo pid=,rss=,comm=,args=` output, RSS in bytes. */
export function parsePs(text: string): PsProcess[] {
  const processes: PsProcess[] = [];
  for (const line of splitLines(text)) {
    // "   2345 812344 gnome-shell     /usr/bin/gnome-shell": pid is right-aligned, comm has no spaces here, args is
    // the rest of the line. A header ("PID RSS COMMAND COMMAND") does not match.
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)(?:\s+(.*?))?\s*$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) continue;
    const pid = safeInt(match[1]);
    const rss = safeInt(match[2]);
    if (pid === null || rss === null || !Number.isSafeInteger(rss * 1024)) continue;
    processes.push({ pid, rssBytes: rss * 1024, comm: match[3], args: match[4] ?? '' });
  }
  return processes;
}

/** One filesystem from `df -B1 --output=source,target,avail,size`. */
export interface DfEntry {
  source: string;
  /** Mount point. */
  target: string;
  availBytes: number;
  sizeBytes: number;
}

/** The filesystems in `df -B1 --output=source,target,avail,size <paths…>` output, in bytes. */
export function parseDf(text: string): DfEntry[] {
  const entries: DfEntry[] = [];
  for (const line of splitLines(text)) {
    // Header: "Filesystem      Mounted on          Avail     1B-blocks" (the size column is titled "1B-blocks").
    // Row: "/dev/nvme0n1p1  /                 412254208000  982141665280". df does not escape spaces in mount
    // points, so the target is everything between the source and the two trailing numbers.
    const match = /^\s*(\S+)\s+(.+?)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined || match[4] === undefined) {
      continue;
    }
    const availBytes = safeInt(match[3]);
    const sizeBytes = safeInt(match[4]);
    if (availBytes === null || sizeBytes === null) continue;
    entries.push({ source: match[1], target: match[2], availBytes, sizeBytes });
  }
  return entries;
}

/** One line of /proc/mounts. */
export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
}

/** The mounts in /proc/mounts (source, mount point, filesystem type), escapes decoded. */
export function parseProcMounts(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of splitLines(text)) {
    // "/dev/nvme0n1p1 /mnt/my\040models ext4 rw,relatime 0 0": a space inside a field is "\040".
    const fields = line.trim().split(/\s+/);
    const [source, target, fstype] = fields;
    if (source === undefined || target === undefined || fstype === undefined || source === '') continue;
    mounts.push({
      source: decodeOctalEscapes(source),
      target: decodeOctalEscapes(target),
      fstype: decodeOctalEscapes(fstype),
    });
  }
  return mounts;
}

// ---------------------------------------------------------------------------------------------------------------
// vLLM and the OS
// ---------------------------------------------------------------------------------------------------------------

/** The vLLM version printed by `vllm --version` ("0.11.2", "0.6.3.post1"); null when no line looks like one. */
export function parseVllmVersionOutput(text: string): string | null {
  // Log lines may come first: "INFO 01-23 10:00:00 [__init__.py:216] Automatically detected platform cuda.\n0.11.2".
  // The version is the last line that is nothing but a version, a local build suffix included
  // ("0.9.1.dev12+g1234abc"); colour codes ("\x1b[0m") are dropped.
  // eslint-disable-next-line no-control-regex
  const ansi = /\x1b\[[0-9;]*[A-Za-z]/g;
  const lines = splitLines(text).map((line) => line.replace(ansi, '').trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = /^v?(\d+\.\d+(?:\.\d+)*(?:[.+-][0-9A-Za-z][0-9A-Za-z.+-]*|[A-Za-z][0-9A-Za-z.+-]*)?)$/.exec(
      lines[i] ?? '',
    );
    if (match?.[1] !== undefined) return match[1];
  }
  return null;
}

/** The distribution fields of /etc/os-release. */
export interface OsRelease {
  /** ID, e.g. "ubuntu". */
  id: string | null;
  /** VERSION_ID, e.g. "22.04". */
  versionId: string | null;
  /** PRETTY_NAME, e.g. "Ubuntu 22.04.5 LTS". */
  prettyName: string | null;
}

/** Unquotes an os-release value: "\"Ubuntu 22.04.5 LTS\"" → "Ubuntu 22.04.5 LTS"; single quotes and bare words too. */
function unquoteShellValue(raw: string): string {
  const value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    // Inside double quotes, os-release(5) allows the shell escapes \" \\ \$ \`.
    return value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  return value;
}

/** ID, VERSION_ID and PRETTY_NAME from /etc/os-release (KEY="value" lines); each null when absent or empty. */
export function parseOsRelease(text: string): OsRelease {
  const values = new Map<string, string>();
  for (const line of splitLines(text)) {
    // 'PRETTY_NAME="Ubuntu 22.04.5 LTS"', 'VERSION_ID="22.04"', 'ID=ubuntu'; "#" lines are comments.
    const match = /^\s*([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    values.set(match[1], unquoteShellValue(match[2]));
  }
  const get = (key: string): string | null => {
    const value = values.get(key);
    return value === undefined || value === '' ? null : value;
  };
  return { id: get('ID'), versionId: get('VERSION_ID'), prettyName: get('PRETTY_NAME') };
}
