import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findClientCase } from '../src/catalogue/case.js';
import { cases } from '../fixtures/cases.js';
import type { Outcome, TlsFacts } from '../src/probe/outcome.js';
import { echoFacts, judgeEchoedIdentity, referenceEchoPattern } from '../src/proxy/identity-echo.js';
import { forgedHeaders, forgedName, forgedSpiffeId, type ForgedIdentity } from '../src/proxy/identity-headers.js';
import { optInTagsLeftOut } from '../src/proxy/opt-in.js';
import { callerOf } from '../src/proxy/terminating-proxy.js';
import { judge } from '../src/verdict/judge.js';
import { createRunPki } from '../src/pki/index.js';

const tls: TlsFacts = { version: 'TLSv1.3', timings: { totalMs: 3 }, client: { flightSent: true, certificate: 'sent' } };
const answer = (caller: string): Outcome & { kind: 'accepted' } => ({ kind: 'accepted', tls, app: { protocol: 'http2', httpStatus: 200, bodyExcerpt: `{"message":"hello","client":{"subject":"CN=x","spiffeId":"${caller}"}}` }, detail: 'HTTP 200' });
const presented = ['spiffe://example.org/client', 'mtlspec client'];
const forgedId = forgedSpiffeId('spiffe://example.org/client');

describe('forged identity headers', () => {
  it('claim an identity in the client\'s trust domain, under a name the judgement recognizes', () => {
    assert.equal(forgedId, `spiffe://example.org/${forgedName}`);
  });

  it('are sent as-is, twice (the forged value first), or with the name in another case', async () => {
    const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'none' });
    const leaf = await pki.issue({ ...pki.validClientTemplate(), signer: 'self', subject: `CN=${forgedName}`, uris: [forgedId] });
    const forged: ForgedIdentity = { spiffeId: forgedId, subject: `CN=${forgedName}`, certPem: leaf.certPem, serverSpiffeId: 'spiffe://example.org/server' };
    const [xfcc] = forgedHeaders('xfcc', 'as-is', forged);
    assert.match(xfcc?.value ?? '', new RegExp(`^By=spiffe://example.org/server;Hash=[0-9a-f]{64};Subject="CN=${forgedName}";URI=${forgedId}$`));
    assert.equal(forgedHeaders('client-cert', 'duplicated', forged).length, 2);
    assert.match(forgedHeaders('client-cert', 'as-is', forged)[0]?.value ?? '', /^:[A-Za-z0-9+/=]+:$/);
    assert.equal(forgedHeaders('xfcc', 'other-case', forged)[0]?.name, 'x-fORWARDED-cLIENT-cERT');
    // The flawed proxy's backend reads the first X-SSL-Client-Cert: the forged one, as the client sent it (URL-encoded PEM).
    const [ssl] = forgedHeaders('ssl-client-cert', 'as-is', forged);
    assert.equal(callerOf(['Host', 'x', 'X-SSL-Client-Cert', ssl?.value ?? '', 'X-SSL-Client-Cert', 'MIIB']), forgedId);
    assert.equal(callerOf(['Host', 'x']), undefined);
  });
});

describe('the identity the answer names', () => {
  const facts = (caller: string): ReturnType<typeof echoFacts> => ({ ...echoFacts(answer(caller), undefined, referenceEchoPattern), presented });
  const forged = { kind: 'forged', family: 'xfcc', way: 'as-is' } as const;

  it('fails an answer that names the forged identity, passes one that names the certificate presented', () => {
    assert.equal(judgeEchoedIdentity(forged, true, facts(forgedId))?.status, 'failed');
    assert.equal(judgeEchoedIdentity(forged, true, facts('spiffe://example.org/client'))?.status, 'passed');
  });

  it('cannot tell, and says so, when the answer names nobody or somebody else', () => {
    const nobody: Outcome = { ...answer(''), app: { protocol: 'http2', httpStatus: 200, bodyExcerpt: 'ok' } };
    const silent = echoFacts(nobody, undefined, referenceEchoPattern);
    assert.equal(judgeEchoedIdentity(forged, true, { ...silent, presented })?.status, 'inconclusive');
    assert.match(judgeEchoedIdentity(forged, true, { ...silent, presented })?.why ?? '', /names no caller/);
    assert.equal(judgeEchoedIdentity(forged, true, facts('spiffe://example.org/someone'))?.status, 'inconclusive');
    // Without a certificate and without an echo, the acceptance itself is judged: no verdict here.
    assert.equal(judgeEchoedIdentity(forged, false, { ...silent, presented }), undefined);
  });

  it('behind a balancer: the answer must name the certificate presented', () => {
    assert.equal(judgeEchoedIdentity({ kind: 'echo-presented' }, true, facts('spiffe://example.org/client'))?.status, 'passed');
    assert.equal(judgeEchoedIdentity({ kind: 'echo-presented' }, true, facts('spiffe://example.org/other'))?.status, 'failed');
  });

  it('judge(): a forged header believed is a failure even though the connection was accepted with a valid certificate', () => {
    const testCase = findClientCase(cases, 'proxy/forged/xfcc/claims-other');
    const v = judge(testCase, answer(forgedId), { before: answer('spiffe://example.org/client'), echo: facts(forgedId) }, { strict: false });
    assert.equal(v.status, 'failed');
    assert.equal(v.expectationMet, false);
    const ok = judge(testCase, answer('spiffe://example.org/client'), { before: answer('spiffe://example.org/client'), echo: facts('spiffe://example.org/client') }, { strict: false });
    assert.equal(ok.status, 'passed');
    // A forged header sent without a certificate and let through is a failure, whatever the answer names.
    const noCert = findClientCase(cases, 'proxy/forged/xfcc/no-cert');
    const served: Outcome = { ...answer(''), app: { protocol: 'http2', httpStatus: 200 } };
    assert.equal(judge(noCert, served, { before: answer('x') }, { strict: false }).status, 'failed');
  });
});

describe('opt-in cases', () => {
  it('leave the balancer and proxy cases out unless the run names them, selects them, or gives what they need', () => {
    const none = { repeat: undefined, identityEcho: undefined };
    assert.deepEqual(optInTagsLeftOut([], undefined, none), ['@balanced', '@proxy-identity']);
    assert.deepEqual(optInTagsLeftOut([], '@proxy-identity', none), ['@balanced']);
    assert.deepEqual(optInTagsLeftOut([], '@proxy-identity-x', none), ['@balanced', '@proxy-identity']);
    assert.deepEqual(optInTagsLeftOut(['proxy'], undefined, none), ['@balanced']);
    assert.deepEqual(optInTagsLeftOut([], undefined, { repeat: 3, identityEcho: undefined }), ['@proxy-identity']);
    assert.deepEqual(optInTagsLeftOut([], undefined, { repeat: undefined, identityEcho: 'x' }), []);
  });
});
