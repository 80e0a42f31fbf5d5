/**
 * yoga-layout for the bundle (aliased in build:bundle): the same Yoga, but its WebAssembly is decoded from the
 * module's own base64 data: URI instead of being `fetch()`ed. Emscripten's loader (getBinaryPromise in
 * yoga-wasm-base64-esm.js) calls fetch() on the data: URI whenever a global fetch exists, and Node's fetch loads
 * undici on first call: ~8 MiB of RSS and ~26 ms of CPU on the wizard's start-up for one in-memory decode. The
 * loader checks `typeof fetch` synchronously when called, so fetch is hidden only for that call.
 */
import { loadYoga } from '../../node_modules/yoga-layout/dist/src/load.js';

export * from '../../node_modules/yoga-layout/dist/src/load.js';

const globals = globalThis as { fetch?: typeof fetch };
const saved = globals.fetch;
globals.fetch = undefined;
let loading: ReturnType<typeof loadYoga>;
try {
  loading = loadYoga();
} finally {
  globals.fetch = saved;
}

export default await loading;
