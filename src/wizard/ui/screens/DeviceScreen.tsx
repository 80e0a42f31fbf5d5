/** Step 1: what was detected (each value with its source, doctor's warnings and fixes), or a list of presets. */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import type { Detection, ListState } from '../../core/wizard.js';
import type { DeviceRow } from '../../core/wizard-view.js';
import { SelectIndicator, SelectItem } from '../components/SelectParts.js';
import { Styled } from '../components/Styled.js';

export interface DeviceScreenProps {
  detection: Detection;
  rows: DeviceRow[];
  list: ListState;
  /** Lines the list may take. */
  listHeight: number;
  onChoose: (row: DeviceRow) => void;
  onHighlight: (index: number) => void;
}

function DetectionSummary({ detection }: { detection: Detection }): ReactNode {
  if (detection.status === 'loading')
    return <Styled tone="cyan">Detecting this device… (pick a preset meanwhile)</Styled>;
  if (detection.status === 'failed')
    return <Styled tone="yellow">Detection failed: {detection.reason}. Pick a device to plan for.</Styled>;
  const { identification, rows, warnings } = detection;
  if (identification.kind === 'none') {
    return <Text>Not a Jetson and no NVIDIA GPU here ({identification.source}). Pick a device to plan for:</Text>;
  }
  return (
    <Box flexDirection="column">
      <Text>
        <Styled bold>{identification.name}</Styled>
        {identification.kind === 'discrete' ? ' (not a Jetson)' : ''}
        <Styled dim> — {identification.source}</Styled>
      </Text>
      {rows.map((r) => (
        <Text key={r.label} wrap="truncate-end">
          {'  '}
          {r.label.padEnd(10)} {r.value}
          <Styled dim> ({r.source})</Styled>
        </Text>
      ))}
      {warnings.map((w) => (
        <Box key={w.id} flexDirection="column">
          <Text wrap="truncate-end">
            <Styled tone={w.status === 'fail' ? 'red' : 'yellow'}>{w.status === 'fail' ? '✗ ' : '! '}</Styled>
            {w.summary}
          </Text>
          {w.fix !== null ? (
            <Text wrap="truncate-end">
              <Styled dim>{'    fix: '}</Styled>
              {w.fix}
            </Text>
          ) : null}
        </Box>
      ))}
    </Box>
  );
}

export function DeviceScreen({
  detection,
  rows,
  list,
  listHeight,
  onChoose,
  onHighlight,
}: DeviceScreenProps): ReactNode {
  // Values are the device ids (not positions), so a list rebuilt under the cursor cannot pick another row.
  const idOf = (r: DeviceRow): string => (r.choice.kind === 'detected' ? 'detected' : r.choice.id);
  const items = rows.map((r) => ({ key: idOf(r), label: r.label, value: idOf(r) }));
  return (
    <Box flexDirection="column">
      <DetectionSummary detection={detection} />
      <Box marginTop={1}>
        <Text>
          {list.isFiltering || list.filter !== '' ? `Filter: ${list.filter}${list.isFiltering ? '▏' : ''}  ` : ''}
          <Styled dim>{rows.length} devices</Styled>
        </Text>
      </Box>
      {items.length === 0 ? (
        <Styled tone="yellow">No device matches "{list.filter}".</Styled>
      ) : (
        <SelectInput
          indicatorComponent={SelectIndicator}
          itemComponent={SelectItem}
          key={list.filter}
          items={items}
          limit={Math.max(3, listHeight)}
          isFocused={!list.isFiltering}
          onSelect={(item) => {
            const row = rows.find((r) => idOf(r) === item.value);
            if (row !== undefined) onChoose(row);
          }}
          onHighlight={(item) => onHighlight(rows.findIndex((r) => idOf(r) === item.value))}
        />
      )}
    </Box>
  );
}
