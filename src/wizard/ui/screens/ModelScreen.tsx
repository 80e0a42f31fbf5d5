/** Step 2: the model catalog, filterable, each row with its size class and whether it can fit at all. */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { ListState } from '../../core/wizard.js';
import type { ModelRow } from '../../core/wizard-view.js';
import { ListSelect } from '../components/ListSelect.js';
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

export function ModelScreen({
  deviceName,
  rows,
  entry = null,
  list,
  listHeight,
  onChoose,
  onHighlight,
}: ModelScreenProps): ReactNode {
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
      {rows.length === 0 ? (
        <Styled tone="yellow">
          No model matches "{list.filter}". Any Hugging Face id or folder: jetson-vllm plan --model ./folder
        </Styled>
      ) : (
        <ListSelect
          rows={rows.map((r) => ({ key: r.model.id, label: r.label, tone: FIT_TONE[r.fit] }))}
          limit={Math.max(3, listHeight)}
          isFiltering={list.isFiltering}
          isFocused={entry === null}
          onSelect={onChoose}
          onHighlight={(key) => onHighlight(rows.findIndex((r) => r.model.id === key))}
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
