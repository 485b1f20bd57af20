/** Public surface of src/lora: safetensors format, LoRA layouts, base-model detection, assembly, metadata. */
export {
  FLOAT_DTYPES, type FloatDtype, DTYPE_SIZES, isFloatDtype, floatDtypeSize, decodeFloats, encodeFloats,
  float32ToF16Bits, f16BitsToFloat32, float32ToBf16Bits, bf16BitsToFloat32,
} from './dtype.js';
export {
  parseSafetensors, DEFAULT_MAX_HEADER_BYTES, type SafetensorsFile, type SafetensorsTensor, type ParseSafetensorsOptions,
} from './safetensors-reader.js';
export { serializeSafetensors, type SafetensorsInput } from './safetensors-writer.js';
export { LAYOUT_NAMES, type LayoutName, type LoraLayout, type LoraModule, downKey, upKey, alphaKey } from './layouts/layout.js';
export { SD15_LAYOUT, SD15_STAGES, SD15_CONTEXT_DIM } from './layouts/sd15.js';
export { SDXL_LAYOUT, SDXL_STAGES, SDXL_CONTEXT_DIM } from './layouts/sdxl.js';
export { referenceLayout, KOHYA_KEY_PATTERN } from './layouts/reference.js';
export { resolveLayout, layoutDifferences, FIXED_LAYOUTS } from './layouts/resolve.js';
export { type AttentionStage, type AttentionProjection, attentionProjections, kohyaKey } from './layouts/unet-blocks.js';
export { detectBaseModel, type BaseDetection } from './detect-base.js';
export { assembleLora, loraToSafetensors, type AssembleLoraOptions, type NamedFloatTensor } from './assemble.js';
export { loraFromSafetensors, type LoadedLora } from './read-lora.js';
export {
  LoraMetadataSchema, type LoraMetadata, LORA_METADATA_SCHEMA, METADATA_KEY_PREFIX, checkLoraMetadata,
  metadataToHeader, metadataFromHeader,
} from './metadata.js';
