// `npm run generate` (this step): writes docs/configuration.md and docs/selfheal.schema.json from the
// declared keys. test/config/schema.test.ts checks the committed files are what this writes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationMarkdown, configurationSchema, SCHEMA_FILE } from './docs';

/** The generated configuration docs, by path relative to the repository. */
export function configDocs(): Record<string, string> {
  return {
    'docs/configuration.md': configurationMarkdown(),
    [SCHEMA_FILE]: JSON.stringify(configurationSchema(), null, 2) + '\n',
  };
}

if (require.main === module) {
  const root = join(__dirname, '..', '..', '..');
  for (const [path, text] of Object.entries(configDocs())) {
    writeFileSync(join(root, path), text);
    console.log(`wrote ${path}`);
  }
}
