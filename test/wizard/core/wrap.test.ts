/** wrapHanging: never wider than the screen, no line cut, continuation lines under the text, no leading space. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { wrapHanging } from '../../../src/wizard/core/wrap.js';

describe('wrapHanging', () => {
  it('wraps at spaces with a hanging indent', () => {
    expect(wrapHanging('fix: sudo systemctl set-default multi-user.target && sudo reboot', 30, 5)).toEqual([
      'fix: sudo systemctl',
      '     set-default',
      '     multi-user.target && sudo',
      '     reboot',
    ]);
  });

  it('keeps steps on lines of their own and splits a word longer than a line', () => {
    expect(wrapHanging('1. one\n2. two', 40, 3)).toEqual(['1. one', '   2. two']);
    expect(wrapHanging('x'.repeat(25), 10, 2)).toEqual(['xxxxxxxxxx', '  xxxxxxxx', '  xxxxxxx']);
  });

  it('any text: within the width, every word kept in order, continuation lines start with the indent and a word', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(' ', '\n', 'docker run', '--flag 1')), {
          maxLength: 30,
        }),
        fc.integer({ min: 8, max: 120 }),
        fc.integer({ min: 0, max: 8 }),
        (parts, width, indent) => {
          const text = parts.join('');
          const lines = wrapHanging(text, width, indent);
          const pad = ' '.repeat(Math.min(indent, width - 4));
          for (const line of lines) expect([...line].length).toBeLessThanOrEqual(width);
          lines.slice(1).forEach((line) => {
            if (line.trim() === '') return;
            expect(line.startsWith(pad)).toBe(true);
            expect(line.charAt(pad.length)).not.toBe(' ');
          });
          const words = (s: string): string => s.split(/\s+/).join('');
          expect(words(lines.join(' '))).toBe(words(text));
        },
      ),
      { numRuns: 400 },
    );
  });
});
