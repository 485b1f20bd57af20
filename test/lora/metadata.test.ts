import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkLoraMetadata, LORA_METADATA_SCHEMA, LoraMetadataSchema, type LoraMetadata, metadataFromHeader, metadataToHeader,
} from '../../src/lora/metadata.js';
import { VERSION } from '../../src/version.js';
import { isDpError } from '../../src/errors.js';

const addRemove: LoraMetadata = {
  schema: LORA_METADATA_SCHEMA,
  mechanism: 'dp-deepsets-discrete-gaussian',
  relation: 'add-remove',
  countTreatment: 'noisy-count',
  epsilon: 1,
  delta: 1e-6,
  clipNorm: 1,
  sigmaSum: 4.25,
  sigmaCount: 8.5,
  releaseNumber: 0,
  packId: 'reference-fmnist',
  packVersion: '1.0.0',
  layout: 'reference',
  rank: 4,
  alpha: 4,
  toolVersion: VERSION,
};

test('the schema has exactly the public fields, none of which could hold a name, a path or n', () => {
  assert.deepEqual(Object.keys(LoraMetadataSchema.shape).sort(), [
    'alpha', 'clipNorm', 'countTreatment', 'delta', 'epsilon', 'layout', 'mechanism', 'packId', 'packVersion', 'rank',
    'relation', 'releaseNumber', 'rho', 'schema', 'sigmaCount', 'sigmaSum', 'toolVersion',
  ]);
});

test('to header and back: prefixed string map, exact values', () => {
  const header = metadataToHeader(addRemove);
  assert.deepEqual(header, {
    'dp_hyperlora.schema': 'dp-hyperlora.lora-metadata/1',
    'dp_hyperlora.mechanism': 'dp-deepsets-discrete-gaussian',
    'dp_hyperlora.relation': 'add-remove',
    'dp_hyperlora.countTreatment': 'noisy-count',
    'dp_hyperlora.epsilon': '1',
    'dp_hyperlora.delta': '0.000001',
    'dp_hyperlora.clipNorm': '1',
    'dp_hyperlora.sigmaSum': '4.25',
    'dp_hyperlora.sigmaCount': '8.5',
    'dp_hyperlora.releaseNumber': '0',
    'dp_hyperlora.packId': 'reference-fmnist',
    'dp_hyperlora.packVersion': '1.0.0',
    'dp_hyperlora.layout': 'reference',
    'dp_hyperlora.rank': '4',
    'dp_hyperlora.alpha': '4',
    'dp_hyperlora.toolVersion': VERSION,
  });
  assert.deepEqual(metadataFromHeader({ ...header, 'ss_other_tool': 'ignored' }), addRemove);
  const zcdp = { ...addRemove, mechanism: 'dp-deepsets-discrete-gaussian' as const, rho: 0.0123 };
  assert.equal(metadataToHeader(zcdp)['dp_hyperlora.rho'], '0.0123');
  assert.deepEqual(metadataFromHeader(metadataToHeader(zcdp)), zcdp);
});

test('private fields are rejected: unknown keys, paths in identifiers', () => {
  const withFields = (extra: Record<string, unknown>): unknown => ({ ...addRemove, ...extra });
  const rejects = (value: unknown, message: string): void => {
    assert.throws(() => checkLoraMetadata(value), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message === message);
  };
  rejects(withFields({ n: 1234 }), 'LoRA metadata is invalid: (root): Unrecognized key: "n"');
  rejects(withFields({ imagesDir: '/home/alice/photos', sourceFiles: ['a.png'] }),
    'LoRA metadata is invalid: (root): Unrecognized keys: "imagesDir", "sourceFiles"');
  rejects(withFields({ packId: '../alice/photos' }), 'LoRA metadata is invalid: packId: Invalid string: must match pattern /^[a-z0-9][a-z0-9._-]{0,63}$/');
  rejects(withFields({ packVersion: '1.0.0 alice.png' }),
    'LoRA metadata is invalid: packVersion: Invalid string: must match pattern /^\\d{1,6}\\.\\d{1,6}\\.\\d{1,6}(?:-[0-9A-Za-z.-]{1,32})?$/');
  assert.throws(() => metadataFromHeader({ ...metadataToHeader(addRemove), 'dp_hyperlora.datasetSize': '1234' }),
    (e: unknown) => isDpError(e, 'SAFETENSORS_INVALID') &&
      e.message === 'the file\'s dp-hyperlora metadata is invalid: (root): Unrecognized key: "datasetSize"');
});

test('the count treatment must match the relation; sigmaCount only with a noisy count', () => {
  const replaceOne = { ...addRemove, relation: 'replace-one', countTreatment: 'public-n', sigmaCount: undefined };
  assert.equal(checkLoraMetadata(replaceOne).relation, 'replace-one');
  assert.equal('dp_hyperlora.sigmaCount' in metadataToHeader(checkLoraMetadata(replaceOne)), false);
  assert.throws(() => checkLoraMetadata({ ...addRemove, countTreatment: 'public-n' }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') &&
      e.message === 'LoRA metadata is invalid: countTreatment: must be noisy-count under add-remove; sigmaCount: is required with a noisy count and forbidden otherwise');
  assert.throws(() => checkLoraMetadata({ ...addRemove, epsilon: 0, delta: 1 }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') &&
      e.message === 'LoRA metadata is invalid: epsilon: Too small: expected number to be >0; delta: Too big: expected number to be <1');
});

test('a blank numeric field is refused as not a number, never read as 0', () => {
  for (const field of ['epsilon', 'releaseNumber']) {
    assert.throws(() => metadataFromHeader({ ...metadataToHeader(addRemove), [`dp_hyperlora.${field}`]: ' ' }),
      (e: unknown) => isDpError(e, 'SAFETENSORS_INVALID')
        && e.message === `the file's dp-hyperlora metadata is invalid: ${field}: Invalid input: expected number, received string`);
  }
});
