/** Writes grad-spec.schema.json from the catalogue: `node -r esbuild-register schema/generate.ts`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaText } from '../src/model/schema';

writeFileSync(join(__dirname, 'grad-spec.schema.json'), schemaText());
