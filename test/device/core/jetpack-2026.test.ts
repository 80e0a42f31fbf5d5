/** The JetPack facts of December 2026 (field-2026-12.md #13–#14) as lookupJetpack / expectedCudaForL4t give them. */
import { describe, expect, it } from 'vitest';
import { expectedCudaForL4t, lookupJetpack } from '../../../src/device/core/jetpack.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

describe('JetPack releases of 2026', () => {
  it('L4T 39.2 is JetPack 7.2 GA with CUDA 13.2; 38.4 is 7.1 (CUDA 13.0); 36.5 is 6.2.2 (CUDA 12.6)', () => {
    expect(lookupJetpack('39.2.0')).toEqual({ jetpack: '7.2 GA', isExact: true });
    expect(lookupJetpack('R39.2')).toEqual({ jetpack: '7.2 GA', isExact: true });
    expect(expectedCudaForL4t('39.2.0')).toBe('13.2');
    expect(lookupJetpack('38.4.0')).toEqual({ jetpack: '7.1', isExact: true });
    expect(expectedCudaForL4t('38.4.0')).toBe('13.0');
    expect(lookupJetpack('36.5.0')).toEqual({ jetpack: '6.2.2', isExact: true });
    expect(expectedCudaForL4t('36.5.0')).toBe('12.6');
  });

  it('the Orin presets say JetPack 7.2 GA runs upstream CUDA 13 images; Orin NX 16GB names its JetPack 6.2 MemTotal', () => {
    const devices = loadTestCatalog().devices;
    for (const d of devices.filter((x) => x.soc === 't234'))
      expect(d.vllm.reason, d.id).toMatch(/JetPack 7\.2 GA \(L4T r39\.2, CUDA 13\.2\) supports Orin/);
    expect(devices.find((d) => d.id === 'orin-nx-16gb')?.notes).toMatch(/15368 MiB \(16114515968 B\) on JetPack 6\.2/);
    expect(devices.find((d) => d.id === 'agx-thor')?.vllm.reason).toMatch(/26\.10 = 0\.31\.0/);
  });
});
