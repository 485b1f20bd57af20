import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HandleStore, isNodeSdkError } from '../src/index.js';

test('a value round-trips by its opaque handle, which shows nothing of the value', () => {
  const store = new HandleStore();
  const value = { rows: [1, 2, 3] };
  const h = store.put('SOME_TYPE', value);
  assert.match(h, /^h_[0-9a-f]{32}$/);
  assert.equal(store.get('SOME_TYPE', h), value);
  assert.notEqual(store.put('SOME_TYPE', value), h, 'every put makes a fresh handle');
});

test('an unknown handle, or one asked for as another type, is HANDLE_EXPIRED', () => {
  const store = new HandleStore();
  const h = store.put('A', 1);
  for (const [type, handle] of [['A', 'h_0'], ['B', h]] as const) {
    assert.throws(() => store.get(type, handle), (e: unknown) => isNodeSdkError(e) && e.code === 'HANDLE_EXPIRED'
      && e.message === `the ${type} input refers to data this worker no longer holds (it restarted or evicted it); run the node that produced it again.`);
  }
});

test('the store is bounded and evicts the least recently used handle first', () => {
  const store = new HandleStore(2);
  const a = store.put('T', 'a');
  const b = store.put('T', 'b');
  assert.equal(store.get('T', a), 'a');
  const c = store.put('T', 'c');
  assert.equal(store.size, 2);
  assert.throws(() => store.get('T', b), { code: 'HANDLE_EXPIRED' });
  assert.equal(store.get('T', a), 'a');
  assert.equal(store.get('T', c), 'c');
});
