/**
 * The XDG base directories (https://specifications.freedesktop.org/basedir-spec/latest/): where
 * jetson-vllm keeps its cache, recipes, detached-server state and launch history. Pure: the caller
 * passes the environment and the home folder (a shell passes `process.env` and `os.homedir()`).
 */

/** The four base directories jetson-vllm uses. */
export type XdgKind = 'cache' | 'config' | 'state' | 'data';

/** The variable naming each base directory. */
const VARIABLES: Record<XdgKind, string> = {
  cache: 'XDG_CACHE_HOME',
  config: 'XDG_CONFIG_HOME',
  state: 'XDG_STATE_HOME',
  data: 'XDG_DATA_HOME',
};

/** Each base directory under $HOME when its variable is unset, empty or relative. */
const DEFAULTS: Record<XdgKind, string> = {
  cache: '.cache',
  config: '.config',
  state: '.local/state',
  data: '.local/share',
};

/** jetson-vllm's own folder inside each base directory. */
const APP_FOLDER = 'jetson-vllm';

/** `base/child` with one slash between them, whatever slashes `base` ends in ("/" stays the root). */
function joinFolder(base: string, child: string): string {
  return `${base.replace(/\/+$/, '')}/${child}`;
}

/**
 * Returns the variable's value when the spec lets it count, else null: set, non-empty and absolute
 * ("If an implementation encounters a relative path in any of these variables it should consider
 * the path invalid and ignore it").
 */
export function pickXdgVariable(kind: XdgKind, env: Readonly<Record<string, string | undefined>>): string | null {
  const value = env[VARIABLES[kind]];
  return value !== undefined && value.startsWith('/') ? value : null;
}

/** Returns the spec's default for a base directory: <home>/.cache, .config, .local/state or .local/share. */
export function buildDefaultXdgDir(kind: XdgKind, home: string): string {
  return joinFolder(home, DEFAULTS[kind]);
}

/** Returns the base directory: $XDG_<KIND>_HOME when set and absolute, else its default under `home`. */
export function resolveXdgDir(kind: XdgKind, env: Readonly<Record<string, string | undefined>>, home: string): string {
  return pickXdgVariable(kind, env) ?? buildDefaultXdgDir(kind, home);
}

/** Returns jetson-vllm's folder in a base directory: <base>/jetson-vllm. */
export function resolveJetsonVllmDir(
  kind: XdgKind,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): string {
  return joinFolder(resolveXdgDir(kind, env, home), APP_FOLDER);
}

/**
 * Returns the Hugging Face home folder the host's tools use, and what said so: $HF_HUB_CACHE's parent
 * (the hub cache lives in <home>/hub), $HF_HOME, else $XDG_CACHE_HOME/huggingface, else
 * <home>/.cache/huggingface — huggingface_hub's own order (src/huggingface_hub/constants.py: HF_HOME =
 * getenv("HF_HOME", join(getenv("XDG_CACHE_HOME", "~/.cache"), "huggingface")); it takes XDG_CACHE_HOME
 * as given, absolute or not).
 */
export function resolveHfHome(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): { path: string; source: string } {
  const hubCache = env.HF_HUB_CACHE;
  if (hubCache !== undefined && hubCache !== '')
    return { path: hubCache.replace(/\/hub\/?$/, ''), source: '$HF_HUB_CACHE' };
  const hfHome = env.HF_HOME;
  if (hfHome !== undefined && hfHome !== '') return { path: hfHome, source: '$HF_HOME' };
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== '')
    return { path: joinFolder(xdg, 'huggingface'), source: '$XDG_CACHE_HOME/huggingface' };
  return { path: joinFolder(home, '.cache/huggingface'), source: 'default (~/.cache/huggingface)' };
}
