/** Where `huggingface-cli login` saves the token (huggingface_hub's constants): no dependencies. */
import path from 'node:path';

/** $HF_TOKEN_PATH, else $HF_HOME/token, else <cache home>/huggingface/token. */
export function hfTokenPath(env: NodeJS.ProcessEnv, cacheHome: string): string {
  const explicit = (env.HF_TOKEN_PATH ?? '').trim();
  if (explicit !== '') return explicit;
  const home = (env.HF_HOME ?? '').trim();
  return path.join(home !== '' ? home : path.join(cacheHome, 'huggingface'), 'token');
}
