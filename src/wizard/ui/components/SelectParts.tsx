/**
 * The pointer and item of ink-select-input, drawn through Styled so NO_COLOR / --no-color hold (the
 * library's own parts are always blue). The selected row is also bold, so it reads without colour.
 */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import { Styled } from './Styled.js';

export function SelectIndicator({ isSelected = false }: { isSelected?: boolean }): ReactNode {
  return <Box marginRight={1}>{isSelected ? <Styled tone="blue">❯</Styled> : <Text> </Text>}</Box>;
}

export function SelectItem({ isSelected = false, label }: { isSelected?: boolean; label: string }): ReactNode {
  return (
    <Styled {...(isSelected ? { tone: 'blue' as const } : {})} bold={isSelected}>
      {label}
    </Styled>
  );
}
