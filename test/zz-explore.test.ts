import { it } from 'vitest';
import { loadTestCatalog, planFor } from './helpers/catalog.js';
import { recordedHost } from './helpers/recorded-host.js';
import { detectSystem } from '../src/probe/detect.js';
import { identifyDevice } from '../src/core/identify.js';
import { runDoctorChecks, TYPICAL_IMAGE_BYTES, TYPICAL_MODEL_BYTES } from '../src/core/doctor.js';
import { summarizeDetection, listModels, listQuants, resolveChoice } from '../src/core/wizard-view.js';
import { toResolvedDevice } from '../src/core/request.js';

it('explore', async () => {
  const catalog = loadTestCatalog();
  const tries: Record<string, string>[] = [
    { device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m', vllmVersion: '0.6.3', maxModelLen: '200', maxNumSeqs: '1' },
    { device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m', vllmVersion: '0.6.3', maxModelLen: '200', maxNumSeqs: '1', gpuMemoryUtilization: '0.8' },
    { device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m', vllmVersion: '0.6.3', maxModelLen: '200', maxNumSeqs: '1', gpuMemoryUtilization: '0.7' },
    { device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m', vllmVersion: '0.6.3', maxModelLen: '200', maxNumSeqs: '1', gpuMemoryUtilization: '0.75' },
    { device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m', vllmVersion: '0.6.3', maxModelLen: '32768', maxNumSeqs: '1', numGpuBlocksOverride: '1' },
  ];
  for (const t of tries) {
    try { const p = planFor(t); console.log(JSON.stringify(t), p.verdict, p.refusal?.message, p.budget.totalBytes/2**30, p.budget.limitBytes/2**30); } catch (e) { console.log(JSON.stringify(t), String(e)); }
  }
  for (const u of ['0.5','0.6','0.65','0.7','0.72','0.74','0.76','0.78','0.8','0.82','0.84','0.86','0.88','0.9']) {
    const p = planFor({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m', vllmVersion: '0.6.3', maxModelLen: '200', maxNumSeqs: '1', gpuMemoryUtilization: u });
    console.log(u, p.verdict);
  }
  for (const board of ['orin-nx-16gb-jp62', 'x86-plain', 'x86-rtx4090', 'damaged']) {
    const facts = await detectSystem(recordedHost(board));
    const identification = identifyDevice(facts, catalog);
    const checks = runDoctorChecks({ facts, identification, catalog, modelBytes: TYPICAL_MODEL_BYTES, imageBytes: TYPICAL_IMAGE_BYTES });
    const s = summarizeDetection(facts, identification, checks);
    console.log(board, JSON.stringify({ ...s, identification: { ...s.identification, device: s.identification.device?.name } }, null, 1));
  }
  const dev = toResolvedDevice(catalog.devices.find((d) => d.id === 'orin-nano-4gb')!, 'preset');
  for (const r of listModels(catalog, dev, '', null)) console.log(r.label);
  for (const id of ['nano-4gb', 'orin-nano-8gb', 'agx-orin-64gb']) {
    const d = toResolvedDevice(catalog.devices.find((x) => x.id === id)!, 'preset');
    for (const r of listModels(catalog, d, '', null).slice(0, 4)) console.log(id, r.label);
    const m = catalog.models.find((x) => x.id === 'qwen2.5-7b-instruct')!;
    for (const q of listQuants(catalog, d, m, null)) console.log(id, q.quant.id, q.fit, q.maxContext, q.reason);
  }
  void resolveChoice;
});
