import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keyStrengthProblem, serverAuthProblem, spiffeIdProblemOfServer, validityProblem } from '../src/catalogue/server-checks.js';
import type { ServerFacts } from '../src/probe/outcome.js';

/**
 * The readings behind the server-identity cases, on certificates made by the
 * openssl CLI. (The detection-matrix test shows them catching flawed built-in
 * servers; a weak server key cannot be shown that way, since the correct
 * reference server refuses to load one.)
 */
function selfSigned(keyArgs: string[], extra: string[] = []): ServerFacts {
  const dir = mkdtempSync(path.join(tmpdir(), 'mtlspec-server-checks-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-nodes', ...keyArgs, '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-subj', '/CN=localhost', '-days', '1', ...extra], { stdio: 'ignore' });
    return { certificatePem: readFileSync(path.join(dir, 'c.pem'), 'utf8'), chainPems: [], chainVerified: true, nameMatches: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('server certificate readings', () => {
  let rsa1024: ServerFacts;
  let p256: ServerFacts;
  let clientOnly: ServerFacts;
  before(() => {
    rsa1024 = selfSigned(['-newkey', 'rsa:1024']);
    p256 = selfSigned(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['-addext', 'subjectAltName=URI:spiffe://example.org/server']);
    clientOnly = selfSigned(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['-addext', 'extendedKeyUsage=clientAuth']);
  });

  it('key strength: RSA-1024 is too weak, P-256 is fine', () => {
    assert.match(keyStrengthProblem(rsa1024) ?? '', /RSA key has 1024 bits; at least 2048/);
    assert.equal(keyStrengthProblem(p256), undefined);
  });

  it('serverAuth: a clientAuth-only EKU is refused, no EKU at all is fine', () => {
    assert.match(serverAuthProblem(clientOnly) ?? '', /does not include serverAuth/);
    assert.equal(serverAuthProblem(p256), undefined);
  });

  it('validity: judged against the given instant', () => {
    assert.equal(validityProblem(p256, new Date()), undefined);
    assert.match(validityProblem(p256, new Date(Date.now() + 3 * 86_400_000)) ?? '', /expired on/);
  });

  it('SPIFFE ID: exactly the expected URI SAN', () => {
    assert.equal(spiffeIdProblemOfServer(p256, 'spiffe://example.org/server'), undefined);
    assert.match(spiffeIdProblemOfServer(p256, 'spiffe://example.org/other') ?? '', /presents spiffe:\/\/example.org\/server, not exactly/);
    assert.match(spiffeIdProblemOfServer(rsa1024, 'spiffe://example.org/server') ?? '', /no URI SAN/);
  });
});
