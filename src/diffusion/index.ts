/** Public surface of src/diffusion: the reference pack's DDIM sampler (with LoRA injection), FID and class KL. */
export { alphaBars, ddimTimesteps, type LinearSchedule } from './schedule.js';
export { ddimStep, type DdimStepOptions } from './ddim.js';
export { SeededNormal } from './sampling-noise.js';
export { UnetEpsModel, loraScale, type EpsPredictor, type LoraInjection, type UnetEpsModelOptions } from './unet-model.js';
export { LoraGuidedEps, checkLoraGuidance, MAX_LORA_GUIDANCE, type LoraGuidedEpsOptions } from './lora-guidance.js';
export { sampleDdim, type SampleDdimOptions, type SampleSet, type SamplingProgress, type ImageShape } from './sampler.js';
export { toUint8Images, samplesToNetworkInput, type Uint8Image, type Normalise } from './images.js';
export { gaussianStats, frechetDistance, fid, type GaussianStats } from './fid.js';
export { classHistogram, klDivergence } from './class-histogram.js';
export { extractFeatures, type FeaturesSpec, type ExtractedFeatures } from './features.js';
