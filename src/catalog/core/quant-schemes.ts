/** The quantization scheme ids the presets' `scheme` values may take (model/core/quantization.ts sizes each). */
/** Every quantization format the planner knows (the presets' `scheme` values). */
export const QUANT_SCHEMES = [
  'bf16',
  'fp16',
  'awq-int4',
  'gptq-int4',
  'gptq-int8',
  'w4a16',
  'w8a8-int8',
  'w8a8-fp8',
  'w8a16-fp8',
  'fp8',
  'bnb-nf4',
  'nvfp4',
  'mxfp4',
  'gguf',
] as const;

export type QuantScheme = (typeof QUANT_SCHEMES)[number];
