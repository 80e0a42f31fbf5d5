import { it } from 'vitest';
import { planFor } from '../helpers/catalog.js';

const show = (o: Parameters<typeof planFor>[0]) => {
  const p = planFor(o);
  console.log(JSON.stringify(o), p.verdict, p.refusal?.message, p.command, JSON.stringify(p.settings), 'fits', JSON.stringify(p.fits), 'kv', (p.kvCache.availableBytes / 2 ** 30).toFixed(2), 'w', (p.quant.weightBytes / 2 ** 30).toFixed(2));
};
it('explore', () => {
  show({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m', vllmVersion: '0.6.3', maxModelLen: '200', maxNumSeqs: '1', vllmDefaults: true });
  show({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m', vllmVersion: '0.6.3', maxModelLen: '200', maxNumSeqs: '1' });
  show({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m', vllmVersion: '0.6.3', maxModelLen: '200' });
  show({ device: 'agx-orin-64gb', model: 'deepseek-r1-distill-qwen-1.5b', vllmVersion: '0.8.6', vllmDefaults: true });
  show({ device: 'agx-orin-64gb', model: 'deepseek-r1-distill-qwen-1.5b', vllmVersion: '0.8.6' });
  show({ device: 'a100-40gb', model: 'qwen3-30b-a3b', quant: 'fp8', kvCacheDtype: 'fp8', maxModelLen: '40960' });
  show({ device: 'a100-40gb', model: 'qwen3-30b-a3b', quant: 'fp8', kvCacheDtype: 'fp8', maxModelLen: '40960', gpuMemoryUtilization: '0.8' });
  show({ device: 'rtx-4090', model: 'qwen3-30b-a3b', quant: 'fp8', kvCacheDtype: 'fp8', maxModelLen: '40960' });
  show({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', vllmVersion: '0.11.2', gpuMemoryUtilization: '0.9' , quant: 'awq'});
  show({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', vllmVersion: '0.11.2', quant: 'awq'});
  show({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', vllmVersion: '0.21.0', quant: 'awq'});
  show({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', vllmVersion: '0.17.0', quant: 'awq'});
});
