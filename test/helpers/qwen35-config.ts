/**
 * Qwen3.5-0.8B's text config.json as tests feed it to the config reader: a gated-delta-net hybrid (a full-attention
 * layer every fourth) with one MTP layer, the shape the MTP and speculative-decoding tests plan.
 */
export const QWEN35_08B_TEXT = {
  architectures: ['Qwen3_5ForCausalLM'],
  model_type: 'qwen3_5_text',
  num_hidden_layers: 24,
  hidden_size: 1024,
  intermediate_size: 3584,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  head_dim: 256,
  vocab_size: 248320,
  tie_word_embeddings: true,
  max_position_embeddings: 262144,
  layer_types: Array.from({ length: 24 }, (_, i) => ((i + 1) % 4 === 0 ? 'full_attention' : 'linear_attention')),
  linear_key_head_dim: 128,
  linear_num_key_heads: 16,
  linear_num_value_heads: 16,
  linear_value_head_dim: 128,
  linear_conv_kernel_dim: 4,
  mamba_ssm_dtype: 'float32',
  mtp_num_hidden_layers: 1,
  torch_dtype: 'bfloat16',
};
