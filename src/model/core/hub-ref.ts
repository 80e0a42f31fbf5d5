/**
 * Hugging Face model references: "org/name[@revision]" parsed and checked, and the URLs of a
 * repository's files on an endpoint. Pure.
 */

/** A Hugging Face model reference: the repository and an optional branch, tag or commit. */
export interface HubRef {
  repo: string;
  revision: string | null;
}

const NAME_PART = /^[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9_])?$/;
const REVISION = /^[\w.-]+(?:\/[\w.-]+)*$/;

/** Returns true for a repository id the Hub accepts: "org/name", no "..", "--" or dot-only parts. */
export function isRepoId(repo: string): boolean {
  const parts = repo.split('/');
  return (
    parts.length === 2 &&
    parts.every((p) => NAME_PART.test(p) && !p.includes('..') && !p.includes('--') && p !== '.' && p !== '..')
  );
}

/** Returns true for a branch, tag or commit name (slashes allowed, no "." or ".." segment). */
export function isRevision(revision: string): boolean {
  return (
    revision.length > 0 &&
    revision.length <= 255 &&
    REVISION.test(revision) &&
    !revision.split('/').some((s) => s === '.' || s === '..')
  );
}

/**
 * Returns the reference of "org/name" or "org/name@revision" (a branch, tag or 40-hex commit); anything else → null.
 * Note: "models/qwen" also has this shape, so a caller checks for a local folder first.
 */
export function parseModelRef(ref: string): HubRef | null {
  const at = ref.indexOf('@');
  const repo = at === -1 ? ref : ref.slice(0, at);
  const revision = at === -1 ? null : ref.slice(at + 1);
  if (!isRepoId(repo)) return null;
  if (revision !== null && !isRevision(revision)) return null;
  return { repo, revision };
}

/** Returns true when the revision is a full commit hash: what it names never changes, so the cache answers first. */
export function isPinned(ref: HubRef): boolean {
  return ref.revision !== null && /^[0-9a-f]{40}$/.test(ref.revision);
}

/** Returns true for a path inside a repository naming a .gguf file (relative, no empty, "." or ".." segment). */
export function isGgufFilePath(file: string): boolean {
  const segments = file.split('/');
  return (
    /\.gguf$/i.test(file) &&
    !file.startsWith('/') &&
    !file.includes('\\') &&
    !segments.some((s) => s === '' || s === '.' || s === '..')
  );
}

const encodePath = (file: string): string => file.split('/').map(encodeURIComponent).join('/');

/** Returns the download URL of a file of the repository at its revision (main by default) on the endpoint. */
export function buildResolveUrl(endpoint: string, ref: HubRef, file: string): string {
  return `${endpoint}/${ref.repo}/resolve/${encodeURIComponent(ref.revision ?? 'main')}/${encodePath(file)}`;
}
