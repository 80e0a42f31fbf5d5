/**
 * The /proc decisions behind the vLLM process tracker: comm verdicts, vLLM command lines, VmRSS and
 * NvMapMemUsed, the fan's pwm1. Property tests: nothing throws on any text, a VmRSS / NvMapMemUsed line printed from a number
 * reads back as that number of KiB, and a comm that is neither vLLM's nor an interpreter's is never read further.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyComm,
  isFanHwmonName,
  isVllmCmdline,
  parseFanPwmPct,
  parseNvMapUsedBytes,
  parseVmRssBytes,
} from '../../../src/monitor/core/vllm-process.js';

const RUNS = { numRuns: 2_000 };

describe('classifyComm', () => {
  it('names vLLM workers, interpreters and the rest', () => {
    expect(classifyComm('VLLM::EngineCor\n')).toBe('vllm');
    expect(classifyComm('vllm\n')).toBe('maybe');
    expect(classifyComm('python3.10\n')).toBe('maybe');
    expect(classifyComm('python3\n')).toBe('maybe');
    expect(classifyComm('pt_main_thread')).toBe('maybe');
    expect(classifyComm('systemd\n')).toBe('no');
    expect(classifyComm('nvargus-daemon\n')).toBe('no');
  });

  it('never throws and answers one of its three verdicts for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (comm) => {
        expect(['vllm', 'maybe', 'no']).toContain(classifyComm(comm));
      }),
      RUNS,
    );
  });

  it('says "no" to a lowercase name that is no interpreter (its command line is never read)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z_-]{1,15}$/), (comm) => {
        fc.pre(!/^(vllm|python[\d.]*|pt_main_thread|uvicorn|node)$/.test(comm));
        expect(classifyComm(`${comm}\n`)).toBe('no');
      }),
      RUNS,
    );
  });
});

describe('isVllmCmdline', () => {
  it('recognises vllm serve and the OpenAI entrypoint, not a client', () => {
    expect(isVllmCmdline('/usr/bin/python3\0/usr/local/bin/vllm\0serve\0Qwen/Qwen2-7B\0')).toBe(true);
    expect(isVllmCmdline('python3\0-m\0vllm.entrypoints.openai.api_server\0--model\0m\0')).toBe(true);
    expect(isVllmCmdline('vllm\0serve\0m\0')).toBe(true);
    expect(isVllmCmdline('python3\0client.py\0--url\0http://localhost:8000\0')).toBe(false);
    expect(isVllmCmdline('myvllm\0serve\0')).toBe(false);
  });

  it('never throws on any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(typeof isVllmCmdline(text)).toBe('boolean');
      }),
      RUNS,
    );
  });
});

describe('parseVmRssBytes', () => {
  it('reads VmRSS in a status text', () => {
    expect(parseVmRssBytes('Name:\tpython3\nVmPeak:\t 9000 kB\nVmRSS:\t  2048 kB\nThreads: 40\n')).toBe(2048 * 1024);
    expect(parseVmRssBytes('Name:\tkthreadd\nState:\tS (sleeping)\n')).toBeNull();
  });

  it('reads back any VmRSS printed among other lines, and never throws on any text', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.string(), (kb, before) => {
        const head = before.replace(/^VmRSS:/gm, 'X');
        expect(parseVmRssBytes(`${head}\nVmRSS:\t${String(kb).padStart(8)} kB\n`)).toBe(kb * 1024);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const bytes = parseVmRssBytes(text);
        expect(bytes === null || Number.isSafeInteger(bytes)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('parseNvMapUsedBytes', () => {
  it('reads NvMapMemUsed (JetPack 4–6) and answers null without it', () => {
    expect(parseNvMapUsedBytes('MemTotal: 7620000 kB\nNvMapMemFree: 0 kB\nNvMapMemUsed:   805068 kB\n')).toBe(
      805068 * 1024,
    );
    expect(parseNvMapUsedBytes('MemTotal: 7620000 kB\nMemFree: 100 kB\n')).toBeNull();
  });

  it('reads back any NvMapMemUsed figure and never throws on any text', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 36 }), (kb) => {
        expect(parseNvMapUsedBytes(`MemTotal: 1 kB\nNvMapMemUsed: ${kb} kB\n`)).toBe(kb * 1024);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const bytes = parseNvMapUsedBytes(text);
        expect(bytes === null || (Number.isSafeInteger(bytes) && bytes >= 0)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('the fan (hwmon pwm-fan)', () => {
  it('reads pwm1 as a percent of 255 and knows the fan hwmon names', () => {
    expect(parseFanPwmPct('255\n')).toBe(100);
    expect(parseFanPwmPct('0\n')).toBe(0);
    expect(parseFanPwmPct('256\n')).toBeNull();
    expect(parseFanPwmPct('-1')).toBeNull();
    expect(isFanHwmonName('pwm-fan\n')).toBe(true);
    expect(isFanHwmonName('pwmfan\n')).toBe(true);
    expect(isFanHwmonName('tmp451\n')).toBe(false);
  });

  it('reads back any duty 0–255 and never answers outside 0–100 for any text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (pwm) => {
        expect(parseFanPwmPct(`${pwm}\n`)).toBeCloseTo((pwm / 255) * 100, 9);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const pct = parseFanPwmPct(text);
        expect(pct === null || (pct >= 0 && pct <= 100)).toBe(true);
      }),
      RUNS,
    );
  });
});
