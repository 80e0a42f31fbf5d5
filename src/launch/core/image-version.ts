/**
 * The vLLM version a container image really carries, for images whose tag does not say it. A moving tag
 * (`latest-jetson-orin`, `latest`, a per-model tag such as `gemma4-jetson-orin`) is re-pushed with newer
 * vLLM releases (field-2026-12.md row 12: `latest-jetson-orin` still 0.11.2 while per-model tags moved
 * on), so the catalog's version for it is a guess the plan's arithmetic must not rest on. Pure.
 */
import { normalizeImageRef } from './docker.js';

/** The package metadata read inside the image: no import of vllm (no GPU, no CUDA, a second at most). */
export const IMAGE_VERSION_SCRIPT = "import importlib.metadata as m; print(m.version('vllm'))";

/**
 * Returns the `docker run` argv (without `docker`) that prints the vLLM version installed in `image`:
 * python3 as the entrypoint, so the image's own entrypoint (`vllm serve` in vllm/vllm-openai) is not run.
 */
export function buildImageVersionArgv(image: string): string[] {
  return ['run', '--rm', '--network', 'none', '--entrypoint', 'python3', image, '-c', IMAGE_VERSION_SCRIPT];
}

/**
 * Returns whether the image's tag does not name a vLLM release: no tag (`latest`), a `latest…` tag, or a
 * tag without a version number in it. `dustynv/vllm:0.8.6-r36.4-cu128-24.04` and `vllm/vllm-openai:v0.20.1`
 * name theirs; a digest-pinned reference (`@sha256:…`) is fixed too.
 */
export function isMovingImageTag(image: string): boolean {
  if (image.includes('@sha256:')) return false;
  const ref = normalizeImageRef(image);
  const tag = ref.slice(ref.lastIndexOf(':') + 1);
  if (/^latest\b/i.test(tag)) return true;
  // A vLLM release (`0.8.6-r36.4…`, `v0.20.1`), or NGC's year.month container release (`26.05-py3`, whose
  // vLLM NVIDIA's release notes give). A model's version (`qwen3.8-next`) is not one.
  return !/(?:^|[^a-z\d.])v?0\.\d+(?:\.\d+)?(?![\d.]*[a-z]\d)/i.test(tag) && !/^\d{2}\.\d{2}(?:[-.]|$)/.test(tag);
}

/**
 * Returns the release (`0.11.2`) the version script printed, or null when its output holds none (a
 * python3 missing, vllm not installed). A local build's suffix (`0.11.2+cu130`, `0.12.1.dev3+g…`) is
 * dropped: the plan's rules go by release.
 */
export function parseImageVllmVersion(stdout: string): string | null {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines.at(-1);
  if (last === undefined) return null;
  const m = /^v?(\d{1,4})\.(\d{1,4})\.(\d{1,4})(?:$|[+.\-a-z])/i.exec(last);
  if (m === null) return null;
  return `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}`;
}

/** What the launch says once the version inside the image is known (or could not be read). */
export type ImageVersionNote =
  | { kind: 'same'; image: string; version: string }
  | { kind: 'replanned'; image: string; version: string; assumed: string }
  | { kind: 'unknown-release'; image: string; version: string; assumed: string; why: string }
  | { kind: 'unread'; image: string; assumed: string; why: string };

/** Returns the line the launch prints (and the wizard shows in its log tail) for a note. */
export function formatImageVersionNote(note: ImageVersionNote): string {
  switch (note.kind) {
    case 'same':
      return `jetson-vllm: ${note.image} carries vLLM ${note.version}, as planned`;
    case 'replanned':
      return `jetson-vllm: ${note.image} carries vLLM ${note.version}, not the ${note.assumed} its tag was listed with: re-planned for ${note.version}`;
    case 'unknown-release':
      return `jetson-vllm: ${note.image} carries vLLM ${note.version}, not the ${note.assumed} its tag was listed with, and it could not be planned for (${note.why}): planned for ${note.assumed}, an estimate`;
    case 'unread':
      return `jetson-vllm: the vLLM version inside ${note.image} could not be read (${note.why}): planned for ${note.assumed}, the version its tag was listed with`;
    default: {
      const never: never = note;
      return never;
    }
  }
}
