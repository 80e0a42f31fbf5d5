/** Step 3: the variants of the model, with weight size, the context each leaves, and why one cannot run. */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import type { VariantRow } from '../../core/wizard-view.js';
import { SelectIndicator, SelectItem } from '../components/SelectParts.js';
import { Styled } from '../components/Styled.js';

export interface QuantScreenProps {
  modelName: string;
  deviceName: string;
  rows: VariantRow[];
  cursor: number;
  listHeight: number;
  onChoose: (id: string) => void;
  onHighlight: (index: number) => void;
}

const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(1)} GiB`;

/** One line per variant: id, weights, what it leaves. */
export function describeVariant(r: VariantRow): string {
  const what =
    r.fit === 'unsupported'
      ? `cannot run: ${r.reason ?? ''}`
      : r.fit === 'too-big'
        ? 'does not fit'
        : `up to ${r.maxContext ?? 0} tokens (1 sequence)${r.fit === 'tight' ? ', tight' : ''}`;
  return `${r.quant.id.padEnd(14)} ${gib(r.weightBytes).padStart(9)}  ${what}`;
}

export function QuantScreen({
  modelName,
  deviceName,
  rows,
  cursor,
  listHeight,
  onChoose,
  onHighlight,
}: QuantScreenProps): ReactNode {
  const items = rows.map((r) => ({ key: r.quant.id, label: describeVariant(r), value: r.quant.id }));
  const current = rows[cursor];
  return (
    <Box flexDirection="column">
      <Text>
        <Styled bold>{modelName}</Styled> on {deviceName}: choose the quantization
      </Text>
      <Styled dim>
        {'id'.padEnd(16)}
        {'weights'.padStart(9)} context it leaves (estimate)
      </Styled>
      {/* Mounted afresh for another list, so it starts on `cursor` (the first variant that fits, until moved). */}
      <SelectInput
        key={items.map((i) => i.value).join('\n')}
        initialIndex={Math.min(cursor, Math.max(0, items.length - 1))}
        indicatorComponent={SelectIndicator}
        itemComponent={SelectItem}
        items={items}
        limit={Math.max(3, listHeight)}
        onSelect={(item) => onChoose(item.value)}
        onHighlight={(item) => onHighlight(items.findIndex((i) => i.value === item.value))}
      />
      {current !== undefined ? (
        <Text wrap="truncate-end">
          <Styled dim>
            {current.quant.repo}
            {current.quant.file !== undefined ? ` · ${current.quant.file}` : ''}
          </Styled>
        </Text>
      ) : null}
    </Box>
  );
}
