/** Colour that can be switched off (NO_COLOR, --no-color, no TTY): every coloured text goes through here. */
import { createContext, useContext, type ReactNode } from 'react';
import { Text } from 'ink';

export const ColorContext = createContext(true);

export type Tone = 'green' | 'yellow' | 'red' | 'cyan' | 'blue' | 'magenta' | 'gray' | 'white';

/** Text in a colour when colour is on; plain text otherwise (bold and inverse still apply). */
export function Styled(props: {
  tone?: Tone;
  bold?: boolean;
  inverse?: boolean;
  dim?: boolean;
  children: ReactNode;
}): ReactNode {
  const isColor = useContext(ColorContext);
  return (
    <Text
      {...(isColor && props.tone !== undefined ? { color: props.tone } : {})}
      bold={props.bold ?? false}
      inverse={props.inverse ?? false}
      dimColor={isColor && (props.dim ?? false)}
    >
      {props.children}
    </Text>
  );
}
