/**
 * Writes the JSON Schemas: grad-spec.schema.json from the layer catalogue and gl-run.schema.json
 * (a training run's log records) from the reader's record descriptions.
 * `node -r esbuild-register schema/generate.ts`
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaText } from '../src/model/schema';
import { runLogSchemaText } from '../src/trace/run-log/schema';

writeFileSync(join(__dirname, 'grad-spec.schema.json'), schemaText());
writeFileSync(join(__dirname, 'gl-run.schema.json'), runLogSchemaText());
