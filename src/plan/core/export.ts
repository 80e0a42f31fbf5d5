/**
 * `plan --export`: the plan as a docker compose file, a systemd unit or a bash script. Pure.
 * HF_TOKEN is only ever passed by name; no export writes a token value.
 */
import { stringify } from 'yaml';
import { buildCommandLine } from './flags.js';
import type { Plan } from './plan.js';
import { formatGiB } from '../../shared/units.js';

export type ExportFormat = 'compose' | 'systemd' | 'script';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['compose', 'systemd', 'script'];

export interface ExportOptions {
  /** The docker container's name (--name, container_name). */
  containerName: string;
}

export type ExportOutcome = { ok: true; text: string } | { ok: false; message: string };

/** The parts of the plan's `docker run` argv (as buildDockerArgv writes it). */
interface DockerParts {
  runtime: string | null;
  network: string | null;
  shmSize: string | null;
  volumes: string[];
  environment: string[];
  image: string;
  /** What follows the image: `vllm serve …`. */
  command: string[];
}

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function buildExport(plan: Plan, format: ExportFormat, options: ExportOptions): ExportOutcome {
  const name = options.containerName;
  if (plan.dockerArgv !== null && !DOCKER_NAME.test(name))
    return { ok: false, message: `"${name}" is not a valid docker container name` };
  switch (format) {
    case 'compose':
      return buildCompose(plan, name);
    case 'systemd':
      return buildSystemd(plan, name);
    case 'script':
      return buildScript(plan, name);
  }
}

/** The port `vllm serve` listens on: --port from the argv, else vLLM's default 8000. */
export function servePort(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = a === '--port' ? argv[i + 1] : a.startsWith('--port=') ? a.slice('--port='.length) : undefined;
    if (value !== undefined && /^\d+$/.test(value)) return Number(value);
  }
  return 8000;
}

function parseDockerArgv(argv: readonly string[]): DockerParts | string {
  if (argv[0] !== 'docker' || argv[1] !== 'run') return 'the docker command is not `docker run`';
  const parts: DockerParts = {
    runtime: null,
    network: null,
    shmSize: null,
    volumes: [],
    environment: [],
    image: '',
    command: [],
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--rm' || a === '-it' || a === '-i' || a === '-t') continue;
    if (!a.startsWith('-')) {
      parts.image = a;
      parts.command = argv.slice(i + 1);
      return parts;
    }
    const value = argv[i + 1];
    if (value === undefined) return `docker option ${a} has no value`;
    i++;
    if (a === '--runtime') parts.runtime = value;
    else if (a === '--network') parts.network = value;
    else if (a === '--shm-size') parts.shmSize = value;
    else if (a === '-v' || a === '--volume') parts.volumes.push(value);
    else if (a === '-e' || a === '--env') parts.environment.push(value);
    else if (a === '--name')
      continue; // the export names its container itself (container_name)
    else return `docker option ${a} has no docker compose equivalent here`;
  }
  return 'the docker command names no image';
}

/** Never a token value: `HF_TOKEN=…` is reduced to the name (passed from the environment). */
function safeEnv(entry: string): string {
  return /^HF_TOKEN=/.test(entry) || /^HUGGING_FACE_HUB_TOKEN=/.test(entry) ? (entry.split('=')[0] ?? entry) : entry;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function header(plan: Plan): string[] {
  return [
    `jetson-vllm plan: ${oneLine(plan.model.name)} (${oneLine(plan.quant.id)}) on ${oneLine(plan.device.name)}`,
    `vLLM ${plan.vllm.version}, ${plan.runtime}${plan.image !== null ? ` (${plan.image})` : ''}`,
    `verdict: ${plan.verdict}; predicted total ${formatGiB(plan.budget.totalBytes)} of ${formatGiB(plan.budget.limitBytes)}`,
  ];
}

function buildCompose(plan: Plan, name: string): ExportOutcome {
  if (plan.dockerArgv === null)
    return {
      ok: false,
      message:
        'a docker compose file needs a docker plan; this plan runs vLLM natively (use --runtime docker, or --export systemd|script)',
    };
  const parts = parseDockerArgv(plan.dockerArgv);
  if (typeof parts === 'string') return { ok: false, message: `cannot write a compose file: ${parts}` };
  const port = servePort(plan.argv);
  const shm = parts.shmSize ?? '8g';
  const service: Record<string, unknown> = {
    image: parts.image,
    container_name: name,
    runtime: parts.runtime ?? 'nvidia',
    network_mode: parts.network ?? 'host',
    shm_size: /^\d+[kmg]$/i.test(shm) ? `${shm}b` : shm,
    volumes: parts.volumes,
    environment: parts.environment.map(safeEnv),
    command: parts.command,
    restart: 'unless-stopped',
    healthcheck: {
      test: ['CMD', 'curl', '-fsS', `http://localhost:${port}/health`],
      interval: '30s',
      timeout: '5s',
      retries: 3,
      // Loading and profiling a model on a Jetson takes minutes.
      start_period: '10m',
    },
  };
  const comments = [
    ...header(plan),
    'HF_TOKEN is passed by name: set it in your shell or in a .env file next to this file.',
    'Start: docker compose up -d',
  ];
  const yaml = stringify({ services: { vllm: service } }, { lineWidth: 0 });
  return { ok: true, text: `${comments.map((c) => `# ${c}`).join('\n')}\n${yaml}` };
}

/** Quotes one ExecStart argument for systemd: `$` → `$$`, `%` → `%%`, double quotes where needed. */
export function quoteSystemdArg(arg: string): string {
  const specifiers = (s: string): string => s.replace(/\$/g, '$$$$').replace(/%/g, '%%');
  if (/^[\w@%$+=:,./-]+$/.test(arg)) return specifiers(arg);
  const escaped = arg
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `"${specifiers(escaped)}"`;
}

/** The `docker run` argv for an unattended container: named, no -it, and (optionally) no --rm. */
function unattendedDockerArgv(argv: readonly string[], name: string, keepRm: boolean): string[] {
  const rest = argv.slice(2);
  const imageAt = rest.findIndex((a, i) => !a.startsWith('-') && !isOptionValue(rest, i));
  const options = imageAt < 0 ? rest : rest.slice(0, imageAt);
  const tail = imageAt < 0 ? [] : rest.slice(imageAt);
  // The plan's own --name gives way to the export's.
  const unnamed = options.filter((a, i) => a !== '--name' && options[i - 1] !== '--name');
  const kept = unnamed
    .map((a, i) => (unnamed[i - 1] === '-e' || unnamed[i - 1] === '--env' ? safeEnv(a) : a))
    .filter((a) => a !== '-it' && (keepRm || a !== '--rm'));
  return ['docker', 'run', ...kept, '--name', name, ...tail];
}

function isOptionValue(args: readonly string[], i: number): boolean {
  const prev = args[i - 1];
  return prev !== undefined && prev.startsWith('-') && !['--rm', '-it', '-i', '-t'].includes(prev);
}

function buildSystemd(plan: Plan, name: string): ExportOutcome {
  const isDocker = plan.dockerArgv !== null;
  const argv = isDocker ? unattendedDockerArgv(plan.dockerArgv ?? [], name, false) : [...plan.argv];
  if (isDocker) argv[0] = '/usr/bin/docker';
  const lines = [
    ...header(plan).map((c) => `# ${c}`),
    `# Install: save as /etc/systemd/system/${isDocker ? name : 'vllm'}.service, then`,
    `#   systemctl daemon-reload && systemctl enable --now ${isDocker ? name : 'vllm'}`,
    '[Unit]',
    `Description=vLLM ${oneLine(plan.model.name)} (jetson-vllm plan, ${plan.verdict})`,
    'Wants=network-online.target',
    isDocker ? 'After=network-online.target docker.service' : 'After=network-online.target',
    ...(isDocker ? ['Requires=docker.service'] : []),
    '# Any other failure: at most 3 starts in 10 minutes, then systemd gives up (systemctl status says why).',
    'StartLimitIntervalSec=600',
    'StartLimitBurst=3',
    '',
    '[Service]',
    'Type=simple',
    '# Never write a token here: put the HF_TOKEN line in a root-only file (chmod 600) and load it with',
    '# EnvironmentFile=/etc/jetson-vllm/vllm.env',
    '# Environment=HF_TOKEN=',
    ...(isDocker
      ? [`ExecStartPre=-/usr/bin/docker rm -f ${name}`]
      : ["# vllm must be on systemd's PATH (or give its absolute path); relative model paths need WorkingDirectory="]),
    `ExecStart=${argv.map(quoteSystemdArg).join(' ')}`,
    ...(isDocker ? [`ExecStop=/usr/bin/docker stop -t 30 ${name}`] : []),
    'Restart=on-failure',
    '# Not after an OOM kill (exit 137, SIGKILL; docker run exits 137 too): the same plan would be killed again,',
    `# in a loop. Read why with: journalctl -u ${isDocker ? name : 'vllm'} | jetson-vllm diagnose -`,
    'RestartPreventExitStatus=137 SIGKILL',
    'RestartSec=10',
    'TimeoutStartSec=0',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ];
  return { ok: true, text: `${lines.join('\n')}\n` };
}

function buildScript(plan: Plan, name: string): ExportOutcome {
  let command: string;
  if (plan.dockerArgv !== null) {
    const argv = unattendedDockerArgv(plan.dockerArgv, name, true);
    // -it only when stdin is a terminal (not under cron, ssh without a tty, …).
    command = `docker run \${IT:+"$IT"} ${buildCommandLine(argv.slice(2))}`;
  } else {
    command = buildCommandLine(plan.argv);
  }
  const lines = [
    '#!/usr/bin/env bash',
    ...header(plan).map((c) => `# ${c}`),
    '# HF_TOKEN is read from the environment (export it first for gated models); never write it here.',
    'set -euo pipefail',
    ...(plan.dockerArgv !== null ? ['[ -t 0 ] && IT=-it || IT='] : []),
    `exec ${command}`,
  ];
  return { ok: true, text: `${lines.join('\n')}\n` };
}
