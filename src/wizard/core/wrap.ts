/**
 * Text wrapped for the wizard's 80-column screens: a long fix, reason or log line is never cut with "…" where a
 * command is shown; it wraps at spaces, and each following line starts under the text with a hanging indent (never
 * with a space of its own). A word longer than a line is split. Pure.
 */

/** Returns `text` wrapped to `width` columns; lines after the first start with `indent` spaces. */
export function wrapHanging(text: string, width: number, indent = 2): string[] {
  const w = Math.max(8, Math.floor(width));
  const pad = ' '.repeat(Math.max(0, Math.min(indent, w - 4)));
  const lines: string[] = [];
  const paragraphs = text.split('\n');
  for (const paragraph of paragraphs) {
    const words = paragraph.split(' ').filter((x) => x !== '');
    let line = lines.length === 0 ? '' : pad;
    let isEmpty = true;
    const push = (): void => {
      lines.push(line.trimEnd());
      line = pad;
      isEmpty = true;
    };
    for (const word of words) {
      let rest = word;
      while (rest !== '') {
        const room = w - [...line].length - (isEmpty ? 0 : 1);
        const chars = [...rest];
        if (chars.length <= room) {
          line += `${isEmpty ? '' : ' '}${rest}`;
          isEmpty = false;
          rest = '';
        } else if (!isEmpty) {
          push();
        } else {
          // A word longer than a whole line: split it.
          line += chars.slice(0, Math.max(1, room)).join('');
          rest = chars.slice(Math.max(1, room)).join('');
          push();
        }
      }
    }
    if (!isEmpty || words.length === 0) push();
  }
  return lines.length === 0 ? [''] : lines;
}
