#!/usr/bin/env node
// Compiles the TypeScript sources to dist/ and copies the runtime assets next to them:
// the generated protobuf code, the TR-181 schema and the factory defaults.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
const copy = (rel) => {
  mkdirSync(dirname(join(root, 'dist', rel)), { recursive: true });
  cpSync(join(root, rel), join(root, 'dist', rel));
};
for (const f of readdirSync(join(root, 'proto', 'generated'))) if (f.endsWith('.js') || f.endsWith('.d.ts')) copy(join('proto', 'generated', f));
copy(join('datamodel', 'schema', 'tr181.json'));
copy(join('datamodel', 'factory-defaults.json'));
console.log('build: dist/ ready');
