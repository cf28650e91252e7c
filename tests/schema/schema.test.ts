import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { buildSchema, findBreakingChanges, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import codegenConfig from '../../codegen.js';
import { getSortedSchema } from '../../src/edge/schema/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('the public schema', () => {
  it('schema/schema.graphql is the printed Pothos schema (run `npm run schema`)', () => {
    expect(read('schema/schema.graphql')).toBe(`${printSchema(getSortedSchema())}\n`);
  });

  it('has no breaking change against the v1 contract (schema/contract-v1.graphql)', () => {
    const contract = buildSchema(read('schema/contract-v1.graphql'));
    const printed = buildSchema(read('schema/schema.graphql'));
    expect(findBreakingChanges(contract, printed).map((change) => change.description)).toEqual([]);
  });

  it('the generated client matches the schema and operations (run `npm run codegen`)', async () => {
    const previous = process.cwd();
    process.chdir(root);
    try {
      const outputs = await generate({ ...codegenConfig, silent: true, cwd: root }, false);
      expect(outputs.length).toBeGreaterThan(0);
      for (const output of outputs) {
        expect(read(path.relative(root, output.filename)), output.filename).toBe(output.content);
      }
    } finally {
      process.chdir(previous);
    }
  });
});
