/** Styled text for plain (non-Ink) output: ANSI colour only when asked (NO_COLOR, --no-color, no TTY). Pure. */
export interface Style {
  color: boolean;
}

const codes = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;

/** The text in the colour, or the text alone when colour is off. */
export function paint(style: Style, color: keyof typeof codes, text: string): string {
  return style.color ? `\u001b[${codes[color]}m${text}\u001b[0m` : text;
}
