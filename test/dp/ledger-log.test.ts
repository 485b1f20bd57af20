/**
 * The ledger's own log lines (src/dp/ledger.ts), read from stderr, the logger's only sink: its scope name and
 * the warning for a repeat asked with another ρ, which returns the stored value and charges nothing. The line
 * names the release id and both ρ values (public parameters), never the images or their number.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger, type ImageId, type Ledger } from '../../src/dp/ledger.js';
import { rho } from '../../src/dp/types.js';
import { setLogLevel } from '../../src/log/logger.js';

function tempLedger(t: TestContext): Ledger {
  const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-log-'));
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  t.after(() => {
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return ledger;
}

/** Awaits `fn` and returns what it wrote to stderr meanwhile. */
async function stderrOf<T>(t: TestContext, fn: () => Promise<T>): Promise<{ text: string; result: T }> {
  let text = '';
  const spy = t.mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    const result = await fn();
    return { text, result };
  } finally {
    spy.mock.restore();
  }
}

const PARAMS = { epsilon: 1, delta: 1e-5, relation: 'add-remove', clipNorm: 1, pack: 'reference-fmnist@1' };

test('a repeat asked with another ρ is warned about under the scope "ledger"; an identical repeat logs nothing', async (t) => {
  setLogLevel('info');
  const ledger = tempLedger(t);
  const ids: ImageId[] = [0, 1, 2].map((i) => ledger.identify(Uint8Array.from([i, 9, 7, 1, 2, 3]), 2, 1, 3));
  const first = await ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(0.25), compute: () => 1.5 });
  assert.equal(first.charged, true);

  const same = await stderrOf(t, () => ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(0.25), compute: () => 2 }));
  assert.equal(same.text, '', 'an identical repeat is silent');
  assert.equal(same.result.charged, false);

  const other = await stderrOf(t, () => ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(0.5), compute: () => 3 }));
  assert.equal(other.text, `[dp-hyperlora warn] ledger: release ${first.releaseId} was stored with ρ=0.25, now requested with ρ=0.5; `
    + 'returning the stored value, charging nothing\n');
  assert.equal(other.result.charged, false);
  assert.equal(other.result.value, 1.5, 'the stored value is returned');
  assert.equal(other.result.rhoCharged, 0);
});
