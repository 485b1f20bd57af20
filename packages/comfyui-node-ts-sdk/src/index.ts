/** comfyui-node-ts-sdk: the public entry point. */
export { NodeSdkError, isNodeSdkError, SDK_ERROR_CODES, type SdkErrorCode } from './errors.js';
export { checkTensor, DTYPE_BYTES, elementCount, float32Tensor, float32View, type Tensor, type TensorDtype } from './tensor.js';
