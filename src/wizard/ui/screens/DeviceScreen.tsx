/** Step 1: what was detected (each value with its source, doctor's warnings and fixes), or a list of presets. */
import type { ReactNode } from 'react';
import { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import type { Detection, ListState } from '../../core/wizard.js';
import type { DeviceRow } from '../../core/wizard-view.js';
import { ListSelect } from '../components/ListSelect.js';
import { Styled } from '../components/Styled.js';
import { useTerminalSize } from '../hooks/useTerminalSize.js';
import { wrapHanging } from '../../core/wrap.js';

export interface DeviceScreenProps {
  detection: Detection;
  rows: DeviceRow[];
  list: ListState;
  /** Lines the list may take. */
  listHeight: number;
  onChoose: (row: DeviceRow) => void;
  onHighlight: (index: number) => void;
}

/** The prefix of a fix line; its wrapped lines start under the fix. */
const FIX_PREFIX = '    fix: ';

/** The rows a warning takes once wrapped: its summary, then its fix (whole, never cut). */
export function wrapWarning(
  warning: { status: string; summary: string; fix: string | null },
  width: number,
): { summary: string[]; fix: string[] } {
  const summary = wrapHanging(`${warning.status === 'fail' ? '✗ ' : '! '}${warning.summary}`, width, 2);
  // "fix: …" wrapped 4 columns narrower, then indented: its lines start under the fix's first word.
  const fix = warning.fix === null ? [] : wrapHanging(`fix: ${warning.fix}`, width - 4, 5).map((line) => `    ${line}`);
  return { summary, fix };
}

/**
 * How the checks are shown: 'full' (every summary and fix wrapped whole), 'compact' (a summary a line, the fixes
 * behind "d", when whole they would push the list off an 80×24 screen); "d" then shows only the checks, whole.
 */
type SummaryMode = 'full' | 'compact';

function Warnings({
  warnings,
  width,
}: {
  warnings: { id: string; status: string; summary: string; fix: string | null }[];
  width: number;
}): ReactNode {
  return (
    <>
      {warnings.map((w) => {
        const wrapped = wrapWarning(w, width);
        return (
          <Box key={w.id} flexDirection="column">
            {wrapped.summary.map((line, i) => (
              <Text key={`s${i}`}>
                {i === 0 ? (
                  <>
                    <Styled tone={w.status === 'fail' ? 'red' : 'yellow'}>{line.slice(0, 2)}</Styled>
                    {line.slice(2)}
                  </>
                ) : (
                  line
                )}
              </Text>
            ))}
            {wrapped.fix.map((line, i) => (
              <Text key={`f${i}`}>
                {i === 0 ? (
                  <>
                    <Styled dim>{FIX_PREFIX}</Styled>
                    {line.slice(FIX_PREFIX.length)}
                  </>
                ) : (
                  line
                )}
              </Text>
            ))}
          </Box>
        );
      })}
    </>
  );
}

function DetectionSummary({
  detection,
  width,
  mode,
}: {
  detection: Detection;
  width: number;
  mode: SummaryMode;
}): ReactNode {
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
      {mode === 'full' ? <Warnings warnings={warnings} width={width} /> : null}
      {mode === 'compact' ? (
        <>
          {warnings.map((w) => (
            <Text key={w.id} wrap="truncate-end">
              <Styled tone={w.status === 'fail' ? 'red' : 'yellow'}>{w.status === 'fail' ? '✗ ' : '! '}</Styled>
              {w.summary}
            </Text>
          ))}
          <Styled tone="cyan">d: the checks with their fixes, whole</Styled>
        </>
      ) : null}
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
  // Keys are the device ids (not positions), so a list rebuilt under the cursor cannot pick another row.
  const idOf = (r: DeviceRow): string => (r.choice.kind === 'detected' ? 'detected' : r.choice.id);
  const { columns } = useTerminalSize();
  const width = Math.max(40, Math.min(columns, 120));
  // The frame counted two rows a warning; wrapped, they take more, and the list gives way (3 rows at least).
  const warnings = detection.status === 'done' ? detection.warnings : [];
  const extra = warnings.reduce((n, w) => {
    const wrapped = wrapWarning(w, width);
    return n + wrapped.summary.length + wrapped.fix.length - 2;
  }, 0);
  // Whole, the checks would leave the list under 3 rows: a line each, and "d" opens them whole.
  const isCompact = listHeight - extra < 3;
  const [isDetailsShown, setDetailsShown] = useState(false);
  useInput(
    (input) => {
      if (input === 'd') setDetailsShown((shown) => !shown);
    },
    { isActive: isCompact && !list.isFiltering },
  );
  if (isCompact && isDetailsShown) {
    return (
      <Box flexDirection="column">
        <Warnings warnings={warnings} width={width} />
        <Styled tone="cyan">d: back to the list</Styled>
      </Box>
    );
  }
  const limit = isCompact ? listHeight + warnings.length - 1 : listHeight - extra;
  return (
    <Box flexDirection="column">
      <DetectionSummary detection={detection} width={width} mode={isCompact ? 'compact' : 'full'} />
      <Box marginTop={1}>
        <Text>
          {list.isFiltering || list.filter !== '' ? `Filter: ${list.filter}${list.isFiltering ? '▏' : ''}  ` : ''}
          <Styled dim>{rows.length} devices</Styled>
        </Text>
      </Box>
      {rows.length === 0 ? (
        <Styled tone="yellow">No device matches "{list.filter}".</Styled>
      ) : (
        <ListSelect
          rows={rows.map((r) => ({
            key: idOf(r),
            label: r.label,
            ...(r.detail !== undefined ? { detail: r.detail } : {}),
          }))}
          limit={Math.max(3, limit)}
          isFiltering={list.isFiltering}
          onSelect={(key) => {
            const row = rows.find((r) => idOf(r) === key);
            if (row !== undefined) onChoose(row);
          }}
          onHighlight={(key) => onHighlight(rows.findIndex((r) => idOf(r) === key))}
        />
      )}
    </Box>
  );
}
