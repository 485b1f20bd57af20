/** Every graph node of dp-hyperlora, in menu order. The node manifest (nodes/manifest.json) is built from this list. */
import type { NodeDefinition } from '../src/worker/node-definition.js';
import { buildDpConditioningPack } from './build-dp-conditioning-pack.js';
import { costQuery } from './cost-query.js';
import { dpConditioning } from './dp-conditioning.js';
import { dpEmbed } from './dp-embed.js';
import { dpEmbedClipVision } from './dp-embed-clip-vision.js';
import { dpEmbedClipVisionPack } from './dp-embed-clip-vision-pack.js';
import { dpReferenceSampler } from './dp-reference-sampler.js';
import { hypernetworkLora } from './hypernetwork-lora.js';
import { loadDpHypernetwork } from './load-dp-hypernetwork.js';
import { loadPrivateImages } from './load-private-images.js';
import { noisyAggregate } from './noisy-aggregate.js';
import { saveDpLora } from './save-dp-lora.js';

/** All nodes. */
export const ALL_NODES: readonly NodeDefinition[] = [
  loadDpHypernetwork, dpEmbed, noisyAggregate, hypernetworkLora, saveDpLora, dpReferenceSampler,
  buildDpConditioningPack, loadPrivateImages, dpEmbedClipVision, dpConditioning, dpEmbedClipVisionPack,
];

/** Worker-only queries the bridge calls outside any graph (public values only); in no node manifest. */
export const QUERY_NODES: readonly NodeDefinition[] = [costQuery];
