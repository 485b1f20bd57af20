/** comfyui-node-ts-sdk: the public entry point. */
export { NodeSdkError, isNodeSdkError, SDK_ERROR_CODES, type SdkErrorCode } from './errors.js';
export { checkTensor, DTYPE_BYTES, elementCount, float32Tensor, float32View, type Tensor, type TensorDtype } from './tensor.js';
export {
  decodeTensorFrame,
  DEFAULT_CHUNK_BYTES,
  encodeTensorFrames,
  MAX_TENSOR_BYTES,
  TENSOR_FILE_MIN_BYTES,
  TENSOR_FILE_PATTERN,
  TensorReassembler,
  type FrameHeader,
  type TensorFileChannel,
} from './tensor-frames.js';
export { HandleStore, type HandleStoreLike } from './handles.js';
