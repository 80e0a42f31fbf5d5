/** Step 6: vLLM starting (the launch session) — its stages, its log, its figures next to the plan's; a failure's cause, the
 * re-planned fix and a one-key retry. */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { LaunchSession } from '../../../launch/core/session.js';
import { Styled } from '../components/Styled.js';
import { wrapHanging } from '../../core/wrap.js';

export interface LaunchScreenProps {
  session: LaunchSession;
  /** Lines and columns the screen may use. */
  height: number;
  width: number;
}

function headline(session: LaunchSession): ReactNode {
  const attempt = session.attempt > 1 ? ` (attempt ${session.attempt})` : '';
  switch (session.status) {
    case 'starting':
      return <Styled bold>Starting vLLM{attempt}…</Styled>;
    case 'ready':
      return (
        <Styled tone="green" bold>
          Ready{attempt}: {session.url}
        </Styled>
      );
    case 'stopping':
      return <Styled tone="yellow">Stopping the server…</Styled>;
    case 'ended': {
      const o = session.outcome;
      if (o === null || o.kind === 'stopped') return <Styled bold>Stopped{attempt}: the server is not running</Styled>;
      return (
        <Styled tone="red" bold>
          {o.title !== null ? `Failed${attempt}: ${o.title}` : `${o.message}${attempt}`}
        </Styled>
      );
    }
    default: {
      const unreachable: never = session.status;
      throw new Error(`unknown status ${String(unreachable)}`);
    }
  }
}

/** What the failure block says, as lines (cause, log line, fix). */
export function failureLines(session: LaunchSession): { text: string; tone?: 'red' | 'cyan' | 'yellow' }[] {
  const o = session.outcome;
  if (o === null || o.kind === 'stopped') return [];
  const lines: { text: string; tone?: 'red' | 'cyan' | 'yellow' }[] = [];
  if (o.kind === 'watchdog' && session.watchdog !== null) lines.push({ text: `watchdog: ${session.watchdog}` });
  if (o.cause !== null) lines.push({ text: `cause: ${o.cause}` });
  if (o.logLine !== null) lines.push({ text: `log: ${o.logLine}`, tone: 'red' });
  if (o.retry !== null) {
    lines.push({ text: `fix: ${o.retry.changedFlags.join(' ')} → ${o.retry.verdict.toUpperCase()}`, tone: 'cyan' });
    lines.push({ text: 'r retries with the fix' });
  } else if (o.command !== null) {
    lines.push({ text: `fix: ${o.advice ?? ''}` });
    lines.push({ text: `run: ${o.command}`, tone: 'cyan' });
    lines.push({ text: 'r launches again once it is done' });
  } else {
    if (o.advice !== null) lines.push({ text: o.advice });
    if (o.title === null) lines.push({ text: o.message });
    lines.push({ text: 'r launches again' });
  }
  return lines;
}

export function LaunchScreen({ session, height, width }: LaunchScreenProps): ReactNode {
  const failure = failureLines(session);
  // What must stay on screen comes first: the headline and command, the failure (its cause wraps: it
  // is the explanation), vLLM's figures; then the latest stages; the log tail gets what is left.
  const cols = Math.max(20, width - 2);
  const rowsOf = (text: string): number => Math.max(1, Math.ceil((text.length * 1.15) / cols));
  // The failure's lines wrap whole under a hanging indent (Ink's own wrap starts a row with the space it broke at).
  const failureWrapped = failure.map((l) => ({ tone: l.tone, rows: wrapHanging(l.text, cols, 2) }));
  const failureRows = failure.length > 0 ? 1 + failureWrapped.reduce((n, l) => n + l.rows.length, 0) : 0;
  // The exact command, whole (it wraps).
  let left = height - 1 - rowsOf(`$ ${session.command}`) - failureRows;
  // Where the failure's full log is kept: "full log:" then the path (a long one wraps onto its own rows),
  // shown when the screen still has a row for a stage under it.
  const logPath = failure.length > 0 ? session.logPath : null;
  const logRows = logPath === null ? 0 : 1 + rowsOf(logPath);
  const isLogPathShown = logPath !== null && left - logRows >= 1;
  if (isLogPathShown) left -= logRows;
  const allComparison = session.status === 'ready' || session.status === 'ended' ? session.comparison : [];
  const comparison = allComparison.slice(0, Math.max(0, left - 2));
  left -= comparison.length + 1;
  const stages = session.stages.slice(-Math.max(1, Math.min(8, left)));
  left -= Math.max(1, stages.length);
  // vLLM's lines wrap whole (a hanging indent under each); the newest rows that fit are shown.
  const tail = left > 1 ? session.tail.flatMap((l) => wrapHanging(l, cols, 2)).slice(-(left - 1)) : [];
  const hasFailed = session.status === 'ended' && session.outcome !== null && session.outcome.kind !== 'stopped';
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">{headline(session)}</Text>
      <Text wrap="wrap">
        <Styled dim>$ </Styled>
        <Styled tone="cyan">{session.command}</Styled>
      </Text>
      <Box flexDirection="column" marginTop={1}>
        {stages.map((s, i) => (
          <Text key={`${s.text}-${i}`} wrap="truncate-end">
            <Styled dim>{`${s.elapsedS.toFixed(1).padStart(6)}s `}</Styled>
            {i < stages.length - 1 ? '✓ ' : session.status === 'starting' ? '… ' : hasFailed ? '✗ ' : '✓ '}
            {s.text}
          </Text>
        ))}
        {stages.length === 0 && session.status === 'starting' ? (
          <Styled dim>waiting for vLLM's first line…</Styled>
        ) : null}
      </Box>
      {comparison.map((line) => (
        <Text key={line} wrap="truncate-end">
          {line}
        </Text>
      ))}
      {failure.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          {failureWrapped.flatMap((l, i) =>
            l.rows.map((row, j) => (
              <Text key={`${i}-${j}`}>{l.tone !== undefined ? <Styled tone={l.tone}>{row}</Styled> : row}</Text>
            )),
          )}
          {isLogPathShown ? <Text wrap="wrap">full log: {logPath}</Text> : null}
        </Box>
      ) : null}
      {tail.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          {tail.map((line, i) => (
            <Text key={`${i}-${line}`}>
              <Styled dim>{line}</Styled>
            </Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}
