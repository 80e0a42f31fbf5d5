/**
 * The live panel at 80×24 on a real tegrastats line of each board generation in test/fixtures/recorded (TX1, TX2,
 * Nano, Xavier, Xavier NX JetPack 5, AGX Orin and Orin Nano JetPack 6, AGX Orin JetPack 7.2, AGX Thor JetPack 7.2): every
 * line fits,
 * every power rail shows, the active engines and the GPU memory show, placeholder temperatures do not; the words
 * for memory above the plan; the replay header keeps the end-of-file message at 80 columns.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { recordedPath } from '../../helpers/recorded.js';
import { createPanelState, describeAbovePlan, panelReducer, renderPanel } from '../../../src/monitor/core/panel.js';
import { parseTegrastatsLine } from '../../../src/monitor/core/tegrastats.js';
import type { Sample, VllmMetrics } from '../../../src/monitor/core/sample.js';

const records = JSON.parse(readFileSync(recordedPath('tegrastats.json'), 'utf8')) as {
  device: string;
  jetpack_or_l4t: string | null;
  line: string;
}[];

function sampleOf(line: string): Sample {
  const r = parseTegrastatsLine(line);
  if (r.kind !== 'stats') throw new Error(`not stats: ${line}`);
  return r.sample;
}

const metrics: VllmMetrics = {
  isHealthy: true,
  running: 1,
  waiting: 0,
  kvCacheUsage: 0.4,
  kvCacheUsedBytes: 0.7 * 1024 ** 3,
  promptTokensPerSec: 40,
  generationTokensPerSec: 12,
  ttftSeconds: 0.3,
};

const GiB = 1024 ** 3;

/** The panel after two samples of the line (so the RAM history shows), a server poll, and a plan. */
function panelOf(line: string, over: { predictedBytes?: number | null; gpuMemBytes?: number | null } = {}): string[] {
  const sample = sampleOf(line);
  let s = createPanelState({
    source: 'tegrastats',
    sourceLabel: 'tegrastats',
    serverUrl: 'http://127.0.0.1:8000',
    predictedBytes: over.predictedBytes ?? null,
    intervalMs: 1000,
  });
  for (let i = 0; i < 2; i++)
    s = panelReducer(s, { type: 'sampleReceived', sample, gpuMemBytes: over.gpuMemBytes ?? 2.5 * GiB, fanPct: 40 });
  s = panelReducer(s, { type: 'serverPolled', metrics });
  return renderPanel(s, { columns: 80, rows: 24, isColor: false });
}

describe.each(records.map((r) => ({ name: `${r.device} (${r.jetpack_or_l4t ?? 'JetPack ?'})`, line: r.line })))(
  'the panel at 80×24 on $name',
  ({ line }) => {
    const sample = sampleOf(line);
    const lines = panelOf(line);
    const text = lines.join('\n');

    it('fits: at most 24 lines of at most 80 columns, the key hints last', () => {
      expect(lines.length).toBeLessThanOrEqual(24);
      for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
      expect(lines.at(-1)).toContain('q quit');
    });

    it('shows every power rail but the input (the total) and the not-connected ones', () => {
      const input = ['VDD_IN', 'POM_5V_IN', 'VIN'].find((n) => n in sample.power);
      for (const [name, rail] of Object.entries(sample.power)) {
        if (name === input || /^NC(#\d+)?$/.test(name)) continue;
        const short = name.replace(/^(VDD_|POM_5V_|VIN_)/, '');
        expect(text).toContain(`${short} ${(rail.nowMW / 1000).toFixed(1)}`);
      }
    });

    it('shows the GPU memory (NvMap), the fan, the RAM history, and the vLLM figures', () => {
      expect(text).toMatch(/GiB GPU 2\.5G/);
      expect(text).toContain('FAN 40%');
      expect(text).toMatch(/RAM, last 2 samples/);
      expect(text).toContain('KV cache 40%');
      expect(text).not.toContain('vLLM RSS');
    });

    it('shows the active engines (not APE, not the ones off) and no placeholder temperature', () => {
      for (const [name, e] of Object.entries(sample.engines)) {
        if (name === 'APE') continue;
        if (e.state === 'on') expect(text).toMatch(new RegExp(`^ENG .*\\b${name}\\b`, 'm'));
        else expect(text).not.toMatch(new RegExp(`\\b${name}\\b`));
      }
      expect(text).not.toContain('PMIC 100');
      expect(text).not.toMatch(/\bNC(#\d+)? /);
      // The whole RAM line, with the plan's mark, fits.
      expect(panelOf(line, { predictedBytes: 3 * GiB }).join('\n')).toMatch(/▲plan 3\.0G$/m);
      expect(text).toMatch(sample.swap === null ? /^SWAP N\/A$/m : /^SWAP \[/m);
    });
  },
);

describe('the panel at 80×24 on a Jetson AGX Thor (JetPack 7.2)', () => {
  const thor = records.find((r) => r.line.includes('VDD_CPU_SOC_MSS'));
  if (thor === undefined) throw new Error('the AGX Thor line is missing');
  // JetPack 7 has no NvMapMemUsed: the GPU memory figure is vLLM's own, from nvidia-smi's per-process query.
  let s = createPanelState({
    source: 'tegrastats',
    sourceLabel: 'tegrastats',
    serverUrl: 'http://127.0.0.1:8000',
    predictedBytes: 40 * GiB,
    intervalMs: 1000,
  });
  for (let i = 0; i < 2; i++)
    s = panelReducer(s, { type: 'sampleReceived', sample: sampleOf(thor.line), gpuMemBytes: null, fanPct: null });
  s = panelReducer(s, { type: 'serverPolled', metrics });
  s = panelReducer(s, {
    type: 'vllmGpuShareMeasured',
    share: { kind: 'bytes', bytes: 30 * GiB, from: 'nvidia-smi' },
  });
  const lines = renderPanel(s, { columns: 80, rows: 24, isColor: false });
  const text = lines.join('\n');

  it('fits, with every rail in a compact row beside the VIN total', () => {
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    expect(text).toMatch(/^PWR {2}87\.4 W \(avg 43\.7 W\) {2}GPU 37\.5 CPU_SOC_MSS 19\.0 SYS_5V0 18\.3$/m);
  });

  it("shows vLLM's GPU memory (nvidia-smi per process), the RAM of 122.8 GiB and the plan's mark", () => {
    expect(text).toContain('     vLLM GPU 30.0 GiB (nvidia-smi per process)');
    expect(text).toMatch(/^RAM {2}\[.*\] 35\.7\/122\.8 GiB ▲plan 40\.0G$/m);
    // No NvMap on JetPack 7: no board GPU figure is made up.
    expect(text).not.toMatch(/GiB GPU \d/);
  });

  it('no GR3D_FREQ: GPU load N/A (not 0%); the real sensors only, hottest first; no engines row', () => {
    expect(text).toMatch(/^GPU {2}N\/A/m);
    expect(text).toContain('Temp tj 63.3°C soc345 63.3°C gpu 62.9°C');
    expect(text).not.toMatch(/^ENG /m);
    expect(text).not.toContain('PMIC');
  });
});

describe('memory above the plan', () => {
  it('says by how much, in words, once RAM in use passes the prediction', () => {
    expect(describeAbovePlan(5.5 * GiB, 4.3 * GiB)).toBe(
      '▲ RAM in use is 1.2 GiB above the plan (5.5 GiB used, 4.3 GiB planned)',
    );
    expect(describeAbovePlan(4 * GiB, 4.3 * GiB)).toBeNull();
    expect(describeAbovePlan(4 * GiB, null)).toBeNull();
    // The Orin Nano line uses 3162 MiB: a plan of 2 GiB is passed by 1.1 GiB.
    const orinNano = records.find((r) => r.line.includes('RAM 3162/7620MB'));
    if (orinNano === undefined) throw new Error('the Orin Nano line is missing');
    const text = panelOf(orinNano.line, { predictedBytes: 2 * GiB }).join('\n');
    expect(text).toContain('▲ RAM in use is 1.1 GiB above the plan (3.1 GiB used, 2.0 GiB planned)');
    expect(panelOf(orinNano.line, { predictedBytes: 6 * GiB }).join('\n')).not.toContain('above the plan');
  });
});

describe('the replay header at 80 columns', () => {
  it('shortens the file name first and keeps the end-of-file message', () => {
    const file = '/home/jetson/logs/2026-12-05-overnight-qwen2-7b-gguf-q4_k_m-tegrastats-recording.log';
    let s = createPanelState({
      source: 'replay',
      sourceLabel: `replay of ${file}`,
      serverUrl: null,
      predictedBytes: null,
      intervalMs: 1000,
    });
    s = panelReducer(s, { type: 'sampleReceived', sample: { ...sampleOf(records[0]?.line ?? ''), source: 'replay' } });
    s = panelReducer(s, { type: 'sourceEnded', why: 'end of the replayed file' });
    const header = renderPanel(s, { columns: 80, rows: 24, isColor: false })[0] ?? '';
    expect([...header].length).toBeLessThanOrEqual(80);
    expect(header).toContain('stopped: end of the replayed file');
    expect(header).toContain('REPLAY');
    expect(header).toMatch(/replay of …\S*\.log stopped/);
    // Wide enough, nothing is shortened.
    const wide = renderPanel(s, { columns: 200, rows: 24, isColor: false })[0] ?? '';
    expect(wide).toContain(file);
  });
});
