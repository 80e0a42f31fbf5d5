/** Step 5: the exact command, the reason for every flag, and what to do with it. */
import type { ReactNode } from 'react';
import { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import type { Plan } from '../../../plan/core/plan.js';
import type { ReviewAction } from '../../core/wizard.js';
import { SelectIndicator, SelectItem } from '../components/SelectParts.js';
import { Styled } from '../components/Styled.js';
import { VERDICT_TEXT } from './BudgetScreen.js';
import { useTerminalSize } from '../hooks/useTerminalSize.js';
import { wrapHanging } from '../../core/wrap.js';

export interface ReviewScreenProps {
  plan: Plan;
  /** Lines the notes may take. */
  notesHeight: number;
  onAction: (action: ReviewAction) => void;
}

const ACTIONS: { label: string; value: ReviewAction }[] = [
  { label: 'Launch', value: 'launch' },
  { label: 'Copy the command (printed when the wizard exits)', value: 'copy' },
  { label: 'Save the recipe', value: 'save' },
  { label: 'Back to the budget', value: 'back' },
];

/** Returns the reasons to show from `offset`: whole reasons, wrapped, as many as `height` rows hold (one at least). */
export function pageReasons(
  notes: readonly string[],
  offset: number,
  height: number,
  width: number,
): { lines: string[]; shown: number } {
  const lines: string[] = [];
  let shown = 0;
  for (const note of notes.slice(offset)) {
    const wrapped = wrapHanging(`· ${note}`, width, 2);
    if (shown > 0 && lines.length + wrapped.length > height) break;
    lines.push(...wrapped);
    shown++;
  }
  return { lines, shown };
}

export function ReviewScreen({ plan, notesHeight, onAction }: ReviewScreenProps): ReactNode {
  // Every reason: the flags' first, then the rest (a GGUF file to download first, estimates).
  const notes = [...plan.notes.filter((n) => n.startsWith('--')), ...plan.notes.filter((n) => !n.startsWith('--'))];
  const { columns } = useTerminalSize();
  const width = Math.max(40, Math.min(columns, 120)) - 2;
  const [offset, setOffset] = useState(0);
  const height = Math.max(1, notesHeight - 1);
  const page = pageReasons(notes, offset, height, width);
  const isPaged = offset > 0 || page.shown < notes.length;
  useInput(
    (input, key) => {
      if (key.pageDown === true || input === ']')
        setOffset((o) => Math.min(notes.length - 1, o + Math.max(1, page.shown)));
      if (key.pageUp === true || input === '[') setOffset((o) => Math.max(0, o - Math.max(1, page.shown)));
    },
    { isActive: isPaged },
  );
  const verdict = VERDICT_TEXT[plan.verdict];
  const left = notes.length - offset - page.shown;
  return (
    <Box flexDirection="column">
      <Text>
        Verdict:{' '}
        <Styled tone={verdict.tone} bold>
          {verdict.text}
        </Styled>{' '}
        · {plan.runtime}
        {plan.image !== null ? ` · ${plan.image}` : ''}
      </Text>
      <Box marginTop={1}>
        <Text wrap="wrap">
          <Styled tone="cyan">{plan.command}</Styled>
        </Text>
      </Box>
      <Box flexDirection="column" marginTop={1}>
        {page.lines.map((line, i) => (
          <Text key={`${offset}-${i}`}>
            {line.startsWith('· ') ? (
              <>
                <Styled dim>{'· '}</Styled>
                {line.slice(2)}
              </>
            ) : (
              line
            )}
          </Text>
        ))}
        {isPaged ? (
          <Styled dim>
            {`reasons ${offset + 1}–${offset + page.shown} of ${notes.length}${left > 0 ? `, ${left} more` : ''} · PgDn/] next, PgUp/[ back`}
          </Styled>
        ) : null}
      </Box>
      <Box marginTop={1}>
        <SelectInput
          indicatorComponent={SelectIndicator}
          itemComponent={SelectItem}
          items={ACTIONS.map((a) => ({ key: a.value, label: a.label, value: a.value }))}
          onSelect={(item) => onAction(item.value)}
        />
      </Box>
    </Box>
  );
}
