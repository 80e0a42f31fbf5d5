import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildExport, quoteSystemdArg, servePort, type ExportFormat } from '../../../src/plan/core/export.js';
import type { Plan } from '../../../src/plan/core/plan.js';
import { planFor } from '../../helpers/catalog.js';

const base = { device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m', vllmVersion: '0.6.3' };
const dockerPlan = planFor(base);
const nativePlan = planFor({ ...base, runtime: 'native' });
const NAME = 'jetson-vllm';

function text(plan: Plan, format: ExportFormat): string {
  const out = buildExport(plan, format, { containerName: NAME });
  if (!out.ok) throw new Error(out.message);
  return out.text;
}

function bashSyntaxOk(script: string): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'jetson-vllm-export-'));
  try {
    const file = path.join(dir, 'run.sh');
    writeFileSync(file, script);
    execFileSync('bash', ['-n', file], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The planner's share: weights + rotary cache + max(forward, sampler) + non-torch increase + 2048 blocks of 8192 × 4
// tokens, over MemTotal, rounded up to a hundredth (0.52 before activations became max(F, S) + workspace).
const SERVE =
  'vllm serve /models/qwen2-7b-instruct-q4_k_m.gguf --tokenizer Qwen/Qwen2-7B-Instruct --max-model-len 8192' +
  ' --max-num-seqs 4 --gpu-memory-utilization 0.49 --swap-space 0 --num-gpu-blocks-override 2048 --enforce-eager';

describe('the plans under test', () => {
  it('are one docker plan and one native plan', () => {
    expect(dockerPlan.dockerArgv).not.toBeNull();
    expect(dockerPlan.argv.join(' ')).toBe(SERVE);
    expect(nativePlan.dockerArgv).toBeNull();
  });
});

describe('compose', () => {
  it('parses back with the exact service and healthcheck', () => {
    const doc = parse(text(dockerPlan, 'compose')) as { services: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.services)).toEqual(['vllm']);
    const svc = doc.services.vllm;
    expect(svc).toEqual({
      image: 'dustynv/vllm:0.6.3-r36.4.0',
      container_name: NAME,
      runtime: 'nvidia',
      network_mode: 'host',
      shm_size: '8gb',
      volumes: ['/hf:/data/models/huggingface', '/work:/models:ro'],
      environment: ['HF_HOME=/data/models/huggingface', 'HF_TOKEN'],
      command: dockerPlan.argv,
      restart: 'unless-stopped',
      healthcheck: {
        test: ['CMD', 'curl', '-fsS', 'http://localhost:8000/health'],
        interval: '30s',
        timeout: '5s',
        retries: 3,
        start_period: '10m',
      },
    });
  });

  it('checks the health on the planned port', () => {
    const plan = planFor({ ...base, port: '8123' });
    const doc = parse(text(plan, 'compose')) as { services: { vllm: { healthcheck: { test: string[] } } } };
    expect(doc.services.vllm.healthcheck.test).toEqual(['CMD', 'curl', '-fsS', 'http://localhost:8123/health']);
    expect(servePort(['vllm', 'serve', 'm'])).toBe(8000);
  });

  it('is refused for a native plan, with a clear message', () => {
    const out = buildExport(nativePlan, 'compose', { containerName: NAME });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.message).toMatch(/docker plan.*natively/);
  });
});

describe('systemd', () => {
  it('runs the named container without -it/--rm and stops it', () => {
    const unit = text(dockerPlan, 'systemd');
    const lines = unit.split('\n');
    const docker =
      '/usr/bin/docker run --runtime nvidia --network host --shm-size 8g -v /hf:/data/models/huggingface' +
      ' -e HF_HOME=/data/models/huggingface -e HF_TOKEN -v /work:/models:ro --name jetson-vllm dustynv/vllm:0.6.3-r36.4.0';
    expect(lines).toContain(`ExecStart=${docker} ${SERVE}`);
    expect(lines).toContain(`ExecStartPre=-/usr/bin/docker rm -f ${NAME}`);
    expect(lines).toContain(`ExecStop=/usr/bin/docker stop -t 30 ${NAME}`);
    expect(unit).not.toMatch(/ -it |--rm/);
    for (const l of [
      '[Unit]',
      `Description=vLLM ${dockerPlan.model.name} (jetson-vllm plan, ${dockerPlan.verdict})`,
      'After=network-online.target docker.service',
      '[Service]',
      'Type=simple',
      'Restart=on-failure',
      'RestartSec=10',
      'TimeoutStartSec=0',
      '# Environment=HF_TOKEN=',
      '[Install]',
      'WantedBy=multi-user.target',
    ])
      expect(lines).toContain(l);
  });

  it('does not restart an OOM-killed vLLM in a loop, and says why; other failures hit a start limit', () => {
    for (const plan of [dockerPlan, nativePlan]) {
      const unit = text(plan, 'systemd');
      const lines = unit.split('\n');
      expect(lines).toContain('RestartPreventExitStatus=137 SIGKILL');
      expect(unit).toMatch(/# Not after an OOM kill \(exit 137, SIGKILL.*\): the same plan would be killed again,/);
      expect(unit).toMatch(/jetson-vllm diagnose -/);
      // StartLimit* belong to [Unit]: in [Service] systemd ignores them.
      const unitSection = unit.slice(unit.indexOf('[Unit]'), unit.indexOf('[Service]'));
      expect(unitSection).toContain('StartLimitIntervalSec=600');
      expect(unitSection).toContain('StartLimitBurst=3');
    }
  });

  it('runs vllm serve directly for a native plan', () => {
    const lines = text(nativePlan, 'systemd').split('\n');
    expect(lines).toContain(`ExecStart=${nativePlan.argv.join(' ')}`);
    expect(lines.some((l) => l.includes('docker') && !l.startsWith('#'))).toBe(false);
  });

  it('quotes arguments the systemd way', () => {
    expect(quoteSystemdArg('--max-model-len')).toBe('--max-model-len');
    expect(quoteSystemdArg('a b')).toBe('"a b"');
    expect(quoteSystemdArg('$HOME')).toBe('$$HOME');
    expect(quoteSystemdArg('50%')).toBe('50%%');
    expect(quoteSystemdArg('say "hi" $x')).toBe('"say \\"hi\\" $$x"');
    expect(quoteSystemdArg('')).toBe('""');
  });
});

describe('script', () => {
  it('is valid bash and execs the named container, -it only on a terminal', () => {
    const script = text(dockerPlan, 'script');
    bashSyntaxOk(script);
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/usr/bin/env bash');
    expect(lines).toContain('set -euo pipefail');
    expect(lines).toContain('[ -t 0 ] && IT=-it || IT=');
    expect(lines).toContain(
      'exec docker run ${IT:+"$IT"} --rm --runtime nvidia --network host --shm-size 8g' +
        ' -v /hf:/data/models/huggingface -e HF_HOME=/data/models/huggingface -e HF_TOKEN -v /work:/models:ro' +
        ` --name jetson-vllm dustynv/vllm:0.6.3-r36.4.0 ${SERVE}`,
    );
    expect(script).toContain(`# verdict: ${dockerPlan.verdict}`);
    expect(script).toContain('GiB');
    expect(script).toContain(dockerPlan.device.name);
    expect(script).toContain(dockerPlan.quant.id);
    expect(script).toContain(`vLLM ${dockerPlan.vllm.version}`);
  });

  it('execs vllm serve for a native plan', () => {
    const script = text(nativePlan, 'script');
    bashSyntaxOk(script);
    expect(script.split('\n')).toContain(`exec ${nativePlan.command}`);
  });
});

describe('HF_TOKEN', () => {
  it('never appears with a value', () => {
    for (const plan of [dockerPlan, nativePlan])
      for (const format of ['compose', 'systemd', 'script'] as const) {
        const out = buildExport(plan, format, { containerName: NAME });
        if (out.ok) expect(out.text).not.toMatch(/HF_TOKEN=\S/);
      }
  });

  it('is reduced to its name even when the docker argv carries a value', () => {
    const leaky: Plan = {
      ...dockerPlan,
      dockerArgv: (dockerPlan.dockerArgv ?? []).map((a) => (a === 'HF_TOKEN' ? 'HF_TOKEN=hf_secret' : a)),
    };
    for (const format of ['compose', 'systemd', 'script'] as const) {
      const out = buildExport(leaky, format, { containerName: NAME });
      expect(out.ok).toBe(true);
      if (out.ok) expect(out.text).not.toContain('hf_secret');
    }
  });
});
