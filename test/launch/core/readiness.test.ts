/** src/launch/core/readiness.ts: the served model name, the /v1/models check, and whether the listener is ours. */
import { describe, expect, it } from 'vitest';
import { classifyListener, findServedModelName, isModelListed } from '../../../src/launch/core/readiness.js';
import { planFor } from '../../helpers/catalog.js';

describe('findServedModelName', () => {
  it.each([
    [['vllm', 'serve', 'Qwen/Qwen2.5-0.5B-Instruct', '--port', '8000'], 'Qwen/Qwen2.5-0.5B-Instruct'],
    [['vllm', 'serve', 'm', '--served-model-name', 'chat', 'chat2'], 'chat'],
    [['vllm', 'serve', 'm', '--served-model-name'], 'm'],
    [['vllm', 'serve', 'm', '--served-model-name', '--port', '1'], 'm'],
    [['python3', '-m', 'vllm.entrypoints.openai.api_server', '--model', 'old/model'], 'old/model'],
    [['vllm', 'serve', '--model', 'x'], 'x'],
    [['vllm', 'serve'], null],
    [[], null],
  ])('%j → %s', (argv, name) => {
    expect(findServedModelName(argv)).toBe(name);
  });

  it("a plan's argv serves its model under the model's repository id", () => {
    const plan = planFor({ device: 'orin-nx-16gb', model: 'qwen2.5-0.5b-instruct', port: '8123' });
    expect(findServedModelName(plan.argv)).toBe(plan.argv[2]);
    expect(findServedModelName(plan.argv)).toMatch(/Qwen/);
  });
});

describe('isModelListed', () => {
  const body = (ids: unknown[]): string => JSON.stringify({ object: 'list', data: ids.map((id) => ({ id })) });
  it.each([
    [body(['m']), 'm', true],
    [body(['a', 'm']), 'm', true],
    [body(['other']), 'm', false],
    [body([]), 'm', false],
    [body([1]), '1', false],
    ['{"data": "m"}', 'm', false],
    ['{"models": [{"id": "m"}]}', 'm', false],
    ['null', 'm', false],
    ['not json', 'm', false],
    ['', 'm', false],
    ['[{"id":"m"}]', 'm', false],
  ])('%s lists %s: %s', (text, name, is) => {
    expect(isModelListed(text, name)).toBe(is);
  });
});

describe('classifyListener', () => {
  // 100 → 50 → 1; 200 → 100; 300 → 1.
  const parents: Record<number, number> = { 100: 50, 50: 1, 200: 100, 300: 1, 400: 400 };
  const parentOf = (pid: number): number | null => parents[pid] ?? null;
  it.each([
    [100, [100], 'ours'],
    [100, [200], 'ours'],
    [50, [200], 'ours'],
    [100, [300], 'other'],
    [100, [300, 200], 'ours'],
    [100, [], 'unknown'],
    [100, [999], 'other'],
    // A pid that is its own parent (a table read mid-change) does not loop forever.
    [100, [400], 'other'],
  ])('ours %i, owners %j → %s', (ours, owners, kind) => {
    expect(classifyListener(ours, owners, parentOf)).toBe(kind);
  });
});
