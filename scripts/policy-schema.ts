/** Writes policies/schema.json from the policy model (`npm run policy:schema`); a unit test keeps them equal. */
import fs from 'node:fs';
import path from 'node:path';
import { policyJsonSchema } from '../lib/policy/model';

fs.writeFileSync(path.resolve(import.meta.dirname, '../policies/schema.json'), `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
