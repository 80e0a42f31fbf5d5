/**
 * The monitor's pure side on a terminal: what each key does (with the stop question of a server this
 * process launched), the escape sequences of a frame that redraw only what changed, the text form of a
 * sample, and monitor's own options from the command line.
 */
import { describe, expect, it } from 'vitest';
import { emptySample } from '../../../src/monitor/core/sample.js';
import {
  computeAskRow,
  decideMonitorKey,
  formatFrameUpdate,
  formatRowText,
  formatSampleText,
  isLocalUrl,
  LEAVE_QUESTION,
} from '../../../src/monitor/core/terminal.js';
import { parseMonitorOptions } from '../../../src/monitor/core/monitor-options.js';

describe('decideMonitorKey', () => {
  it('q and Ctrl-C quit, or ask first when a server of ours runs; p pauses, l shows the log', () => {
    expect(decideMonitorKey('q', false, false)).toBe('quit');
    expect(decideMonitorKey('\u0003', false, false)).toBe('quit');
    expect(decideMonitorKey('q', false, true)).toBe('ask');
    expect(decideMonitorKey('\u0003', false, true)).toBe('ask');
    expect(decideMonitorKey('p', false, true)).toBe('pause');
    expect(decideMonitorKey('l', false, false)).toBe('toggleLog');
    expect(decideMonitorKey('x', false, false)).toBe('none');
  });

  it('while asking: y stops and quits, n / Esc / q keep watching, anything else waits', () => {
    for (const key of ['y', 'Y']) expect(decideMonitorKey(key, true, true)).toBe('stopAndQuit');
    for (const key of ['n', 'N', '\u001b', 'q']) expect(decideMonitorKey(key, true, true)).toBe('keepWatching');
    for (const key of ['p', 'l', '\u0003', 'x']) expect(decideMonitorKey(key, true, true)).toBe('none');
  });

  it('while asking about a server that can be left running: y / s stop, l leaves it running, n / Esc / q keep watching', () => {
    for (const key of ['y', 'Y', 's', 'S']) expect(decideMonitorKey(key, true, true, true)).toBe('stopAndQuit');
    for (const key of ['l', 'L']) expect(decideMonitorKey(key, true, true, true)).toBe('leaveAndQuit');
    for (const key of ['n', 'N', '\u001b', 'q']) expect(decideMonitorKey(key, true, true, true)).toBe('keepWatching');
    for (const key of ['p', '\u0003', 'x']) expect(decideMonitorKey(key, true, true, true)).toBe('none');
    // Not asking, l still toggles the log: only the question gives it the meaning "leave it running".
    expect(decideMonitorKey('l', false, true, true)).toBe('toggleLog');
    expect(decideMonitorKey('q', false, true, true)).toBe('ask');
  });

  it('the question with its three answers fits on one row of 80 columns', () => {
    expect(LEAVE_QUESTION.length).toBeLessThan(80);
    expect(LEAVE_QUESTION).toContain('y stop');
    expect(LEAVE_QUESTION).toContain('l leave it running');
    expect(LEAVE_QUESTION).toContain('n keep watching');
  });
});

describe('formatFrameUpdate', () => {
  it('writes only the lines that changed, each cleared to its end', () => {
    expect(formatFrameUpdate(['a', 'b', 'c'], ['a', 'x', 'c'], false)).toBe('\u001b[2;1Hb\u001b[K');
    expect(formatFrameUpdate(['a'], ['a'], false)).toBe('');
  });

  it('a shorter frame clears what is below it; a full redraw writes every line and clears below', () => {
    expect(formatFrameUpdate(['a'], ['a', 'b'], false)).toBe('\u001b[2;1H\u001b[J');
    expect(formatFrameUpdate(['a', 'b'], ['a', 'b'], true)).toBe(
      '\u001b[1;1Ha\u001b[K\u001b[2;1Hb\u001b[K\u001b[3;1H\u001b[J',
    );
  });

  it('the line under the panel: the row after it, or the last row on a full screen', () => {
    expect(computeAskRow(10, 24)).toBe(11);
    expect(computeAskRow(24, 24)).toBe(24);
    expect(formatRowText(11, 'q?')).toBe('\u001b[11;1Hq?\u001b[K');
  });
});

describe('formatSampleText', () => {
  it('time, source, RAM, GPU and vLLM’s running requests; N/A for what the source lacks', () => {
    const s = {
      ...emptySample('tegrastats'),
      time: '2024-01-01T00:00:00',
      ram: { usedMiB: 1000, totalMiB: 15000 },
      gpu: { loadPct: 50, freqMHz: null },
    };
    expect(formatSampleText(s)).toBe('2024-01-01T00:00:00 tegrastats RAM 1000/15000 MiB GPU 50%@N/AMHz');
    expect(formatSampleText(emptySample('proc'))).toBe(' proc RAM N/A GPU N/A');
    const vllm = {
      ...emptySample('proc'),
      vllm: { running: 2 } as NonNullable<ReturnType<typeof emptySample>['vllm']>,
    };
    expect(formatSampleText(vllm)).toBe(' proc RAM N/A GPU N/A vLLM running 2');
  });

  it('a server on this machine is local (its memory can be measured)', () => {
    expect(isLocalUrl('http://localhost:8000')).toBe(true);
    expect(isLocalUrl('http://127.0.0.1:8000')).toBe(true);
    expect(isLocalUrl('http://[::1]:8000')).toBe(true);
    expect(isLocalUrl('http://orin.local:8000')).toBe(false);
  });
});

describe('parseMonitorOptions', () => {
  it('defaults: auto source, 1 s interval, 2 s polls, real-time replay, nothing recorded', () => {
    expect(parseMonitorOptions({})).toEqual({
      source: 'auto',
      intervalMs: 1000,
      url: null,
      pollMs: 2000,
      replay: null,
      speed: 1,
      record: null,
    });
  });

  it('reads each option, and refuses a bad source, interval, speed or URL with one line', () => {
    expect(
      parseMonitorOptions({ source: 'proc', interval: '250', pollInterval: '500', url: 'http://h:1', speed: '0' }),
    ).toMatchObject({ source: 'proc', intervalMs: 250, pollMs: 500, url: 'http://h:1', speed: 0 });
    expect(() => parseMonitorOptions({ source: 'x' })).toThrow(/--source: "x" is not one of/);
    expect(() => parseMonitorOptions({ interval: '99' })).toThrow(/--interval: "99" is not a whole number/);
    expect(() => parseMonitorOptions({ speed: '-1' })).toThrow(/--speed/);
    expect(() => parseMonitorOptions({ url: 'ftp://h' })).toThrow(/--url: "ftp:\/\/h" is not an http/);
  });
});
