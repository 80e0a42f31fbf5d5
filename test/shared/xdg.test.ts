import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  resolveHfHome,
  buildDefaultXdgDir,
  pickXdgVariable,
  resolveJetsonVllmDir,
  resolveXdgDir,
  type XdgKind,
} from '../../src/shared/xdg.js';

const HOME = '/home/u';
const KINDS: XdgKind[] = ['cache', 'config', 'state', 'data'];
const VARIABLE: Record<XdgKind, string> = {
  cache: 'XDG_CACHE_HOME',
  config: 'XDG_CONFIG_HOME',
  state: 'XDG_STATE_HOME',
  data: 'XDG_DATA_HOME',
};
const DEFAULT: Record<XdgKind, string> = {
  cache: '/home/u/.cache',
  config: '/home/u/.config',
  state: '/home/u/.local/state',
  data: '/home/u/.local/share',
};

describe('resolveXdgDir', () => {
  // One row per kind and per shape of the variable: unset, empty, blank, relative, absolute.
  const rows = KINDS.flatMap((kind) => [
    [kind, 'unset', {}, DEFAULT[kind]],
    [kind, 'empty', { [VARIABLE[kind]]: '' }, DEFAULT[kind]],
    [kind, 'blank', { [VARIABLE[kind]]: '   ' }, DEFAULT[kind]],
    [kind, 'relative', { [VARIABLE[kind]]: 'x/y' }, DEFAULT[kind]],
    [kind, 'dot-relative', { [VARIABLE[kind]]: './x' }, DEFAULT[kind]],
    [kind, 'absolute', { [VARIABLE[kind]]: '/x/y' }, '/x/y'],
  ]) as [XdgKind, string, Record<string, string>, string][];

  it.each(rows)('%s, variable %s → %s', (kind, _shape, env, expected) => {
    expect(resolveXdgDir(kind, env, HOME)).toBe(expected);
  });

  it.each(KINDS)('%s: jetson-vllm folder is <base>/jetson-vllm, unset or set', (kind) => {
    expect(resolveJetsonVllmDir(kind, {}, HOME)).toBe(`${DEFAULT[kind]}/jetson-vllm`);
    expect(resolveJetsonVllmDir(kind, { [VARIABLE[kind]]: '/x' }, HOME)).toBe('/x/jetson-vllm');
  });

  it('reads only its own variable', () => {
    const env = { XDG_CACHE_HOME: '/c', XDG_CONFIG_HOME: '/g', XDG_STATE_HOME: '/s', XDG_DATA_HOME: '/d' };
    expect(KINDS.map((kind) => resolveXdgDir(kind, env, HOME))).toEqual(['/c', '/g', '/s', '/d']);
  });

  it.each([
    ['/', '/.cache', '/.cache/jetson-vllm'],
    ['/home/u/', '/home/u/.cache', '/home/u/.cache/jetson-vllm'],
  ])('home %s → %s (one slash between parts)', (home, base, app) => {
    expect(resolveXdgDir('cache', {}, home)).toBe(base);
    expect(resolveJetsonVllmDir('cache', {}, home)).toBe(app);
  });

  it.each([
    ['/x/', '/x/jetson-vllm'],
    ['/', '/jetson-vllm'],
  ])('a variable ending in a slash (%s) → %s', (value, app) => {
    expect(resolveJetsonVllmDir('state', { XDG_STATE_HOME: value }, HOME)).toBe(app);
  });

  it('pickXdgVariable: the value when absolute, else null', () => {
    expect(pickXdgVariable('data', { XDG_DATA_HOME: '/d' })).toBe('/d');
    expect(pickXdgVariable('data', { XDG_DATA_HOME: 'd' })).toBeNull();
    expect(pickXdgVariable('data', { XDG_DATA_HOME: '' })).toBeNull();
    expect(pickXdgVariable('data', {})).toBeNull();
  });

  it('buildDefaultXdgDir ignores the environment', () => {
    expect(KINDS.map((kind) => buildDefaultXdgDir(kind, HOME))).toEqual(KINDS.map((kind) => DEFAULT[kind]));
  });

  it('property: an absolute home gives an absolute folder; an unusable variable gives the default suffix', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._ -]{1,12}$/);
    const absolute = fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
    const anyValue = fc.oneof(fc.constant(undefined), fc.string(), absolute);
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), anyValue, absolute, (kind, value, home) => {
        const env = value === undefined ? {} : { [VARIABLE[kind]]: value };
        const dir = resolveXdgDir(kind, env, home);
        expect(dir.startsWith('/')).toBe(true);
        expect(resolveJetsonVllmDir(kind, env, home).endsWith('/jetson-vllm')).toBe(true);
        const isUsable = value !== undefined && value.startsWith('/');
        if (isUsable) expect(dir).toBe(value);
        else expect(dir.endsWith(DEFAULT[kind].slice(HOME.length))).toBe(true);
      }),
    );
  });
});

describe('resolveHfHome: the Hugging Face home in huggingface_hub’s order', () => {
  it('HF_HUB_CACHE (its parent), then HF_HOME, then XDG_CACHE_HOME/huggingface, then ~/.cache/huggingface', () => {
    const home = '/home/u';
    expect(resolveHfHome({ HF_HUB_CACHE: '/ssd/hf/hub', HF_HOME: '/x', XDG_CACHE_HOME: '/y' }, home)).toEqual({
      path: '/ssd/hf',
      source: '$HF_HUB_CACHE',
    });
    expect(resolveHfHome({ HF_HOME: '/x', XDG_CACHE_HOME: '/y' }, home)).toEqual({ path: '/x', source: '$HF_HOME' });
    expect(resolveHfHome({ XDG_CACHE_HOME: '/ssd/cache/' }, home)).toEqual({
      path: '/ssd/cache/huggingface',
      source: '$XDG_CACHE_HOME/huggingface',
    });
    expect(resolveHfHome({ HF_HOME: '', XDG_CACHE_HOME: '' }, home)).toEqual({
      path: '/home/u/.cache/huggingface',
      source: 'default (~/.cache/huggingface)',
    });
  });
});
