import { test } from 'vitest';
import { startCli, disposeAll, pressAndWait } from './harness.js';
test('scratch', async () => {
  const s = startCli(['--root', 'test/fixtures/roots/orin-nx-16gb-jp62'], { cols: 80, rows: 24 });
  await s.waitFor('part number');
  await pressAndWait(s, 'enter', 'qwen2-7b');
  await pressAndWait(s, 'enter', 'gguf-q4_k_m');
  for (let i = 0; i < 4; i++) await pressAndWait(s, 'down');
  console.log(s.screen());
  await pressAndWait(s, 'enter', 'Verdict');
  console.log(s.screen());
  for (let i = 0; i < 4; i++) await pressAndWait(s, 'down');
  console.log(s.screen());
  for (let i = 0; i < 8; i++) { await pressAndWait(s, 'right'); console.log(s.screen().split('\n').find(l => l.includes('vLLM version'))); }
  await pressAndWait(s, 'down');
  await pressAndWait(s, 'right');
  console.log(s.screen());
  await pressAndWait(s, 'left');
  console.log(s.screen());
  await pressAndWait(s, 'enter');
  console.log(s.screen());
  await pressAndWait(s, 'enter');
  console.log(s.screen());
  s.press('q');
  console.log(await s.exited);
  await disposeAll();
});
