import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * `npm run policy:build`: compiles the policy pack to CommonJS in infra/policy/dist with its own
 * package.json and PulumiPolicy.yaml, the directory `pulumi preview --policy-pack` takes. The
 * packages it needs (@pulumi/policy, @pulumi/pulumi) resolve from the repository's node_modules.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const dist = `${here}dist`;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
execFileSync(process.execPath, [tsc, '-p', `${here}tsconfig.build.json`], { stdio: 'inherit' });
// Build output, not source: keep `eslint .` off it when a local build is lying around.
for (const file of readdirSync(dist).filter((name) => name.endsWith('.js'))) {
  writeFileSync(`${dist}/${file}`, `/* eslint-disable */\n${readFileSync(`${dist}/${file}`, 'utf8')}`);
}
copyFileSync(`${here}PulumiPolicy.yaml`, `${dist}/PulumiPolicy.yaml`);
writeFileSync(
  `${dist}/package.json`,
  `${JSON.stringify({ name: 'realtime-insights-policy', version: '1.0.0', private: true, type: 'commonjs', main: 'index.js' }, null, 2)}\n`,
);
console.log(`policy pack built in ${dist}`);
