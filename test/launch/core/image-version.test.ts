/**
 * The vLLM version inside an image whose tag does not name it: which tags are moving, the argv that asks
 * the image's python, and the parser of what it prints (with a property test: any output gives a release
 * or null, never a throw).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildImageVersionArgv,
  formatImageVersionNote,
  isMovingImageTag,
  parseImageVllmVersion,
} from '../../../src/launch/core/image-version.js';

describe('isMovingImageTag', () => {
  it.each([
    ['ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin', true],
    ['ghcr.io/nvidia-ai-iot/vllm:latest-jetson-thor', true],
    ['vllm/vllm-openai:latest', true],
    ['vllm/vllm-openai', true],
    ['ghcr.io/nvidia-ai-iot/vllm:gemma4-jetson-orin', true],
    ['ghcr.io/nvidia-ai-iot/vllm:qwen3.8-next-jetson-thor', true],
    ['dustynv/vllm:0.8.6-r36.4-cu128-24.04', false],
    ['vllm/vllm-openai:v0.20.1', false],
    ['vllm/vllm-openai:v0.20.1-cu130', false],
    ['nvcr.io/nvidia/vllm:26.05-py3', false],
    ['vllm/vllm-openai@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', false],
  ])('%s → %s', (image, expected) => {
    expect(isMovingImageTag(image)).toBe(expected);
  });
});

describe('buildImageVersionArgv', () => {
  it('runs python3 as the entrypoint (not the image’s `vllm serve`), without a network, removed after', () => {
    expect(buildImageVersionArgv('vllm/vllm-openai:latest')).toEqual([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'python3',
      'vllm/vllm-openai:latest',
      '-c',
      "import importlib.metadata as m; print(m.version('vllm'))",
    ]);
  });
});

describe('parseImageVllmVersion', () => {
  it.each([
    ['0.11.2\n', '0.11.2'],
    ['0.20.1+cu130\n', '0.20.1'],
    ['0.12.1.dev3+g1a2b3c\n', '0.12.1'],
    ['0.31.0rc1\n', '0.31.0'],
    ['WARNING: something on stdout first\n0.9.2\n', '0.9.2'],
    ['', null],
    ['Traceback (most recent call last):\nPackageNotFoundError: vllm\n', null],
    ['0.11\n', null],
    ['10.11.12.13.14', '10.11.12'],
  ])('%j → %s', (out, expected) => {
    expect(parseImageVllmVersion(out)).toBe(expected);
  });

  it('property: any output gives null or a release of three numbers without leading zeros', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (out) => {
        const v = parseImageVllmVersion(out);
        if (v !== null) expect(v).toMatch(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/);
      }),
    );
    fc.assert(
      fc.property(fc.nat(999), fc.nat(999), fc.nat(999), fc.string({ maxLength: 20 }), (a, b, c, noise) => {
        const v = parseImageVllmVersion(`${noise.replace(/\n/g, ' ')}\n${a}.${b}.${c}+local\n`);
        expect(v).toBe(`${a}.${b}.${c}`);
      }),
    );
  });
});

describe('formatImageVersionNote', () => {
  it('says what was read and what the plan was made for', () => {
    const image = 'ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin';
    expect(formatImageVersionNote({ kind: 'same', image, version: '0.11.2' })).toBe(
      `jetson-vllm: ${image} carries vLLM 0.11.2, as planned`,
    );
    expect(formatImageVersionNote({ kind: 'replanned', image, version: '0.9.2', assumed: '0.11.2' })).toBe(
      `jetson-vllm: ${image} carries vLLM 0.9.2, not the 0.11.2 its tag was listed with: re-planned for 0.9.2`,
    );
    expect(formatImageVersionNote({ kind: 'unread', image, assumed: '0.11.2', why: 'no python3' })).toBe(
      `jetson-vllm: the vLLM version inside ${image} could not be read (no python3): planned for 0.11.2, the version its tag was listed with`,
    );
  });
});
