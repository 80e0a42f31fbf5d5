import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createWatchdog,
  defaultWatchdogFloor,
  describeWatchdogStop,
  observeMemory,
} from '../../../src/launch/core/watchdog.js';
import { GiB, MiB } from '../../../src/shared/units.js';

describe('watchdog', () => {
  it('floor: the larger of 256 MiB and 2 % of RAM', () => {
    expect(defaultWatchdogFloor(8 * GiB)).toBe(256 * MiB);
    expect(defaultWatchdogFloor(64 * GiB)).toBe(Math.round(0.02 * 64 * GiB));
  });

  it('fires only when memory stays under the floor for longer than the grace period', () => {
    let w = createWatchdog(256 * MiB, 750);
    w = observeMemory(w, 2 * GiB, 0);
    w = observeMemory(w, 200 * MiB, 250);
    expect(w.hasFired).toBe(false);
    w = observeMemory(w, 300 * MiB, 500); // back above: the clock restarts
    w = observeMemory(w, 100 * MiB, 750);
    w = observeMemory(w, 90 * MiB, 1250);
    expect(w.hasFired).toBe(false);
    w = observeMemory(w, 80 * MiB, 1500);
    expect(w.hasFired).toBe(true);
    expect(describeWatchdogStop(w)).toBe(
      'available memory stayed under the 256 MiB floor for 750 ms (lowest 80 MiB): vLLM was stopped before the kernel froze the board',
    );
  });

  it('never fires while memory stays at or above the floor (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 256, max: 65536 }), { maxLength: 200 }), (mibs) => {
        let w = createWatchdog(256 * MiB, 100);
        mibs.forEach((m, i) => {
          w = observeMemory(w, m * MiB, i * 250);
        });
        expect(w.hasFired).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
