#!/usr/bin/env -S node --optimize-for-size --max-semi-space-size=1
// V8 sized for a board whose memory vLLM needs (README, "Benchmarks"): given here, before the heap is set up, the
// two flags hold the wizard's peak RSS under 80 MiB through a knob walk and a launch followed by the live panel
// (~88 MiB without them: Ink's garbage per key press, while the live heap stays near 11 MiB). Set at run time
// through v8.setFlagsFromString they changed nothing measurable. `env -S` is coreutils ≥ 8.30 (Ubuntu 20.04 on).
import './dist/cli.js';
