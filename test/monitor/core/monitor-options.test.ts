/** The monitor's file errors and refusals in words (the one-line errors of --replay and --record). */
import { describe, expect, it } from 'vitest';
import { describeFileError, describeReplayRefusal, type FileKind } from '../../../src/monitor/core/monitor-options.js';

describe('describeFileError', () => {
  it.each([
    ['ENOENT', "ENOENT: no such file or directory, open 'x'", 'no such file'],
    ['EACCES', "EACCES: permission denied, open 'x'", 'permission denied (EACCES)'],
    ['ENOSPC', 'ENOSPC: no space left on device, write', 'no space left on device (ENOSPC)'],
    ['EISDIR', "EISDIR: illegal operation on a directory, open 'x'", 'is a folder'],
    ['EXDEV', "EXDEV: cross-device link not permitted, open '/x'", 'cross-device link not permitted (EXDEV)'],
    [undefined, 'something odd', 'something odd'],
  ])('%s → %s', (code, message, text) => {
    expect(describeFileError(code, message)).toBe(text);
  });
});

describe('describeReplayRefusal', () => {
  it('a regular file is taken; anything else is refused with what it is', () => {
    const kinds: FileKind[] = ['file', 'folder', 'fifo', 'device', 'socket', 'other'];
    expect(kinds.map(describeReplayRefusal)).toEqual([
      null,
      'is a folder, not a file',
      'is a FIFO (named pipe), not a regular file',
      'is a device, not a regular file',
      'is a socket, not a regular file',
      'is not a regular file',
    ]);
  });
});
