import { readFileSync, writeFileSync } from 'node:fs';
let src = readFileSync('test/dp/audit.test.ts', 'utf8');
src = src.replace(/\ntest\([\s\S]*$/, '\n');
src = src.replace(/'\.\.\/\.\.\/src/g, "'./src");
src += `
const reps = Number(process.env.REPS ?? 3);
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  const a = audit((s) => releaseMean(s, addRemovePlan), sumOf(addRemovePlan, BASE), sumOf(addRemovePlan, [...BASE, C]), addRemovePlan);
  const b = audit((s) => releaseMean(s, replacePlan), sumOf(replacePlan, [...BASE, -C]), sumOf(replacePlan, [...BASE, C]), replacePlan);
  const broken = { ...addRemovePlan, noiseSum: halve(addRemovePlan.noiseSum), noiseCount: halve(addRemovePlan.noiseCount as DiscreteGaussianScale) };
  const c = audit((s) => releaseMeanWith(s, broken, bits), sumOf(addRemovePlan, BASE), sumOf(addRemovePlan, [...BASE, C]), addRemovePlan);
  const broken2 = { ...replacePlan, noiseSum: halve(replacePlan.noiseSum) };
  const d = audit((s) => releaseMeanWith(s, broken2, bits), sumOf(replacePlan, [...BASE, -C]), sumOf(replacePlan, [...BASE, C]), replacePlan);
  console.log(N, a.toFixed(3), b.toFixed(3), c.toFixed(3), d.toFixed(3), ((performance.now() - t0) / 1000).toFixed(1) + 's');
}
`;
src = src.replace("import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n", '');
src = src.replace('const N = 100_000;', 'const N = Number(process.env.AUDIT_N ?? 100000);');
writeFileSync('.scratch-audit.ts', src);
