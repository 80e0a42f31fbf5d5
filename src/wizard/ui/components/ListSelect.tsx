/**
 * A list for the device and model screens that keeps working while a "/" filter is typed: ↑↓ move within the
 * matches and Enter chooses (j/k move only when no filter is being typed, so they can be typed into it). Each row
 * shows its name, with what identifies it (an id, a size) dimmed after it.
 */
import type { ReactNode } from 'react';
import { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { SelectIndicator } from './SelectParts.js';
import { Styled, type Tone } from './Styled.js';

/** One row: its key, its name, what is shown dimmed after it, and a colour for the name. */
export interface ListRow {
  key: string;
  label: string;
  detail?: string;
  tone?: Tone;
}

export interface ListSelectProps {
  rows: ListRow[];
  /** Rows shown at once; the window follows the cursor. */
  limit: number;
  /** A filter is being typed: letters go to it, not to j/k. */
  isFiltering: boolean;
  /** Keys are taken by something else (a model reference being typed). */
  isFocused?: boolean;
  onSelect: (key: string) => void;
  onHighlight: (key: string) => void;
}

export function ListSelect({
  rows,
  limit,
  isFiltering,
  isFocused = true,
  onSelect,
  onHighlight,
}: ListSelectProps): ReactNode {
  // A new filter gives a new list: the cursor goes back to its first row (kept with the list it was moved in).
  const signature = rows.map((r) => r.key).join('\n');
  const [moved, setMoved] = useState({ signature, cursor: 0 });
  const count = rows.length;
  const at = moved.signature === signature ? Math.min(moved.cursor, Math.max(0, count - 1)) : 0;
  useInput(
    (input, key) => {
      if (count === 0) return;
      const up = key.upArrow === true || (!isFiltering && input === 'k');
      const down = key.downArrow === true || (!isFiltering && input === 'j');
      if (up || down) {
        const next = (at + (down ? 1 : -1) + count) % count;
        setMoved({ signature, cursor: next });
        const row = rows[next];
        if (row !== undefined) onHighlight(row.key);
        return;
      }
      if (key.return === true) {
        const row = rows[at];
        if (row !== undefined) onSelect(row.key);
      }
    },
    { isActive: isFocused },
  );
  const size = Math.max(1, Math.min(limit, count));
  const start = Math.min(Math.max(0, at - size + 1), Math.max(0, count - size));
  return (
    <Box flexDirection="column">
      {rows.slice(start, start + size).map((r, i) => {
        const isSelected = start + i === at;
        return (
          <Box key={r.key}>
            <SelectIndicator isSelected={isSelected} />
            <Text wrap="truncate-end">
              <Styled
                {...(r.tone !== undefined ? { tone: r.tone } : isSelected ? { tone: 'blue' as const } : {})}
                bold={isSelected}
              >
                {r.label}
              </Styled>
              {r.detail !== undefined && r.detail !== '' ? <Styled dim>{`  ${r.detail}`}</Styled> : null}
            </Text>
          </Box>
        );
      })}
    </Box>
  );
}
