/**
 * `jetson-vllm models [--device <id>]`: the model presets; with a device, whether each variant fits.
 */
import { buildPlan } from './core/plan.js';
import type { Catalog } from '../catalog/core/presets-schema.js';
import { resolvePlanRequest, type PlanOptions } from './core/request.js';
import { UserError } from '../shared/errors.js';
import { findHfCacheDir } from './plan-command.js';
import type { VariantFit } from './core/format.js';

/** Plans every preset variant on the given device with the planner's choices. */
export function computeCatalogFits(options: PlanOptions, catalog: Catalog): VariantFit[] {
  const rows: VariantFit[] = [];
  for (const model of catalog.models) {
    for (const quant of model.quants) {
      const resolved = resolvePlanRequest({ ...options, model: model.id, quant: quant.id }, catalog, {
        detected: null,
        described: null,
        hfCacheDir: findHfCacheDir(),
        workDir: process.cwd(),
      });
      if (!resolved.ok) throw new UserError(resolved.message);
      const outcome = buildPlan(resolved.request, catalog);
      rows.push(
        outcome.ok
          ? {
              model: model.id,
              quant: quant.id,
              weightBytes: outcome.plan.quant.weightBytes,
              verdict: outcome.plan.verdict,
              maxModelLen: outcome.plan.fits.maxModelLen,
              reason: null,
            }
          : {
              model: model.id,
              quant: quant.id,
              weightBytes: 0,
              verdict: 'unsupported',
              maxModelLen: null,
              reason: outcome.message,
            },
      );
    }
  }
  return rows;
}
