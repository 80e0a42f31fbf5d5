#!/usr/bin/env node
// `npm run bench`: wall time of the built CLI against `node -e 0` in the same run (medians of N runs).
// Floors checked: `plan` under 2.5 × `node -e 0` (issue: planning core). Exit 1 when a floor is missed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'bin', 'jetson-vllm.js');
const runs = Number(process.env.BENCH_RUNS ?? 15);

function time(args) {
  const samples = [];
  for (let i = 0; i <= runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0 && r.status !== 1 && r.status !== 3)
      throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i > 0) samples.push(ms); // the first run warms the file cache
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0], max: samples.at(-1) };
}

const cases = [
  ['node -e 0 (floor)', ['-e', '0']],
  ['start-up to first output (--version)', [cli, '--version']],
  [
    'plan, one model (Orin NX, Qwen2-7B GGUF)',
    [cli, 'plan', '--device', 'orin-nx-16gb', '--model', 'qwen2-7b-instruct', '--quant', 'gguf-q4_k_m', '--json'],
  ],
  ['plan, whole catalog (models --device orin-nx-16gb)', [cli, 'models', '--device', 'orin-nx-16gb']],
  [
    'detection + doctor on a fixture root (--root orin-nx-16gb)',
    [cli, 'doctor', '--json', '--root', path.join(root, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62')],
  ],
];
const results = cases.map(([name, args]) => ({ name, ...time(args) }));
const floor = results[0].median;
console.log(`runs per case: ${runs}; node ${process.version}; ${process.platform}/${process.arch}`);
console.log(
  `${'case'.padEnd(52)} ${'median ms'.padStart(10)} ${'min'.padStart(7)} ${'max'.padStart(7)} ${'× node -e 0'.padStart(12)}`,
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(52)} ${r.median.toFixed(1).padStart(10)} ${r.min.toFixed(1).padStart(7)} ${r.max.toFixed(1).padStart(7)} ${(r.median / floor).toFixed(2).padStart(12)}`,
  );
}
const planRatio = results[2].median / floor;
const detectMs = results[4].median;
const floors = [
  [`plan < 2.5 × node -e 0`, planRatio < 2.5, `${planRatio.toFixed(2)} ×`],
  [`detection on a fixture root < 300 ms`, detectMs < 300, `${detectMs.toFixed(1)} ms`],
];
console.log('');
for (const [name, ok, value] of floors) console.log(`floor: ${name} → ${value} ${ok ? 'ok' : 'MISSED'}`);
process.exitCode = floors.every(([, ok]) => ok) ? 0 : 1;
