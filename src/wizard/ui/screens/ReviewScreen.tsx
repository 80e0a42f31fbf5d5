/** Step 5: the exact command, the reason for every flag, and what to do with it. */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import type { Plan } from '../../../plan/core/plan.js';
import type { ReviewAction } from '../../core/wizard.js';
import { SelectIndicator, SelectItem } from '../components/SelectParts.js';
import { Styled } from '../components/Styled.js';
import { VERDICT_TEXT } from './BudgetScreen.js';

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

export function ReviewScreen({ plan, notesHeight, onAction }: ReviewScreenProps): ReactNode {
  const flagNotes = plan.notes.filter((n) => n.startsWith('--'));
  const shown = flagNotes.slice(0, Math.max(1, notesHeight));
  const verdict = VERDICT_TEXT[plan.verdict];
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
        {shown.map((n) => (
          <Text key={n} wrap="truncate-end">
            <Styled dim>{'· '}</Styled>
            {n}
          </Text>
        ))}
        {flagNotes.length > shown.length ? (
          <Styled dim>… {flagNotes.length - shown.length} more (jetson-vllm plan … shows all)</Styled>
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
