/** The live panel's reducer and text, in each of its states (plain text: colour off). */
import { describe, expect, it } from 'vitest';
import {
  buildBar,
  buildSparkline,
  createPanelState,
  panelReducer,
  renderPanel,
  truncateVisible,
  type PanelState,
} from '../../../src/monitor/core/panel.js';
import { parseTegrastatsLine } from '../../../src/monitor/core/tegrastats.js';
import type { Sample, VllmMetrics } from '../../../src/monitor/core/sample.js';

// The Orin Nano 8 GB JetPack 6 line of test/fixtures/recorded/tegrastats.json.
const ORIN_NANO =
  '12-23-2024 22:54:11 RAM 3162/7620MB (lfb 4x2MB) SWAP 0/3810MB (cached 0MB) CPU [1%@729,0%@729,0%@729,0%@729,off,off] GR3D_FREQ 1% cpu@62.843C soc2@61.968C soc0@60.625C gpu@61.687C tj@62.843C soc1@61.687C VDD_IN 3913mW/3922mW VDD_CPU_GPU_CV 598mW/598 VDD_SOC 1238mW/1237mW';

function sampleOf(line: string): Sample {
  const r = parseTegrastatsLine(line);
  if (r.kind !== 'stats') throw new Error('not stats');
  return r.sample;
}

const metrics: VllmMetrics = {
  isHealthy: true,
  running: 2,
  waiting: 1,
  kvCacheUsage: 0.25,
  kvCacheUsedBytes: 0.5 * 1024 ** 3,
  promptTokensPerSec: 40,
  generationTokensPerSec: 12.5,
  ttftSeconds: 0.2,
};

const base = (over: Partial<Parameters<typeof createPanelState>[0]> = {}): PanelState =>
  createPanelState({
    source: 'tegrastats',
    sourceLabel: 'tegrastats',
    serverUrl: 'http://localhost:8000',
    predictedBytes: null,
    intervalMs: 1000,
    ...over,
  });
const text = (s: PanelState, columns = 80, rows = 24): string =>
  renderPanel(s, { columns, rows, isColor: false }).join('\n');

describe('panel states', () => {
  it('all data: RAM, swap, cores with off ones, GPU, temperatures, input power, vLLM figures', () => {
    let s = panelReducer(base({ predictedBytes: 6 * 1024 ** 3 }), {
      type: 'sampleReceived',
      sample: sampleOf(ORIN_NANO),
    });
    s = panelReducer(s, { type: 'serverPolled', metrics });
    const t = text(s);
    expect(t).toContain('RAM  [');
    expect(t).toContain('3.1/7.4 GiB');
    expect(t).toContain('▲plan 6.0G');
    expect(t).toContain('SWAP [');
    expect(t).toMatch(/CPU {2}0% avg, 4\/6 on @729 MHz {2}\[1 0 0 0 off off\]/);
    expect(t).toContain('GPU  1% @ N/A');
    expect(t).toContain('tj 62.8°C');
    expect(t).toContain('PWR  3.9 W (avg 3.9 W)');
    expect(t).toContain('● healthy  running 2  waiting 1  KV cache 25% (0.50 GiB)  TTFT 0.20 s');
    expect(t).toContain('prompt 40.0 tok/s');
    expect(t).toContain('gen 12.5 tok/s');
    expect(t).toContain('p pause  l log  q quit');
    for (const line of renderPanel(s, { columns: 80, rows: 24, isColor: false }))
      expect([...line].length).toBeLessThanOrEqual(80);
  });

  it("vLLM's GPU share at 80×24: its figure and source under the vLLM lines, 'needs root' where unreadable, never an RSS of 0", () => {
    let s = panelReducer(base({ predictedBytes: 6 * 1024 ** 3 }), {
      type: 'sampleReceived',
      sample: sampleOf(ORIN_NANO),
      gpuMemBytes: 3.5 * 1024 ** 3,
    });
    s = panelReducer(s, { type: 'serverPolled', metrics });
    // CUDA memory is not RSS: a tiny RSS is not shown as if vLLM used nothing.
    s = panelReducer(s, { type: 'vllmRssMeasured', bytes: 10 * 1024 ** 2 });
    expect(text(s)).not.toMatch(/vLLM( RSS)? 0\.0G/);
    expect(text(s)).not.toContain('vLLM GPU');
    const measured = panelReducer(s, {
      type: 'vllmGpuShareMeasured',
      share: { kind: 'bytes', bytes: 3.2 * 1024 ** 3, from: 'nvidia-smi' },
    });
    const lines = renderPanel(measured, { columns: 80, rows: 24, isColor: false });
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    const healthy = lines.findIndex((l) => l.includes('● healthy'));
    expect(lines.slice(healthy).join('\n')).toContain('     vLLM GPU 3.2 GiB (nvidia-smi per process)');
    expect(lines.at(-1)).toBe('p pause  l log  q quit');
    const nvmap = panelReducer(s, {
      type: 'vllmGpuShareMeasured',
      share: { kind: 'bytes', bytes: 2 * 1024 ** 3, from: 'nvmap' },
    });
    expect(text(nvmap)).toContain('vLLM GPU 2.0 GiB (nvmap clients)');
    const denied = panelReducer(s, { type: 'vllmGpuShareMeasured', share: { kind: 'needsRoot' } });
    expect(text(denied)).toContain('vLLM GPU share: needs root (nvmap clients are in debugfs)');
    // Measured as unknown again (vLLM restarted): the row goes.
    expect(text(panelReducer(denied, { type: 'vllmGpuShareMeasured', share: null }))).not.toContain('vLLM GPU');
  });

  it('no GPU data: N/A, never 0', () => {
    const sample: Sample = { ...sampleOf(ORIN_NANO), gpu: null, emc: null };
    const t = text(panelReducer(base(), { type: 'sampleReceived', sample }));
    expect(t).toContain('GPU  N/A');
    expect(t).toContain('EMC  N/A');
  });

  it('no vLLM server given', () => {
    const t = text(panelReducer(base({ serverUrl: null }), { type: 'sampleReceived', sample: sampleOf(ORIN_NANO) }));
    expect(t).toContain('vLLM no server given (--url)');
  });

  it('vLLM down: said so, the rest stays', () => {
    let s = panelReducer(base(), { type: 'sampleReceived', sample: sampleOf(ORIN_NANO) });
    s = panelReducer(s, { type: 'serverUnreachable', why: 'connection refused' });
    const t = text(s);
    expect(t).toContain('vLLM ● down http://localhost:8000: connection refused');
    expect(t).toContain('RAM  [');
  });

  it('replay: labelled as recorded data', () => {
    const s = panelReducer(base({ source: 'replay', sourceLabel: 'replay of x.log' }), {
      type: 'sampleReceived',
      sample: { ...sampleOf(ORIN_NANO), source: 'replay' },
    });
    expect(text(s).split('\n')[0]).toMatch(
      /^ REPLAY \(recorded data\) {2}jetson-vllm · replay of x\.log · 2024-12-23 22:54:11/,
    );
  });

  it('tegrastats died: said so, the last sample and vLLM stay', () => {
    let s = panelReducer(base(), { type: 'sampleReceived', sample: sampleOf(ORIN_NANO) });
    s = panelReducer(s, { type: 'serverPolled', metrics });
    s = panelReducer(s, { type: 'sourceEnded', why: 'tegrastats exited (code 1)' });
    const t = text(s);
    expect(t.split('\n')[0]).toContain('tegrastats stopped: tegrastats exited (code 1)');
    expect(t).toContain('● healthy');
  });

  it('waiting for the first sample', () => {
    expect(text(base())).toContain('Waiting for the first sample…');
  });

  it('pause holds the data still; l shows the log tail', () => {
    let s = panelReducer(base(), { type: 'sampleReceived', sample: sampleOf(ORIN_NANO) });
    s = panelReducer(s, { type: 'pauseToggled' });
    const before = s.latest;
    s = panelReducer(s, {
      type: 'sampleReceived',
      sample: { ...sampleOf(ORIN_NANO), ram: { usedMiB: 7000, totalMiB: 7620 } },
    });
    expect(s.latest).toBe(before);
    expect(text(s)).toContain('PAUSED');
    s = panelReducer(s, { type: 'logLineReceived', line: 'INFO: Application startup complete.' });
    s = panelReducer(s, { type: 'logToggled' });
    expect(text(s)).toContain('INFO: Application startup complete.');
  });

  it('wider terminals show more (all rails)', () => {
    const s = panelReducer(base(), { type: 'sampleReceived', sample: sampleOf(ORIN_NANO) });
    expect(text(s, 80)).not.toContain('VDD_SOC');
    expect(text(s, 120, 40)).toContain('VDD_SOC 1.2W');
  });

  it('keeps 60 samples of GPU history', () => {
    let s = base();
    for (let i = 0; i < 75; i++)
      s = panelReducer(s, {
        type: 'sampleReceived',
        sample: { ...sampleOf(ORIN_NANO), gpu: { loadPct: i, freqMHz: 305 } },
      });
    expect(s.gpuLoad).toHaveLength(60);
    expect(s.gpuLoad[0]).toBe(15);
  });
});

describe('pieces', () => {
  it('sparkline scales and keeps gaps', () => {
    expect(buildSparkline([0, 50, 100, null], 10, 100)).toBe('▁▅█ ');
  });
  it('bar fills its share and marks the prediction', () => {
    expect(buildBar(5, 10, 10)).toBe('█████·····');
    expect(buildBar(5, 10, 10, [{ at: 8, ch: '▲' }])).toBe('█████··▲··');
  });
  it('truncation counts visible characters only', () => {
    expect(truncateVisible('\u001b[31mhello\u001b[0m world', 5)).toBe('\u001b[31mhello\u001b[0m');
  });
});
