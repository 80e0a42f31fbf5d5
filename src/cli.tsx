/**
 * Entry point: parses argv, runs one command, and holds the only top-level catch. Screens (Ink,
 * React) are loaded with dynamic imports only when shown, so `plan` never loads them.
 */
import { parseCliArgs, type ParsedArgs } from './cli/args.js';
import { UserError } from './shared/errors.js';
import { MAIN_HELP, selectHelp } from './cli/help.js';
import type { LaunchOptions } from './launch/prepare.js';
import { hasTerminationHandlers, raiseTermination } from './process/signals.js';

declare const JETSON_VLLM_VERSION: string;

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function isColorWanted(args: ParsedArgs): boolean {
  const noColorEnv = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return !args.noColor && !noColorEnv && process.stdout.isTTY === true;
}

/**
 * For the monitor only: V8's "memory reducer for small heaps" runs two full GCs ~8 s after start-up as
 * soon as a heap that never had one has grown by 1 MiB — which the panel's start-up does. They would
 * shrink a ~5 MiB heap by ~1 MiB at the cost of ~25 ms of CPU (more than the panel's first 30 s of
 * drawing). Off, the heap is left as it is; ordinary GCs still run as it fills. The flag exists in the
 * V8 of Node 20–24 (11.x–13.x); any other V8 is left alone, since an unknown flag prints an error.
 */
async function keepSmallHeapAsIs(): Promise<void> {
  const major = Number(process.versions.v8.split('.')[0]);
  if (major < 11 || major > 13) return;
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--no-memory-reducer-for-small-heaps');
}

/** The launch options as args.ts checked them, for `launch` and the wizard's launch. */
function launchOptionsOf(args: ParsedArgs): LaunchOptions {
  return {
    memoryFloorMiB: args.memoryFloorMiB,
    stopGraceMs: args.stopGraceMs,
    stageTimeoutS: args.stageTimeoutS,
    detach: args.detach,
  };
}

async function run(argv: string[]): Promise<number> {
  const args = parseCliArgs(argv);
  if (args.command === 'version') {
    write(typeof JETSON_VLLM_VERSION === 'string' ? JETSON_VLLM_VERSION : 'dev');
    return 0;
  }
  if (args.help) {
    write(selectHelp(args.command));
    return 0;
  }
  if (args.root !== undefined) {
    const { stat } = await import('node:fs/promises');
    const isDir = await stat(args.root).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir)
      throw new UserError(`--root: ${args.root} is not a folder (give the folder a board's files were copied into)`);
  }
  // Everything past --version/--help loads on demand, so those answer at once.
  // The live panel runs for hours: it loads only what it draws with (the catalog only for --model).
  if (args.command === 'monitor') {
    await keepSmallHeapAsIs();
    const { parseMonitorOptions, runMonitor } = await import('./monitor/monitor-command.js');
    const own = parseMonitorOptions(args.monitor);
    let predictedBytes: number | null = null;
    let bytesPerBlock: number | null = null;
    // Re-attach: --server NAME, or with no --url the only detached server recorded.
    const { chooseMonitorServer } = await import('./monitor/choose-server.js');
    const server = await chooseMonitorServer(args.monitor.server, own.url !== null || own.replay !== null, (line) =>
      process.stderr.write(`${line}\n`),
    );
    if (server !== null) {
      own.url = server.url;
      predictedBytes = server.plan.totalBytes > 0 ? server.plan.totalBytes : null;
      bytesPerBlock = server.plan.bytesPerBlock > 0 ? server.plan.bytesPerBlock : null;
    }
    if (args.plan.model !== undefined) {
      // With a model, the panel marks the plan's prediction on the RAM bar.
      const { loadCatalog } = await import('./catalog/load.js');
      const { computePlan } = await import('./plan/plan-command.js');
      const plan = await computePlan(args.plan, await loadCatalog(), args.root);
      predictedBytes = plan.budget.totalBytes;
      bytesPerBlock = plan.kvCache.bytesPerBlock;
    }
    return runMonitor({
      ...own,
      json: args.json,
      isColor: isColorWanted(args),
      predictedBytes,
      bytesPerBlock,
      server: server === null ? null : { name: server.name, record: server },
    });
  }
  const { compilePresets, loadCatalog } = await import('./catalog/load.js');
  if (args.command === 'compile-presets') {
    write(`presets compiled to ${await compilePresets()}`);
    return 0;
  }
  const catalog = await loadCatalog();
  const { formatCatalogFits, formatDevices, formatModels, formatPlan } = await import('./plan/core/format.js');
  switch (args.command) {
    case 'devices':
      write(args.json ? JSON.stringify(catalog.devices, null, 2) : formatDevices(catalog));
      return 0;
    case 'models': {
      if (args.plan.device === undefined) {
        write(args.json ? JSON.stringify(catalog.models, null, 2) : formatModels(catalog));
        return 0;
      }
      const { computeCatalogFits } = await import('./plan/models-command.js');
      const fits = computeCatalogFits(args.plan, catalog);
      write(args.json ? JSON.stringify(fits, null, 2) : formatCatalogFits(fits, args.plan.device));
      return 0;
    }
    case 'wizard': {
      const { parseKnobs, parseLaunchTarget } = await import('./plan/core/request.js');
      const knobs = parseKnobs(args.plan);
      if (!knobs.ok) throw new UserError(knobs.message);
      const target = parseLaunchTarget(args.plan);
      if (!target.ok) throw new UserError(target.message);
      if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
        // No terminal: never wait for keys. Print what `plan` would for these flags, and the way on.
        const hint =
          'jetson-vllm needs a terminal for the wizard; without one use the sub-commands: jetson-vllm plan | doctor | devices | models (--help)';
        if (args.plan.model !== undefined) {
          const { computePlan } = await import('./plan/plan-command.js');
          const plan = await computePlan(args.plan, catalog, args.root);
          write(args.json ? JSON.stringify(plan, null, 2) : formatPlan(plan, { color: false }));
        }
        process.stderr.write(`jetson-vllm: ${hint}\n`);
        return 2;
      }
      const { runWizard } = await import('./wizard/ui/run.js');
      const { findHfCacheDir } = await import('./plan/plan-command.js');
      return runWizard({
        catalog,
        flags: {
          ...(args.plan.device !== undefined ? { device: args.plan.device } : {}),
          ...(args.plan.model !== undefined ? { model: args.plan.model } : {}),
          ...(args.plan.quant !== undefined ? { quant: args.plan.quant } : {}),
          ...(args.plan.vllmVersion !== undefined ? { vllmVersion: args.plan.vllmVersion } : {}),
          knobs: knobs.knobs,
          defaults: args.plan.vllmDefaults === true ? 'vllm' : 'planner',
          ...(target.runtime !== null ? { runtime: target.runtime } : {}),
          ...(target.port !== null ? { port: target.port } : {}),
        },
        root: args.root,
        launchOptions: launchOptionsOf(args),
        hfCacheDir: findHfCacheDir(),
        isColor: isColorWanted(args),
        recipeDir: args.recipeDir,
      });
    }
    case 'launch': {
      if (args.monitor.stop !== undefined) {
        const { runStop } = await import('./launch/stop-command.js');
        return runStop(args.monitor.stop, write, { stopGraceMs: args.stopGraceMs });
      }
      const { computePlanAndRequest } = await import('./plan/plan-command.js');
      let options = args.plan;
      if (args.monitor.recipe !== undefined) {
        const { readRecipe, recipeToOptions } = await import('./plan/recipe-file.js');
        options = recipeToOptions(await readRecipe(args.monitor.recipe), args.plan);
      }
      const { plan, request } = await computePlanAndRequest(options, catalog, args.root);
      const { prepareLaunch } = await import('./launch/prepare.js');
      const prepared = await prepareLaunch({ plan, request, catalog, root: args.root, options: launchOptionsOf(args) });
      for (const note of prepared.notes) write(note);
      if (!prepared.ok) {
        // A plan that would not fit is shown first: its verdict is the reason.
        if (prepared.reason === 'verdict') write(formatPlan(prepared.plan, { color: isColorWanted(args) }));
        throw new UserError(prepared.message, undefined, prepared.exitCode);
      }
      const { runLaunch } = await import('./launch/launch-command.js');
      return runLaunch({
        plan: prepared.plan,
        request: prepared.request,
        out: (line) => write(line),
        ...prepared.context,
      });
    }
    case 'doctor': {
      const { runDoctor } = await import('./doctor/doctor-command.js');
      const { createRealHost } = await import('./device/real-host.js');
      const { formatDoctor } = await import('./doctor/core/report.js');
      // doctor --model: available memory is checked against what that model's plan needs (besides the OS).
      let need: { bytes: number; what: string } | null = null;
      if (args.plan.model !== undefined) {
        const { computePlan } = await import('./plan/plan-command.js');
        const plan = await computePlan(args.plan, catalog, args.root);
        const bytes = plan.budget.items.filter((i) => i.key !== 'os').reduce((sum, i) => sum + i.bytes, 0);
        need = { bytes, what: `${plan.model.id} ${plan.quant.id} (as planned)` };
      }
      const result = await runDoctor(createRealHost(args.root), catalog, need);
      write(
        args.json
          ? JSON.stringify(result.report, null, 2)
          : formatDoctor(result.report, { color: isColorWanted(args) }),
      );
      return result.exitCode;
    }
    case 'diagnose': {
      const { runDiagnose } = await import('./launch/diagnose-command.js');
      return runDiagnose({
        source: args.input,
        options: args.plan,
        catalog,
        json: args.json,
        root: args.root,
        write,
        stdin: process.stdin,
      });
    }
    case 'plan': {
      const { planExitCode } = await import('./plan/plan-command.js');
      const format = args.export;
      if (format !== undefined && format !== 'compose' && format !== 'systemd' && format !== 'script')
        throw new UserError(`--export: "${format}" is not one of compose, systemd, script`);
      const { computePlanAndRequest } = await import('./plan/plan-command.js');
      const { plan, request, holders } = await computePlanAndRequest(args.plan, catalog, args.root);
      if (format !== undefined) {
        const { buildExport } = await import('./plan/core/export.js');
        const exported = buildExport(plan, format, { containerName: 'jetson-vllm' });
        if (!exported.ok) throw new UserError(`--export ${format}: ${exported.message}`);
        write(exported.text);
        return planExitCode(plan);
      }
      const { describeMemoryHolders } = await import('./plan/core/holders.js');
      const lead = args.json ? [] : describeMemoryHolders(plan, request, catalog, holders);
      write(args.json ? JSON.stringify(plan, null, 2) : formatPlan(plan, { color: isColorWanted(args) }, lead));
      if (!args.json) {
        // How far this device's plans have been off, from the launches recorded here (launch → history).
        const { readHistory } = await import('./launch/history-file.js');
        const { describeAccuracy, summarizeAccuracy } = await import('./launch/core/history.js');
        const past = describeAccuracy(summarizeAccuracy(await readHistory(), plan.device.id));
        if (past !== null) write(`On this device so far: ${past}.`);
      }
      return planExitCode(plan);
    }
    case 'help':
      write(MAIN_HELP);
      return 0;
    default: {
      const unreachable: never = args.command;
      throw new Error(`unhandled command ${String(unreachable)}`);
    }
  }
}

// A reader that went away (`jetson-vllm monitor --json | head`) is not an error. A command that runs
// children (launch, monitor) stops them first, as on SIGTERM: nothing is left behind.
// (Imports are hoisted: this one sits with the block that uses it.)
let isPipeClosed = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // EPIPE: the reader closed the pipe; EIO: the terminal is gone (an SSH session that dropped).
  if (error.code !== 'EPIPE' && error.code !== 'EIO') return;
  if (!hasTerminationHandlers()) process.exit(0);
  if (isPipeClosed) return;
  isPipeClosed = true;
  raiseTermination();
});

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UserError) {
      process.stderr.write(`jetson-vllm: ${error.message}${error.hint !== undefined ? ` (${error.hint})` : ''}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `jetson-vllm: internal error: ${message} (please report it; JETSON_VLLM_DEBUG=1 shows the stack)\n`,
    );
    if (process.env.JETSON_VLLM_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    process.exitCode = 1;
  },
);
