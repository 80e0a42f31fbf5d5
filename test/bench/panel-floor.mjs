#!/usr/bin/env node
// The plain-ANSI floor for the live-panel benchmark: prints the same panel as prebuilt text (one write
// of home + lines + clear per tick), once a second, with no parsing, no state and no child process.
const lines = [
  'jetson-vllm · tegrastats · 2026-10-08 04:38:25',
  'RAM  [███████████····▲··········] 3.1/7.4 GiB GPU 1.2G ▲plan 4.3G',
  '     ▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄ RAM, last 60 samples',
  'SWAP [··························] 0.0/3.7 GiB (cached 0 MiB)',
  'CPU  0% avg, 4/6 on @729 MHz  [1 0 0 0 off off]',
  'GPU  1% @ N/A  ▁▁▁▁▁',
  'EMC  N/A   Temp cpu 62.8°C tj 62.8°C soc2 62.0°C',
  'PWR  3.9 W (avg 3.9 W)  CPU_GPU_CV 0.6 SOC 1.2',
  'vLLM no server given (--url)',
  'p pause  l log  q quit',
];
const frame = `\u001b[H${lines.map((l) => `${l}\u001b[K`).join('\n')}\u001b[J`;
process.stdout.write('\u001b[?1049h');
setInterval(() => process.stdout.write(frame), Number(process.env.INTERVAL_MS ?? 1000));
process.on('SIGTERM', () => process.exit(0));
