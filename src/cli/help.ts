/** Help texts, with examples. */
export const MAIN_HELP = `jetson-vllm — plan, launch and watch vLLM on NVIDIA Jetson without being OOM-killed

Usage:
  jetson-vllm         [options]   the wizard: device → model → quantization → budget → review → launch →
                                  live panel (plan options pre-fill it; launch options apply to its launch)
  jetson-vllm plan    [options]   memory budget, verdict and the exact vLLM command (no side effects)
  jetson-vllm launch  [options]   plan, then start vLLM (docker run, or vllm serve with --runtime native)
                                  and follow it to ready; --detach leaves it running and returns
  jetson-vllm monitor [options]   live panel: tegrastats (or nvidia-smi, or /proc) + a vLLM server's metrics
  jetson-vllm doctor  [--json]    detect the board and check it for vLLM, with the fix for each problem
  jetson-vllm devices             list device presets
  jetson-vllm models              list model presets and their quantizations

Plan options:
  --device <id>                 a device preset (orin-nx-16gb, agx-orin-64gb, rtx-4090, …);
                                default: the device detected here, with its measured memory
  --device-memory <GiB>         override the total memory CUDA reports
  --model <ref>                 a preset id (qwen2.5-7b-instruct), a Hugging Face id (org/name[@revision]),
                                a folder with config.json, or a .gguf file (--gguf <file> picks one in a
                                repository; --tokenizer <id> the tokenizer a GGUF is served with)
  --quant <id>                  bf16, awq, gptq-int4, w4a16, fp8, gguf-q4_k_m, … (default: the first listed)
  --vllm-version <x.y.z>        the vLLM the plan targets (default: the board's image, or the newest)
  --max-model-len <n>           --max-num-seqs <n>          --max-num-batched-tokens <n>
  --gpu-memory-utilization <f>  --swap-space <GiB>          --kv-cache-dtype auto|fp8|fp8_e4m3|fp8_e5m2|nvfp4
  --dtype auto|half|float16|bfloat16|float|float32
  --kv-cache-memory-bytes <n>   --num-gpu-blocks-override <n>  --block-size <n>
  --enforce-eager | --no-enforce-eager
                                vLLM's own knobs: a knob you give is kept and judged; the rest are chosen
  --vllm-defaults               leave the knobs you do not give at vLLM's defaults instead
  --runtime docker|native       --image <ref>               --port <n>
  --root <dir>                  read the device's files under <dir> instead of / (a board's files
                                copied off it); commands are not run
  --json                        the plan (or doctor's report) as one JSON object
  --no-color                    no colour (NO_COLOR is honoured too)
  -h, --help    -v, --version

Launch options (and the plan options above):
  --runtime docker|native       docker (the default on a Jetson): an image already here is used, else it is
                                pulled; the container is named jetson-vllm-<model>-<port>
  --detach                      leave the server running (docker run -d --restart unless-stopped, or a
                                native vllm in its own session logging to $XDG_STATE_HOME/jetson-vllm/)
                                and return once it is ready; it is recorded for monitor and --stop
  --stop <name>                 stop a detached server (docker stop, then kill; or SIGTERM, then SIGKILL)
  --memory-floor <MiB>          stop vLLM while it starts when available memory stays under this
                                (default: the larger of 256 MiB and 2 % of RAM; 0 turns the watchdog off)
  --stop-grace <s>              on SIGINT/SIGTERM/SIGHUP, how long vLLM has to exit after SIGTERM before
                                it gets SIGKILL (default 10)
  --stage-timeout <s>           say a start-up stage looks stuck after this long (default: per stage,
                                generous: e.g. weights 10 min + 3 min per GiB, CUDA graphs 20 min)
  --recipe <file>               launch what the wizard saved (re-planned for the same choices)

Monitor options:
  --server <name>               re-attach to a detached server: its URL and its log (l shows it); without
                                --url and --server, the only detached server recorded is used
  --url <http://host:port>      the vLLM server to poll (/health, /metrics)
  --source auto|tegrastats|nvidia-smi|proc    --interval <ms> (default 1000)   --poll-interval <ms> (2000)
  --replay <file>               play a tegrastats log file (tegrastats --logfile) back; --speed <x> (0: at once)
  --record <file>               append every sample as a JSON line
  --json                        JSON lines on stdout instead of the panel (also without a terminal)
  --model … (plan options)      mark the plan's predicted memory on the RAM bar
  Keys in the panel: p pause, l log, q quit.

Exit codes: 0 fits or tight (doctor: nothing fails); 1 doctor found a failing check; 2 bad input;
3 would be killed or refused.

Examples:
  jetson-vllm plan --device orin-nx-16gb --model qwen2-7b-instruct --quant gguf-q4_k_m
  jetson-vllm plan --device orin-nx-16gb --model qwen2-7b-instruct --quant gguf-q4_k_m \\
      --vllm-version 0.6.3 --max-model-len 200 --max-num-seqs 1 --vllm-defaults
  jetson-vllm plan --device orin-nano-8gb --model qwen3-4b --quant awq --max-model-len 8k --json
  jetson-vllm plan --device agx-orin-64gb --model ./my-model-folder
  jetson-vllm doctor
  jetson-vllm doctor --root ./board-files --json
  jetson-vllm launch --model qwen2.5-1.5b-instruct --detach
  jetson-vllm monitor --server jetson-vllm-qwen2.5-1.5b-instruct-8000
  jetson-vllm launch --stop jetson-vllm-qwen2.5-1.5b-instruct-8000
  jetson-vllm monitor --url http://localhost:8000
  jetson-vllm monitor --replay tegrastats.log --speed 0 --json
`;
