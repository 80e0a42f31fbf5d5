/**
 * `jetson-vllm <command> --help`: one text per command, every line within 80 columns, and every option README
 * documents for that command (an option the command line accepts, named in the command's README section) listed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_HELP, type HelpTopic } from '../../src/cli/help.js';
import { OPTION_NAMES } from '../../src/cli/args.js';
import { ROOT } from '../helpers/catalog.js';
import { runCli } from '../helpers/cli.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The README section under the heading that starts with `heading`, up to the next heading of its level or above. */
function section(heading: string): string {
  const lines = README.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  if (start < 0) throw new Error(`README has no heading ${heading}`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => {
    const m = /^(#+) /.exec(l);
    return m !== null && (m[1]?.length ?? 9) <= level;
  });
  return (end < 0 ? rest : rest.slice(0, end)).join('\n');
}

const SECTIONS: Record<HelpTopic, string> = {
  wizard: '## The wizard',
  plan: '### `jetson-vllm plan`',
  launch: '### `jetson-vllm launch`',
  monitor: '### `jetson-vllm monitor`',
  doctor: '### `jetson-vllm doctor`',
  diagnose: '### `jetson-vllm diagnose`',
  devices: '### `jetson-vllm devices`',
  models: '### `jetson-vllm devices`',
};

const topics = Object.keys(COMMAND_HELP) as HelpTopic[];
const helpOf = (topic: HelpTopic): string => {
  const r = runCli(topic === 'wizard' ? ['--help'] : [topic, '--help']);
  expect(r.code).toBe(0);
  return r.stdout;
};

describe('help per command (built CLI)', () => {
  const texts = new Map(topics.map((t) => [t, helpOf(t)]));

  it('every <command> --help differs', () => {
    expect(new Set(texts.values()).size).toBe(topics.length);
    for (const t of topics) if (t !== 'wizard') expect(texts.get(t)).toMatch(new RegExp(`^jetson-vllm ${t} — `));
  });

  it.each(topics)('%s: every line within 80 columns', (topic) => {
    for (const line of (texts.get(topic) ?? '').split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
  });

  it.each(topics)("%s: lists every option README names in the command's section", (topic) => {
    const named = new Set(
      [...section(SECTIONS[topic]).matchAll(/--([a-z][a-z0-9-]*)/g)]
        .map((m) => m[1] ?? '')
        .filter((o) => OPTION_NAMES.includes(o)),
    );
    const text = texts.get(topic) ?? '';
    for (const option of named) expect(text, `--${option}`).toMatch(new RegExp(`--${option}(?![a-z-])`));
  });

  it('help and -h are the overview', () => {
    expect(runCli(['help']).stdout).toBe(texts.get('wizard'));
    expect(runCli(['-h']).stdout).toBe(texts.get('wizard'));
  });
});
