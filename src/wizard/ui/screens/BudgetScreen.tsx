/** Step 4: the budget bar, the verdict and why, the knobs (adjusted with ←/→), and what fits. */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { Plan } from '../../../plan/core/plan.js';
import type { FitSymbol } from '../../core/wizard-view.js';
import { BUDGET_KNOBS, KNOB_LABEL, type BudgetKnob } from '../../core/budget-knobs.js';
import { BudgetBar } from '../components/BudgetBar.js';
import { Styled, type Tone } from '../components/Styled.js';

export interface BudgetScreenProps {
  /** The plan, or the one line of why there is none. */
  plan: { ok: true; plan: Plan } | { ok: false; message: string };
  focus: number;
  /** "planner" or "vllm": who chose the knobs left open. */
  defaults: 'planner' | 'vllm';
  /** Knobs the user set in the wizard (shown as "set"). */
  userKnobs: ReadonlySet<string>;
  /** The number being typed on the focused knob, or null. */
  entry?: string | null;
  table: { contexts: number[]; seqs: number[]; cells: FitSymbol[][] } | null;
  width: number;
}

const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(1)} GiB`;

export const VERDICT_TEXT: Record<Plan['verdict'], { text: string; tone: Tone }> = {
  fits: { text: 'FITS', tone: 'green' },
  tight: { text: 'TIGHT', tone: 'yellow' },
  oom: { text: 'WILL BE KILLED', tone: 'red' },
  'max-len': { text: 'vLLM WILL REFUSE TO START', tone: 'red' },
  'startup-check': { text: 'vLLM WILL REFUSE TO START AT ITS FREE-MEMORY CHECK', tone: 'red' },
  unsupported: { text: 'vLLM WILL REFUSE THIS MODEL', tone: 'red' },
};

const SYMBOL: Record<FitSymbol, { ch: string; tone: Tone }> = {
  fits: { ch: '✓', tone: 'green' },
  tight: { ch: '~', tone: 'yellow' },
  oom: { ch: '✗', tone: 'red' },
  'max-len': { ch: '✗', tone: 'red' },
  'startup-check': { ch: '✗', tone: 'red' },
  unsupported: { ch: '✗', tone: 'red' },
};

function knobValue(plan: Plan, knob: BudgetKnob, defaults: 'planner' | 'vllm'): string {
  switch (knob) {
    case 'maxModelLen':
      return String(plan.settings.maxModelLen);
    case 'maxNumSeqs':
      return String(plan.settings.maxNumSeqs);
    case 'enforceEager':
      return plan.settings.enforceEager ? 'on' : 'off';
    case 'kvCacheDtype':
      return plan.settings.kvCacheDtype;
    case 'vllmVersion':
      return `${plan.vllm.version} (${plan.vllm.engine.toUpperCase()})`;
    case 'defaults':
      return defaults === 'planner' ? "planner's" : "vLLM's defaults";
    default: {
      const unreachable: never = knob;
      return String(unreachable);
    }
  }
}

const shortLen = (n: number): string => (n >= 1024 && n % 1024 === 0 ? `${n / 1024}k` : String(n));

export function BudgetScreen({
  plan,
  focus,
  defaults,
  userKnobs,
  entry = null,
  table,
  width,
}: BudgetScreenProps): ReactNode {
  if (!plan.ok) {
    return (
      <Box flexDirection="column">
        <Styled tone="red">No plan: {plan.message}</Styled>
        <Text>Go back (Esc) and choose another variant or device.</Text>
      </Box>
    );
  }
  const p = plan.plan;
  const verdict = VERDICT_TEXT[p.verdict];
  const over = p.budget.totalBytes - p.budget.limitBytes;
  const why =
    p.refusal !== null
      ? `vLLM would say: ${p.refusal.message}`
      : (p.notes.find((n) => /needed, .* there|only .* left/.test(n)) ?? '');
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Styled bold>{p.model.name}</Styled> {p.quant.id} · {p.device.name} · vLLM {p.vllm.version}
      </Text>
      <BudgetBar
        items={p.budget.items.filter((i) => p.device.isUnified || i.key !== 'swapSpace')}
        limitBytes={p.budget.limitBytes}
        width={Math.max(20, width - (p.budget.totalBytes > p.budget.limitBytes ? 3 : 2))}
      />
      <Text wrap="truncate-end">
        Verdict:{' '}
        <Styled tone={verdict.tone} bold>
          {verdict.text}
        </Styled>
        {'  '}
        {gib(p.budget.totalBytes)} of {gib(p.budget.limitBytes)}
        {over > 0 ? `, ${gib(over)} over` : `, ${gib(-over)} left`}
        <Styled dim> (estimate)</Styled>
      </Text>
      {why !== '' ? (
        <Text wrap="wrap">
          <Styled dim>{why}</Styled>
        </Text>
      ) : null}
      <Box marginTop={1}>
        <Box flexDirection="column" width={Math.min(40, Math.floor(width / 2))}>
          {BUDGET_KNOBS.map((knob, i) => (
            <Text key={knob}>
              {i === focus ? <Styled inverse>{'›'}</Styled> : ' '} {KNOB_LABEL[knob].padEnd(15)}
              {i === focus && entry !== null ? (
                <Styled inverse>{`${entry}▏`}</Styled>
              ) : (
                <Styled bold={i === focus}>{knobValue(p, knob, defaults)}</Styled>
              )}
              {i === focus && entry !== null ? <Styled dim> Enter set</Styled> : null}
              {!(i === focus && entry !== null) && userKnobs.has(knob) ? <Styled dim> set</Styled> : null}
            </Text>
          ))}
        </Box>
        {table !== null && table.contexts.length > 0 ? (
          <Box flexDirection="column">
            <Text>
              <Styled dim>{'ctx \\ seqs'.padEnd(10)}</Styled>
              {table.seqs.map((s) => String(s).padStart(4)).join('')}
            </Text>
            {table.contexts.map((c, r) => (
              <Text key={c}>
                {shortLen(c).padEnd(10)}
                {table.seqs.map((s, k) => {
                  const cell = table.cells[r]?.[k] ?? 'oom';
                  return (
                    <Styled key={s} tone={SYMBOL[cell].tone}>
                      {SYMBOL[cell].ch.padStart(4)}
                    </Styled>
                  );
                })}
              </Text>
            ))}
            <Styled dim>✓ fits ~ tight ✗ no</Styled>
          </Box>
        ) : null}
      </Box>
      <Text wrap="truncate-end">
        <Styled dim>
          {p.fits.maxModelLen === null && p.fits.maxNumSeqs === null
            ? `Fits: nothing with these settings (${p.settings.maxNumSeqs} seq, ${p.settings.maxModelLen} tokens)`
            : `Fits at most: ${p.fits.maxModelLen ?? 0} tokens × ${p.settings.maxNumSeqs} seq; ${p.fits.maxNumSeqs ?? 0} seqs × ${p.settings.maxModelLen} tokens`}
        </Styled>
      </Text>
    </Box>
  );
}
