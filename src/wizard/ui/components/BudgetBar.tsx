/**
 * The memory budget as one stacked bar against the physical memory. Each item fills its share with
 * its own letter (O os, R runtime, W weights, …) so the bar reads without colour too.
 */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { BudgetItem, BudgetKey } from '../../../plan/core/budget.js';
import { formatGiB } from '../../../shared/units.js';
import { Styled, type Tone } from './Styled.js';

export const BAR_LETTERS: Record<BudgetKey, { letter: string; tone: Tone; short: string }> = {
  os: { letter: 'O', tone: 'gray', short: 'OS' },
  runtime: { letter: 'R', tone: 'blue', short: 'runtime' },
  container: { letter: 'C', tone: 'blue', short: 'container' },
  weights: { letter: 'W', tone: 'magenta', short: 'weights' },
  activations: { letter: 'A', tone: 'cyan', short: 'activations' },
  cudaGraphs: { letter: 'G', tone: 'cyan', short: 'graphs' },
  sampler: { letter: 'S', tone: 'cyan', short: 'sampler' },
  kvCache: { letter: 'K', tone: 'green', short: 'KV cache' },
  stateCache: { letter: 'M', tone: 'green', short: 'state cache' },
  swapSpace: { letter: 'P', tone: 'red', short: 'pinned swap' },
};

export interface BudgetBarProps {
  items: BudgetItem[];
  limitBytes: number;
  /** Characters for the whole physical memory. */
  width: number;
}

/** Splits `width` cells among the items in proportion (largest remainder), over-limit shown past a "|". */
export function layoutBar(items: BudgetItem[], limitBytes: number, width: number): { key: BudgetKey; cells: number }[] {
  const total = items.reduce((s, i) => s + i.bytes, 0);
  const scale = width / Math.max(limitBytes, total);
  const raw = items.map((i) => ({ key: i.key, exact: i.bytes * scale }));
  const cells = raw.map((r) => ({ key: r.key, cells: Math.floor(r.exact), rest: r.exact - Math.floor(r.exact) }));
  let left = Math.round(total * scale) - cells.reduce((s, c) => s + c.cells, 0);
  for (const c of [...cells].sort((a, b) => b.rest - a.rest)) {
    if (left <= 0) break;
    c.cells += 1;
    left -= 1;
  }
  return cells.map(({ key, cells: n }) => ({ key, cells: n }));
}

export function BudgetBar({ items, limitBytes, width }: BudgetBarProps): ReactNode {
  const total = items.reduce((s, i) => s + i.bytes, 0);
  const layout = layoutBar(items, limitBytes, width);
  const limitCell = Math.round((limitBytes / Math.max(limitBytes, total)) * width);
  const used = layout.reduce((s, l) => s + l.cells, 0);
  const free = Math.max(0, limitCell - used);
  let position = 0;
  const pieces: ReactNode[] = [];
  for (const { key, cells } of layout) {
    if (cells <= 0) continue;
    const meta = BAR_LETTERS[key];
    // Cells past the physical limit are drawn in red: memory that is not there.
    const inside = Math.max(0, Math.min(cells, limitCell - position));
    if (inside > 0)
      pieces.push(
        <Styled key={`${key}-in`} tone={meta.tone}>
          {meta.letter.repeat(inside)}
        </Styled>,
      );
    if (cells - inside > 0) {
      if (position + inside === limitCell) pieces.push(<Text key="limit">|</Text>);
      pieces.push(
        <Styled key={`${key}-out`} tone="red" inverse>
          {meta.letter.repeat(cells - inside)}
        </Styled>,
      );
    }
    position += cells;
  }
  if (free > 0)
    pieces.push(
      <Styled key="free" dim>
        {'·'.repeat(free)}
      </Styled>,
    );
  // Over the limit by less than the drawn cells: still mark where the physical memory ends.
  if (total > limitBytes && position <= limitCell) pieces.push(<Text key="limit-end">|</Text>);
  return (
    <Box flexDirection="column">
      <Text>
        [{pieces}
        {total <= limitBytes ? ']' : ''}
      </Text>
      {/* The legend in the same unit words as every other screen (GiB); each entry wraps whole, so no wrapped
          line starts with a space. */}
      <Box flexWrap="wrap" columnGap={2}>
        {items
          .filter((i) => i.bytes > 0)
          .map((i) => (
            <Text key={i.key}>{`${BAR_LETTERS[i.key].letter} ${BAR_LETTERS[i.key].short} ${formatGiB(i.bytes)}`}</Text>
          ))}
        <Text>{`· free ${formatGiB(Math.max(0, limitBytes - total))}`}</Text>
      </Box>
    </Box>
  );
}
