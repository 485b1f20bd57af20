// Local check helper (not a test): the LoRA an SD pack's hypernetwork makes from a fixed public embedding, written as
// safetensors through the product's own path (loadPack → hypernet.onnx → assembleLora → loraToSafetensors), so that
// ../shared/tools/real-comfyui/lora_check.py can load it through real ComfyUI's key map (docs/packs.md).
//   node --import tsx test/bridge/sdpack_lora_file.ts PACK_DIR OUT.safetensors
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loraToSafetensors } from '../../src/lora/index.js';
import { LORA_METADATA_SCHEMA } from '../../src/lora/metadata.js';
import { runHypernet } from '../../src/pack/hypernet.js';
import { packLayout } from '../../src/pack/layout-check.js';
import { loadPack } from '../../src/pack/manifest.js';
import { VERSION } from '../../src/version.js';

const [dir, out] = process.argv.slice(2);
if (dir === undefined || out === undefined) throw new Error('usage: sdpack_lora_file.ts PACK_DIR OUT.safetensors');
const pack = await loadPack(dir);
const m = pack.manifest;
const session = await ort.InferenceSession.create(join(dir, m.hypernet.file));
const embedding = Float32Array.from({ length: m.embeddingDim }, (_, i) => Math.sin(i + 1) / Math.sqrt(m.embeddingDim));
const factors = await runHypernet(session, m.hypernet.inputName, embedding);
writeFileSync(out, loraToSafetensors({
  outputs: factors, layout: packLayout(m), rank: m.lora.rank, alpha: m.lora.alpha, dtype: 'F16',
  metadata: {
    schema: LORA_METADATA_SCHEMA, mechanism: 'dp-deepsets-discrete-gaussian', relation: 'add-remove', countTreatment: 'noisy-count',
    epsilon: 1, delta: 1e-5, clipNorm: m.dp.clipNorm, sigmaSum: 1, sigmaCount: 1, releaseNumber: 0, packId: m.id,
    packVersion: m.version, layout: m.lora.layout, rank: m.lora.rank, alpha: m.lora.alpha, toolVersion: VERSION,
  },
}));
process.stdout.write(`${out}: ${m.lora.layout} LoRA, ${m.lora.modules.length} modules, rank ${m.lora.rank}\n`);
await session.release();
