/**
 * Prints the Pothos schema to schema/schema.graphql (sorted). `--check` exits 1 when the committed file
 * is stale, which the test suite runs so a schema change without its printed file fails CI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { getSortedSchema } from '../src/edge/schema/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'schema', 'schema.graphql');
const printed = `${printSchema(getSortedSchema())}\n`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current !== printed) {
    process.stderr.write('schema/schema.graphql is stale: run `npm run schema`\n');
    process.exit(1);
  }
  process.stdout.write('schema/schema.graphql is up to date\n');
} else {
  writeFileSync(target, printed);
  process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
}
