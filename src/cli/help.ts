/**
 * Help texts: the overview (`jetson-vllm --help`) and one per command (`jetson-vllm <command> --help`), each
 * with its usage, options and examples, every line within 80 columns (an 80×24 SSH terminal).
 */

/** The commands that have a help text of their own ('wizard': `jetson-vllm` with no command). */
export type HelpTopic = 'wizard' | 'plan' | 'launch' | 'monitor' | 'doctor' | 'diagnose' | 'devices' | 'models';

/** The plan options, shared by plan, launch and the wizard. */
const PLAN_OPTIONS = `Plan options:
  --device <id>           a device preset (orin-nx-16gb, agx-orin-64gb, …);
                          default: this board, with its measured memory
  --device-memory <GiB>   override the total memory CUDA reports
  --jetpack <x.y>         the JetPack (or L4T r36.4.3) a preset Jetson runs:
                          its MemTotal on that release, where one is recorded
  --model <ref>           a preset id, a Hugging Face id (org/name[@revision]),
                          a folder with config.json, or a .gguf file
  --gguf <file>           the GGUF file to pick in a Hugging Face repository
  --tokenizer <id>        the tokenizer a GGUF file is served with
  --quant <id>            bf16, awq, gptq-int4, w4a16, fp8, gguf-q4_k_m, …
  --vllm-version <x.y.z>  the vLLM the plan targets (default: the board's image)
  --max-model-len <n>     --max-num-seqs <n>     --max-num-batched-tokens <n>
  --gpu-memory-utilization <f>                   --swap-space <GiB>
  --kv-cache-dtype auto|fp8|fp8_e4m3|fp8_e5m2|nvfp4
  --kv-cache-memory-bytes <n>
  --dtype auto|half|float16|bfloat16|float|float32
  --speculative-config <json>
                          e.g. '{"method":"mtp","num_speculative_tokens":1}':
                          the model's MTP heads (weights, KV) are planned
  --limit-mm-per-prompt <json>
                          e.g. '{"image":0,"video":0}' (text only): no vision
                          encoder peak at profiling, no tower from 0.10.1
  --optimization-level 0-3                  --max-cudagraph-capture-size <n>
  --cudagraph-capture-sizes 1,2,4,8
  --performance-mode balanced|interactivity|throughput
                          CUDA graphs (-O0: none): the graph term follows them
  --num-gpu-blocks-override <n>                  --block-size <n>
  --enforce-eager | --no-enforce-eager
                          vLLM's knobs: one you give is kept and judged; the
                          planner chooses the rest
  --vllm-defaults         leave the knobs you do not give at vLLM's defaults
  --runtime docker|native --image <ref>          --port <n>
  --root <dir>            read a board's files copied under <dir> (no commands)
  --no-color              no colour (NO_COLOR is honoured too)`;

/** The launch options, shared by launch and the wizard's launch. */
const LAUNCH_OPTIONS = `Launch options:
  --detach                leave the server running (docker run -d, or a native
                          vllm in its own session) and return once it is ready
  --stop <name>           stop a detached server (SIGTERM, then SIGKILL)
  --stop-grace <s>        how long vLLM has to exit after SIGTERM (default 10)
  --memory-floor <MiB>    stop vLLM while it starts when available memory stays
                          under this (default: max(256 MiB, 2 % of RAM); 0: off)
  --stage-timeout <s>     say a start-up stage looks stuck after this long
                          (default: per stage, e.g. weights 10 min + 3 min/GiB)
  --recipe <file>         launch what the wizard saved (re-planned)`;

const WIZARD_HELP = `jetson-vllm — plan, launch and watch vLLM on NVIDIA Jetson without being
OOM-killed

Usage:
  jetson-vllm [options]        the wizard: device → model → quantization →
                               budget → review → launch → live panel
  jetson-vllm plan [options]   memory budget, verdict and the exact command
  jetson-vllm launch [options] plan, then start vLLM and follow it to ready
  jetson-vllm monitor [opts]   live panel: memory, GPU and the server's metrics
  jetson-vllm doctor           check this board for vLLM, with each fix
  jetson-vllm diagnose <log>   explain a failed vLLM start from its log
  jetson-vllm devices          list device presets
  jetson-vllm models           list model presets (--device: what fits)
  jetson-vllm <command> --help shows that command's options and examples.

The wizard takes the plan options (--device, --model, --quant, the knobs
--max-model-len, --swap-space, --enforce-eager…, --runtime, --port): they
pre-fill it and it opens at the step after them. Launch options (--detach,
--memory-floor, --stop-grace, --stage-timeout) apply to its launch; a detached
server is watched with monitor --server and stopped with launch --stop.
  --recipe-dir <dir>      where it saves recipes (default: the XDG config dir)
  --root <dir>            read a board's files under <dir>
  --no-color              no colour
  -h, --help    -v, --version

Examples:
  jetson-vllm
  jetson-vllm --model qwen2.5-7b-instruct --quant awq
  jetson-vllm --device orin-nano-8gb --recipe-dir ~/recipes
`;

const PLAN_HELP = `jetson-vllm plan — the memory budget, the verdict and the exact vLLM command
(no side effects)

Usage: jetson-vllm plan [options]

${PLAN_OPTIONS}
  --json                  the plan as one JSON object
  --export compose|systemd|script
                          the plan as a docker-compose file, a systemd unit or
                          a shell script (the unit does not restart after an
                          OOM kill)
Launch options (--detach, --stop, --stop-grace, --memory-floor,
--stage-timeout): jetson-vllm launch --help.

Exit codes: 0 fits or tight; 2 bad input; 3 would be killed or refused.

Examples:
  jetson-vllm plan --device orin-nx-16gb --model qwen2-7b-instruct \\
      --quant gguf-q4_k_m
  jetson-vllm plan --device orin-nx-16gb --model qwen2-7b-instruct \\
      --quant gguf-q4_k_m --vllm-version 0.6.3 --max-model-len 200 \\
      --max-num-seqs 1 --vllm-defaults
  jetson-vllm plan --device orin-nano-8gb --model qwen3-4b --quant awq --json
  jetson-vllm plan --device agx-orin-64gb --model ./my-model-folder
  jetson-vllm plan --model qwen2.5-1.5b-instruct --export systemd
`;

const LAUNCH_HELP = `jetson-vllm launch — plan, then start vLLM (docker run, or vllm serve with
--runtime native) and follow it to ready

Usage: jetson-vllm launch [options]
       jetson-vllm launch --stop <name>

${LAUNCH_OPTIONS}
  --runtime docker|native docker (the default on a Jetson): an image here is
                          used, else pulled; the container is named
                          jetson-vllm-<model>-<port>
  --image <ref>           the image to run      --port <n>  the port to serve on
  --model, --quant, --vllm-version and the other plan options: see
                          jetson-vllm plan --help (--export is plan's)
  --root <dir>            read a board's files under <dir>
  A detached server is recorded: monitor --server <name> re-attaches to it.

On a failure the cause and the fix are printed; --memory-floor stops vLLM
before the kernel does.

Examples:
  jetson-vllm launch --model qwen2.5-1.5b-instruct
  jetson-vllm launch --model qwen2.5-1.5b-instruct --detach
  jetson-vllm launch --recipe ~/.config/jetson-vllm/recipes/qwen.json
  jetson-vllm launch --stop jetson-vllm-qwen2.5-1.5b-instruct-8000
`;

const MONITOR_HELP = `jetson-vllm monitor — the live panel: tegrastats (or nvidia-smi, or /proc)
and a vLLM server's /health and /metrics

Usage: jetson-vllm monitor [options]

Options:
  --server <name>         re-attach to a server launched with --detach (its URL
                          and its log; l shows it); alone, the only one
                          recorded is used
  --url <http://host:port>  the vLLM server to poll
  --source auto|tegrastats|nvidia-smi|proc
  --interval <ms>         between samples (default 1000)
  --poll-interval <ms>    between polls of the server (default 2000)
  --replay <file>         play a tegrastats log file back (tegrastats --logfile)
  --speed <x>             replay speed (0: at once)
  --record <file>         append every sample as a JSON line
  --json                  JSON lines on stdout instead of the panel
  --model <ref>, --quant <id>, --device <id>
                          mark the plan's predicted memory on the RAM bar
  --no-color              no colour
Keys in the panel: p pause, l log, s stop the server (the panel's own), q quit.
A detached server is stopped with jetson-vllm launch --stop <name>.

Examples:
  jetson-vllm monitor
  jetson-vllm monitor --server jetson-vllm-qwen2.5-1.5b-instruct-8000
  jetson-vllm monitor --url http://localhost:8000 --model qwen2.5-1.5b-instruct
  jetson-vllm monitor --replay tegrastats.log --speed 0 --json
`;

const DOCTOR_HELP = `jetson-vllm doctor — detect this board and check it for vLLM: JetPack, memory
held by others (processes, NvMap), desktop, swap, power, docker, disk; each
problem with the fix sized to this board and what it gains

Usage: jetson-vllm doctor [options]

Options:
  --root <dir>            check a board's files copied under <dir> (commands
                          are skipped: their checks say so)
  --json                  the report as one JSON object
  --model <ref>           check available memory against what this model's plan
                          needs (with --quant and the other plan options)
  --device <id>           not needed: doctor detects the board
  --no-color              no colour

Exit codes: 0 nothing fails (warnings allowed); 1 a check fails; 2 bad input.

Examples:
  jetson-vllm doctor
  jetson-vllm doctor --root ./board-files --json
`;

const DIAGNOSE_HELP = `jetson-vllm diagnose — explain a failed vLLM start from its log (a run outside
this tool, docker logs, a pasted issue) and re-plan it for this board

Usage: jetson-vllm diagnose <log file | -> [options]     (-: read stdin)

Reads the failure, the vLLM version, the model, the knobs and the figures the
log shows (and kernel oom-kill lines pasted with it), names the failure in
plain words, and prints the command that fits.

Options:
  --device <id>           plan for this preset instead of the board here
  --model <ref>           the model, when the log does not name it
  --quant <id>            its quantization
  --vllm-version <x.y.z>  the vLLM that ran, when the log does not say
  --root <dir>            read a board's files under <dir>
  --json                  the report as one JSON object
  -h, --help              this text

Exit codes: 0 a failure recognised; 1 the log shows none; 2 bad input.

Examples:
  jetson-vllm diagnose vllm.log
  docker logs my-vllm 2>&1 | jetson-vllm diagnose - --device orin-nx-16gb
  jetson-vllm diagnose issue.txt --model qwen2-7b-instruct --quant awq
`;

const DEVICES_HELP = `jetson-vllm devices — list the device presets: id, name, memory, compute
capability and whether vLLM runs there

Usage: jetson-vllm devices [--json]

Options:
  --json                  the presets as JSON
What fits on one of them: jetson-vllm models --device <id>.

Examples:
  jetson-vllm devices
  jetson-vllm devices --json
`;

const MODELS_HELP = `jetson-vllm models — list the model presets and their quantizations; with
--device, what fits on that board and the longest context

Usage: jetson-vllm models [--device <id>] [--json]

Options:
  --device <id>           plan every variant on this device preset
  --json                  as JSON

Examples:
  jetson-vllm models
  jetson-vllm models --device orin-nano-8gb
`;

/** The overview (`jetson-vllm --help`). */
export const MAIN_HELP = WIZARD_HELP;

/** The help text of each command. */
export const COMMAND_HELP: Readonly<Record<HelpTopic, string>> = {
  wizard: WIZARD_HELP,
  plan: PLAN_HELP,
  launch: LAUNCH_HELP,
  monitor: MONITOR_HELP,
  doctor: DOCTOR_HELP,
  diagnose: DIAGNOSE_HELP,
  devices: DEVICES_HELP,
  models: MODELS_HELP,
};

/** Returns the help for a command (the overview for the wizard, `help` and anything without its own). */
export function selectHelp(command: string): string {
  return (COMMAND_HELP as Record<string, string | undefined>)[command] ?? MAIN_HELP;
}
