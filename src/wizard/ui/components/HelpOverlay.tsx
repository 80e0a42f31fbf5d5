/**
 * The `?` overlay: the keys every screen shares, then the keys and words of the screen it was opened on (the bar's
 * letters and marks on the budget, the launch keys on the launch), each line within 80 columns.
 */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { BudgetKey } from '../../../plan/core/budget.js';
import type { Step } from '../../core/wizard.js';
import { BAR_LETTERS } from './BudgetBar.js';
import { Styled } from './Styled.js';

const COMMON = [
  '  Esc ⌫   back one step        q   quit        ?   close this help',
  'Scripted: jetson-vllm plan | doctor | devices | models (each with --help).',
];

/** What the bar's letters stand for, written out (the legend under the bar is short). */
const BAR_WORDS: Record<BudgetKey, string> = {
  os: 'OS and other processes',
  runtime: 'vLLM runtime (CUDA context, PyTorch)',
  container: 'container',
  weights: 'model weights',
  activations: 'activations',
  cudaGraphs: 'CUDA graphs',
  sampler: 'sampler warm-up',
  kvCache: 'KV cache',
  stateCache: 'Mamba/linear-attention state (V0)',
  swapSpace: 'pinned swap (--swap-space, V0)',
};

/** Two letters a line: "W model weights" pairs, padded into two columns. */
function barLegend(): string[] {
  const entries = (Object.keys(BAR_LETTERS) as BudgetKey[]).map((k) => `${BAR_LETTERS[k].letter} ${BAR_WORDS[k]}`);
  const lines: string[] = [];
  for (let i = 0; i < entries.length; i += 2) lines.push(`  ${(entries[i] ?? '').padEnd(38)}${entries[i + 1] ?? ''}`);
  return lines;
}

/** Returns the help lines for a screen (title first). */
export function buildHelpLines(step: Step): string[] {
  switch (step) {
    case 'device':
      return [
        'Device — keys',
        '  ↑ ↓ or j k   move            Enter   choose the device to plan for',
        '  /            filter: type words; ↑ ↓ move in the matches, Enter chooses,',
        '               ⌫ erases, Esc clears the filter',
        '  d            the checks of this device with their fixes, whole (d again: back)',
        '"This device" is the board detected here; a preset plans for another board',
        '(its command can be copied there, not launched here).',
        ...COMMON,
      ];
    case 'model':
      return [
        'Model — keys',
        '  ↑ ↓ or j k   move            Enter   choose the model',
        '  /            filter by typing (Esc clears it)',
        '  m            another model: a Hugging Face id, a local folder or a .gguf file',
        ...COMMON,
      ];
    case 'quant':
      return [
        'Quantization — keys',
        '  ↑ ↓ or j k   move            Enter   choose the variant',
        'Each row says whether the variant fits this device and the context it leaves;',
        '"tight" fits with little memory to spare, "does not fit" would be killed.',
        ...COMMON,
      ];
    case 'budget':
      return [
        'Budget — keys (every change re-plans at once; figures are estimates)',
        '  ↑ ↓ or j k   choose a knob   ← → or h l   change it (stops at either end)',
        '  1-9          type a number on max-model-len or max-num-seqs (e.g. 200):',
        '               Enter sets it, ⌫ erases, Esc cancels; out of range keeps the old',
        "  0            put the focused knob back to the planner's choice",
        '  Enter        review the command',
        'The bar is the whole memory of the board, a letter per part:',
        ...barLegend(),
        '  · free memory   ] the end of the memory   | where it ends when the plan is',
        '  over: the letters after | are memory that is not there',
        'set     a knob you changed here (0 puts it back)',
        'TIGHT   it fits, with less headroom than the safety margin (~ in the table)',
        "open knobs  planner's: the planner picks what you did not set; vLLM's defaults:",
        '            vLLM picks (often 90 % of the memory, which kills a Jetson)',
        ...COMMON,
      ];
    case 'review':
      return [
        'Review — keys',
        '  ↑ ↓ or j k   move            Enter   Launch, Copy, Save the recipe or Back',
        '  PgDn PgUp    scroll through every reason (also ] and [)',
        'Launch runs the command here; Copy ends the wizard and prints the command alone;',
        'Save writes the recipe (jetson-vllm launch --recipe <file> runs it later).',
        ...COMMON,
      ];
    case 'launch':
      return [
        'Launch — keys',
        '  s       stop the server (again while it stops: kill it now)',
        '  q       stop the server, then quit (a --detach server keeps running)',
        '  r       after a failure: retry with the fix shown (or the same plan again)',
        '  Enter   once ready: the live panel (memory, requests, the log)',
        '  l       in the live panel: follow the whole vLLM log',
        '  Esc     after the server ended: back to the review',
        '  ?       close this help',
      ];
    default: {
      const unreachable: never = step;
      throw new Error(`unknown step ${String(unreachable)}`);
    }
  }
}

export function HelpOverlay({ step }: { step: Step }): ReactNode {
  const [title, ...rest] = buildHelpLines(step);
  return (
    <Box flexDirection="column">
      <Styled bold>{title}</Styled>
      {rest.map((line, i) => (
        <Text key={i} wrap="wrap">
          {line}
        </Text>
      ))}
    </Box>
  );
}
