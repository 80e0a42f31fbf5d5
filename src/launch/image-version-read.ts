/**
 * Asking an image which vLLM it carries, for prepareLaunch (an image already here) and runLaunch (an image it
 * has just pulled): a moving tag (`latest-jetson-orin`) is never trusted for the arithmetic, so the plan is
 * made again for the version inside when it is not the one the catalog listed the tag with
 * (src/launch/core/image-version.ts says why and how it is read).
 */
import { formatGiB } from '../shared/units.js';
import { buildPlan, type Plan, type PlanRequest } from '../plan/core/plan.js';
import type { Catalog } from '../catalog/core/presets-schema.js';
import { run } from '../process/exec.js';
import {
  buildImageVersionArgv,
  formatImageVersionNote,
  isMovingImageTag,
  parseImageVllmVersion,
  type ImageVersionNote,
} from './core/image-version.js';

/** The refusal of a plan whose verdict says it would not run (oom, max-len, startup-check, unsupported), or null. */
export function describeNotFitting(plan: Plan): string | null {
  if (plan.verdict === 'unsupported')
    return `not launched: vLLM ${plan.vllm.version} cannot load this model (see the verdict above)`;
  return plan.verdict === 'oom' || plan.verdict === 'max-len' || plan.verdict === 'startup-check'
    ? 'not launched: this plan would not fit (see the verdict above); change the knobs or let the planner choose them'
    : null;
}

/**
 * The vLLM inside an image (python3 prints its package version: no GPU needed, no import of vllm), and the
 * plan re-made for it when it is not the version the catalog listed the tag with.
 */
export async function readImageVersion(
  image: string,
  plan: Plan,
  request: PlanRequest,
  catalog: Catalog,
): Promise<{ note: ImageVersionNote; plan: Plan | null; request: PlanRequest }> {
  const assumed = plan.vllm.version;
  const r = await run('docker', buildImageVersionArgv(image), { timeoutMs: 120_000 });
  const version = r.exitCode === 0 ? parseImageVllmVersion(r.stdout) : null;
  if (version === null) {
    const said = `${r.stderr}\n${r.stdout}`.split('\n').findLast((l) => l.trim() !== '');
    const why = r.isTimedOut
      ? 'docker run took over 120 s'
      : (said?.trim().slice(0, 200) ?? `docker run exited with ${String(r.exitCode)}`);
    return { note: { kind: 'unread', image, assumed, why }, plan: null, request };
  }
  if (version === assumed) return { note: { kind: 'same', image, version }, plan: null, request };
  const next = { ...request, image, vllmVersion: version };
  const outcome = buildPlan(next, catalog);
  if (!outcome.ok) {
    return { note: { kind: 'unknown-release', image, version, assumed, why: outcome.message }, plan: null, request };
  }
  return { note: { kind: 'replanned', image, version, assumed }, plan: outcome.plan, request: next };
}

/** What a launch does once the image it pulled said which vLLM it carries. */
export type PulledImageCheck =
  /** Started with this plan (the one it had, or the one re-made for the image's vLLM); `note` is said first. */
  | { ok: true; note: string | null; plan: Plan; request: PlanRequest }
  /** Not started: the plan re-made for the image's vLLM would not fit (`message` says so, exit 3). */
  | { ok: false; note: string; message: string; plan: Plan };

/**
 * Checks a plan against the image just pulled for it, before its container starts: a moving tag is read
 * (as prepareLaunch reads one already here), and the plan re-made for the vLLM inside when that differs; an
 * image whose tag names its vLLM is not read (note null). A version read but not plannable, or not read at
 * all, leaves the plan as it was (the note says it is an estimate).
 */
export async function checkPulledImage(plan: Plan, request: PlanRequest, catalog: Catalog): Promise<PulledImageCheck> {
  const image = plan.image;
  if (plan.runtime !== 'docker' || image === null || !isMovingImageTag(image))
    return { ok: true, note: null, plan, request };
  const read = await readImageVersion(image, plan, request, catalog);
  const note = formatImageVersionNote(read.note);
  if (read.plan === null) return { ok: true, note, plan, request };
  const next = read.plan;
  if (describeNotFitting(next) === null) return { ok: true, note, plan: next, request: read.request };
  // No plan was shown for this version (the one shown was made for the tag's listed version): its figures here.
  if (next.verdict === 'unsupported') {
    const why = next.refusal?.message ?? 'it cannot load this model';
    return {
      ok: false,
      note,
      message: `not launched: the image carries vLLM ${next.vllm.version}: ${why}`,
      plan: next,
    };
  }
  const { totalBytes, limitBytes } = next.budget;
  const message = `not launched: the plan for vLLM ${next.vllm.version} would not fit (${next.verdict.toUpperCase()}: ${formatGiB(totalBytes)} needed, ${formatGiB(limitBytes)} there); change the knobs or let the planner choose them`;
  return { ok: false, note, message, plan: next };
}
