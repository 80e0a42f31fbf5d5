/** Step 2: the model catalog, filterable, each row with its size class and whether it can fit at all. */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import type { ListState } from '../../core/wizard.js';
import type { ModelRow } from '../../core/wizard-view.js';
import { SelectIndicator } from '../components/SelectParts.js';
import { Styled, type Tone } from '../components/Styled.js';

export interface ModelScreenProps {
  deviceName: string;
  rows: ModelRow[];
  /** The model reference being typed ("m"), or null. */
  entry?: string | null;
  list: ListState;
  listHeight: number;
  onChoose: (id: string) => void;
  onHighlight: (index: number) => void;
}

const FIT_TONE: Record<ModelRow['fit'], Tone> = {
  fits: 'green',
  tight: 'yellow',
  'too-big': 'red',
  unsupported: 'red',
};

function ModelItem({
  isSelected = false,
  label,
  fit,
}: {
  isSelected?: boolean;
  label: string;
  fit: ModelRow['fit'];
}): ReactNode {
  return (
    <Text>
      <Styled tone={FIT_TONE[fit]} bold={isSelected}>
        {label}
      </Styled>
    </Text>
  );
}

export function ModelScreen({
  deviceName,
  rows,
  entry = null,
  list,
  listHeight,
  onChoose,
  onHighlight,
}: ModelScreenProps): ReactNode {
  const items = rows.map((r) => ({ key: r.model.id, label: r.label, value: r.model.id }));
  const fitByLabel = new Map(rows.map((r) => [r.label, r.fit]));
  const Item = ({ isSelected, label }: { isSelected?: boolean; label: string }): ReactNode => (
    <ModelItem isSelected={isSelected ?? false} label={label} fit={fitByLabel.get(label) ?? 'unsupported'} />
  );
  return (
    <Box flexDirection="column">
      <Text>
        Choose a model for <Styled bold>{deviceName}</Styled>
        <Styled dim> (fit: 256 tokens, 1 seq; estimate)</Styled>
      </Text>
      <Text>
        {list.isFiltering || list.filter !== '' ? `Filter: ${list.filter}${list.isFiltering ? '▏' : ''}  ` : ''}
        <Styled dim>{rows.length} models</Styled>
      </Text>
      {items.length === 0 ? (
        <Styled tone="yellow">
          No model matches "{list.filter}". Any Hugging Face id or folder: jetson-vllm plan --model ./folder
        </Styled>
      ) : (
        <SelectInput
          indicatorComponent={SelectIndicator}
          key={list.filter}
          items={items}
          limit={Math.max(3, listHeight)}
          isFocused={!list.isFiltering && entry === null}
          itemComponent={Item}
          onSelect={(item) => onChoose(item.value)}
          onHighlight={(item) => onHighlight(items.findIndex((i) => i.value === item.value))}
        />
      )}
      {entry !== null ? (
        <Text>
          Model (Hugging Face id, folder or .gguf): <Styled bold>{entry}▏</Styled>
        </Text>
      ) : (
        <Styled dim>m: any other model — a Hugging Face id (org/name), a folder or a .gguf file</Styled>
      )}
    </Box>
  );
}
