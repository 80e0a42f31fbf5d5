/**
 * The failure diagnosis catalog: for each way a vLLM start fails (as the log parser classifies it),
 * what it is called, the cause in plain words and the fix in words (diagnose.ts makes them concrete for a plan).
 * Patterns and fixes: reference/vllm-memory.md §7 and §9, jetson-platform.md §C.5 and §D.4,
 * anchors.md "Most common failure modes".
 */
import type { FailureKind } from './types.js';

/** How a failure is fixed: new flags from the planner, a command outside vLLM, or nothing automatic. */
export type FixKind = 'replan' | 'command' | 'none';

/** A catalog entry: what a failure is called, why it happens, and what fixes it. */
export interface DiagnosisEntry {
  title: string;
  /** The cause in one or two sentences a Jetson user understands. */
  cause: string;
  fixKind: FixKind;
  /** The fix in words (diagnose() makes it concrete for a plan). */
  remedy: string;
  /** Issues and pull requests where users hit it and the fix was found. */
  references: string[];
}

/** The catalog: one entry per failure kind. */
export const DIAGNOSES: Readonly<Record<FailureKind, DiagnosisEntry>> = {
  'oom-killed': {
    title: 'Killed: the board ran out of memory',
    cause:
      "On a Jetson that is almost always the kernel's OOM killer: the board ran out of RAM, which the GPU shares with the OS and every process.",
    fixKind: 'replan',
    remedy:
      'When the plan was too large, let the planner size --gpu-memory-utilization (or the KV cache) for the context you need, with --swap-space 0 and, on small boards, --enforce-eager; when it predicted room to spare, find what else took the memory (jetson-vllm doctor) and stop it.',
    references: [
      'https://github.com/dusty-nv/jetson-containers/issues/795',
      'https://github.com/vllm-project/vllm/issues/12346',
    ],
  },
  'cuda-oom': {
    title: 'CUDA out of memory',
    cause:
      'A CUDA allocation failed: vLLM asked for memory that was not free. The KV cache takes its share first; what comes after it — the sampler warm-up with max-num-seqs dummy requests, CUDA-graph capture — needs memory outside that share, and on a Jetson that is the RAM the OS also uses.',
    fixKind: 'replan',
    remedy:
      'Fewer --max-num-seqs for the sampler warm-up, --enforce-eager for CUDA-graph capture, a KV cache sized to the context otherwise.',
    references: [
      'https://github.com/vllm-project/vllm/issues/15598',
      'https://github.com/vllm-project/vllm/issues/18679',
    ],
  },
  'max-len': {
    title: 'Context longer than the KV cache holds',
    cause:
      "vLLM refuses to start when one request of --max-model-len tokens does not fit in the KV cache it could allocate. Without --max-model-len it takes the model's full context (often 32k–128k tokens), far more than the memory left after the weights.",
    fixKind: 'replan',
    remedy: '--max-model-len no longer than what fits (vLLM prints its own estimate).',
    references: [],
  },
  'no-cache-blocks': {
    title: 'No memory left for the KV cache',
    cause:
      "After the weights and the profile run, vLLM's share of the memory (--gpu-memory-utilization × total) had nothing left for the KV cache: the share is too small for this model, or the model too large for the device.",
    fixKind: 'replan',
    remedy: 'A share sized to the weights, the activations and the KV cache — or a smaller quantization.',
    references: ['https://github.com/dusty-nv/jetson-containers/issues/1568'],
  },
  'startup-free-memory': {
    title: 'Not enough free memory at start-up',
    cause:
      'vLLM (V1, from 0.9.1) checks at start that --gpu-memory-utilization × total memory is free. On a Jetson the OS, the desktop and the page cache hold part of the same RAM, so the default 0.9 is never free; before 0.21 the check also counts reclaimable page cache as used.',
    fixKind: 'replan',
    remedy:
      'A lower --gpu-memory-utilization (from 0.11 the KV cache is set by --kv-cache-memory-bytes, so it does not shrink), after dropping the page cache: sync && echo 3 | sudo tee /proc/sys/vm/drop_caches',
    references: [
      'https://github.com/vllm-project/vllm/issues/48140',
      'https://github.com/vllm-project/vllm/issues/27934',
    ],
  },
  'profiling-error': {
    title: 'Memory changed while vLLM measured it',
    cause:
      'vLLM measures free memory before and after a dummy forward pass and stops when it grew meanwhile (page cache released, another process ended). On a Jetson the page cache lives in the same RAM as the GPU memory, so this happens there often.',
    fixKind: 'replan',
    remedy:
      'Drop the page cache and start nothing else while vLLM starts; --enforce-eager and a lower --gpu-memory-utilization make the start shorter and calmer.',
    references: [
      'https://github.com/vllm-project/vllm/issues/13131',
      'https://github.com/vllm-project/vllm/issues/35920',
    ],
  },
  'swap-too-large': {
    title: 'Swap space larger than the RAM allows',
    cause:
      "--swap-space (pinned RAM for KV blocks swapped out of the GPU, V0; 4 GiB by default) is over 70 % of the board's RAM, so vLLM refuses. On a Jetson it is the same RAM the GPU uses: 0 is the right size.",
    fixKind: 'replan',
    remedy: '--swap-space 0',
    references: [],
  },
  'unsupported-quantization': {
    title: 'Quantization not supported on this GPU',
    cause:
      "The checkpoint's quantization needs kernels that this GPU's compute capability (or this vLLM version) does not have.",
    fixKind: 'replan',
    remedy: 'Another quantization of the same model that this GPU runs.',
    references: [],
  },
  'bf16-unsupported': {
    title: 'No bfloat16 on this GPU',
    cause:
      'The checkpoint is bfloat16 and this GPU (compute capability below 8.0: Xavier, Turing) has no bfloat16 arithmetic.',
    fixKind: 'command',
    remedy: '--dtype half: vLLM converts the weights to float16 while loading them.',
    references: [],
  },
  'unknown-argument': {
    title: 'Flag unknown to this vLLM',
    cause:
      "vLLM's argument parser rejected a flag: the vLLM that ran is not the version the command was made for (--swap-space was removed in 0.18.0, --kv-cache-memory-bytes arrived in 0.11.0).",
    fixKind: 'replan',
    remedy: 'Plan for the vLLM version the image carries; the flag is left out.',
    references: [
      'https://github.com/vllm-project/vllm/pull/36216',
      'https://github.com/unslothai/unsloth-zoo/issues/1210',
    ],
  },
  'image-driver-mismatch': {
    title: "Container image too new for the board's driver",
    cause:
      "The image is built for a newer CUDA than the board's driver runs: CUDA 13 images (cu130, NGC 25.xx, current vllm/vllm-openai) need JetPack 7; JetPack 6 (L4T r36, driver 540) runs CUDA 12 images only.",
    fixKind: 'command',
    remedy:
      'A JetPack 6 image: ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin, or the pinned dustynv/vllm:0.8.6-r36.4-cu128-24.04.',
    references: [],
  },
  'unknown-runtime': {
    title: 'Docker has no NVIDIA runtime',
    cause:
      'docker was asked for --runtime nvidia and does not know it: the NVIDIA Container Toolkit is not installed, or not registered with docker (common after a minimal flash).',
    fixKind: 'command',
    remedy:
      'sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker (install nvidia-container-toolkit first if nvidia-ctk is missing).',
    references: [
      'https://github.com/NVIDIA/nvidia-container-toolkit/issues/231',
      'https://github.com/Seeed-Projects/jetson-examples/issues/1',
    ],
  },
  'port-in-use': {
    title: 'Port already in use',
    cause: 'Another process — often a vLLM still running from an earlier start — listens on the port vLLM wanted.',
    fixKind: 'command',
    remedy: 'Stop that process, or start vLLM with --port <free port>.',
    references: [],
  },
  'model-not-found': {
    title: 'Model not found',
    cause:
      'vLLM could not find the model: the Hugging Face id is misspelt or does not exist, or the local folder or GGUF file is not where the command points (inside a container only the mounted folders exist).',
    fixKind: 'command',
    remedy: 'Check the id, or download the file, and start again.',
    references: [],
  },
  'gated-model': {
    title: 'Gated model: licence and token needed',
    cause:
      "The model's repository is gated: Hugging Face serves it only with a token (HF_TOKEN) of an account that accepted its licence.",
    fixKind: 'command',
    remedy:
      "Accept the licence on the model's page, create a read token, and start with HF_TOKEN set (the command passes it to the container by name).",
    references: [],
  },
  'engine-failed': {
    title: 'vLLM engine failed to start',
    cause:
      "vLLM's engine process ended during start-up. This line only reports it: the cause is printed above it, or nowhere when the kernel killed the process.",
    fixKind: 'none',
    remedy: "Read the lines above it; `sudo dmesg | grep -i 'killed process'` shows whether the OOM killer ended it.",
    references: [],
  },
};
