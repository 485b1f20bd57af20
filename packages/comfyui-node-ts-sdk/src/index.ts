/** comfyui-node-ts-sdk: the public entry point. */
export { NodeSdkError, isNodeSdkError, SDK_ERROR_CODES, type SdkErrorCode } from './errors.js';
export { SILENT_LOGGER, type SdkLogger } from './logger.js';
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
export type { DecodedValue, HostFile, NodeResult } from './values.js';
export type {
  BaseHostSpec,
  BasicPackTypes,
  ChoiceInput,
  ClipVisionField,
  ComboInput,
  FloatInput,
  InputSpec,
  IntInput,
  NodeContext,
  NodeDefinition,
  OutputSpec,
  PackTypes,
  SocketInput,
  StringInput,
} from './node-definition.js';
export { handleInput, modelInput, optionalTensor, readJsonInputs, tensorInput, tensorsInput } from './inputs.js';
export { choiceValueSchema, inputShape, readNodeInputs, type JsonInputValues, type JsonSockets } from './input-schema.js';
export { buildNodeManifest, checkNodeDefinitions, NODE_MANIFEST_FORMAT, nodeManifestText, type ManifestOptions, type NodeManifest } from './node-manifest.js';
export { nodeObjectInfo, type ChoiceLists, type ObjectInfoInput, type ObjectInfoNode } from './object-info.js';
export {
  blobEntrySchema,
  bridgeMessageSchema,
  describeIssues,
  PROTOCOL_VERSION,
  tensorRefSchema,
  wireFileSchema,
  wireValueSchema,
  workerMessageSchema,
  type BlobEntry,
  type BridgeMessage,
  type TensorRef,
  type WireFile,
  type WireValue,
  type WorkerMessage,
} from './protocol.js';
export { decodeWireValue, encodeWireFile, encodeWireValue, FrameSink, packBlob } from './wire-values.js';
export { SharedMemoryChannel, shmBase, shmDirPattern, sweepStaleShmDirs, type ShmNaming } from './shared-memory.js';
export { HANDLE_EXPIRED_REASON, NodeHost, type ErrorReport, type HostTransport, type NodeHostOptions } from './node-host.js';
export { connectOnce, serveBridge, type ConnectOptions } from './connection.js';
export { conditioningValue, latentValue, readConditioning, readLatent, type ConditioningItem, type Latent } from './core-values.js';
