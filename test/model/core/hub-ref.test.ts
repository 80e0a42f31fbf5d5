/** The pure parts of Hub references moved out of model/hub.ts (parseModelRef itself: test/model/hub.test.ts). */
import { describe, expect, it } from 'vitest';
import { buildResolveUrl, isGgufFilePath, isPinned } from '../../../src/model/core/hub-ref.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('isPinned', () => {
  it.each([
    [null, false],
    ['main', false],
    [SHA, true],
    [SHA.toUpperCase(), false],
    [SHA.slice(1), false],
  ])('revision %s → %s', (revision, expected) => {
    expect(isPinned({ repo: 'org/name', revision })).toBe(expected);
  });
});

describe('isGgufFilePath', () => {
  it.each([
    ['model-Q8_0.gguf', true],
    ['sub/dir/model.GGUF', true],
    ['model.safetensors', false],
    ['/abs/model.gguf', false],
    ['a//model.gguf', false],
    ['./model.gguf', false],
    ['../model.gguf', false],
    ['a\\model.gguf', false],
  ])('%s → %s', (file, expected) => {
    expect(isGgufFilePath(file)).toBe(expected);
  });
});

describe('buildResolveUrl', () => {
  it('main by default; the revision and each path segment are URL-encoded, the slashes between segments kept', () => {
    expect(buildResolveUrl('https://hf.co', { repo: 'org/name', revision: null }, 'config.json')).toBe(
      'https://hf.co/org/name/resolve/main/config.json',
    );
    expect(buildResolveUrl('http://m/x', { repo: 'org/name', revision: 'refs/pr/1' }, 'q 8/a#b.gguf')).toBe(
      'http://m/x/org/name/resolve/refs%2Fpr%2F1/q%208/a%23b.gguf',
    );
  });
});
