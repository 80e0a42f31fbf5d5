/** The frame every screen sits in: the steps on top, key hints and a notice at the bottom. */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { Step } from '../../core/wizard.js';
import { Styled } from './Styled.js';

const STEPS: { step: Step; label: string }[] = [
  { step: 'device', label: 'Device' },
  { step: 'model', label: 'Model' },
  { step: 'quant', label: 'Quantization' },
  { step: 'budget', label: 'Budget' },
  { step: 'review', label: 'Review' },
  { step: 'launch', label: 'Launch' },
];

export interface FrameProps {
  step: Step;
  /** Key hints for this screen ("↑↓ move  Enter choose"). */
  hints: string;
  notice: string | null;
  width: number;
  children: ReactNode;
}

export function Frame({ step, hints, notice, width, children }: FrameProps): ReactNode {
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Styled bold>jetson-vllm </Styled>
        {STEPS.map((s, i) => (
          <Text key={s.step}>
            {i > 0 ? ' › ' : ''}
            {s.step === step ? (
              <Styled inverse bold>
                {s.label}
              </Styled>
            ) : (
              <Styled dim>{s.label}</Styled>
            )}
          </Text>
        ))}
      </Box>
      <Box flexDirection="column" marginTop={1} flexGrow={1}>
        {children}
      </Box>
      {notice !== null ? <Styled tone="yellow">{notice}</Styled> : null}
      <Styled dim>{hints}</Styled>
    </Box>
  );
}
