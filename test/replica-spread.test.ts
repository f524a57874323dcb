import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientCase, ServerCase } from '../src/catalogue/case.js';
import { createRunPki } from '../src/pki/index.js';
import { echoOnEachBackend, judgeServerOnEachBackend } from '../src/proxy/each-backend.js';
import { referenceEchoPattern } from '../src/proxy/identity-echo.js';
import type { Outcome, TlsFacts } from '../src/probe/outcome.js';
import { backendsNotice } from '../src/proxy/connection-evidence.js';
import { connectionSpread, controlSpreadNote, spreadProbe } from '../src/proxy/replica-spread.js';
import { caseBudgetMs } from '../src/run/pacing.js';
import { judge } from '../src/verdict/judge.js';

const tls: TlsFacts = { version: 'TLSv1.3', timings: { totalMs: 3 }, client: { flightSent: true, certificate: 'sent' } };
const accepted: Outcome = { kind: 'accepted', tls, app: { protocol: 'http2', httpStatus: 200 }, detail: 'HTTP 200' };
const refused: Outcome = { kind: 'rejected', stage: 'first-read', tls: { ...tls, alert: { name: 'unknown_ca', code: 48 } }, detail: 'alert unknown_ca' };
const shed: Outcome = { kind: 'shed', reason: 'overloaded', tls, detail: 'HTTP 503' };
const probes = (...outcomes: Outcome[]): Array<{ outcome: Outcome; attempts: number }> => outcomes.map((outcome) => ({ outcome, attempts: 1 }));

const mustRefuse: ClientCase = { kind: 'client', id: 'x/y', title: 'a case', rule: 'RFC 5280 6.1', level: 'MUST', expect: 'rejected', expectedAlerts: ['unknown_ca'], credential: { kind: 'valid' } };
const mustAccept: ClientCase = { ...mustRefuse, expect: 'accepted', expectedAlerts: [] };

describe('--repeat: N connections reduced to the one that decides', () => {
  it('a negative case is decided by any acceptance, the control and positive cases by any refusal', () => {
    assert.equal(spreadProbe(probes(refused, accepted, refused), 3, 'rejected').outcome, accepted);
    assert.equal(spreadProbe(probes(accepted, refused, accepted), 3, 'accepted').outcome, refused);
    assert.equal(spreadProbe(probes(refused, refused, refused), 3, 'rejected').outcome, refused);
    assert.equal(spreadProbe(probes(refused, refused, refused), 3, 'rejected').connections.length, 3);
  });

  it('a connection that said nothing, or one the deadline cut, is never read as a refusal', () => {
    assert.equal(spreadProbe(probes(refused, shed, refused), 3, 'rejected').outcome.kind, 'shed');
    const cut = spreadProbe(probes(refused, refused), 3, 'rejected');
    assert.equal(cut.outcome.kind, 'unreachable');
    assert.match(cut.outcome.detail, /only 2 of the 3 connections/);
    // An acceptance found before the deadline still decides: it is a finding whatever the others would have said.
    assert.equal(spreadProbe(probes(accepted), 3, 'rejected').outcome, accepted);
  });

  it('fails a negative case accepted on one connection of three, naming the balancer', () => {
    const decided = spreadProbe(probes(refused, accepted, refused), 3, 'rejected');
    const spread = connectionSpread(decided.connections, 3);
    const v = judge(mustRefuse, decided.outcome, { before: accepted, ...(spread ? { spread } : {}) }, { strict: false });
    assert.equal(v.status, 'failed');
    assert.match(v.why, /^accepted on 1 of 3 connections: a backend behind the balancer does not enforce this/);
  });

  it('passes a negative case only when every connection refused it and the control was accepted after', () => {
    const decided = spreadProbe(probes(refused, refused, refused), 3, 'rejected');
    const spread = connectionSpread(decided.connections, 3);
    assert.equal(judge(mustRefuse, decided.outcome, { before: accepted, after: accepted, ...(spread ? { spread } : {}) }, { strict: false }).status, 'passed');
    const cut = spreadProbe(probes(refused, refused), 3, 'rejected');
    assert.equal(judge(mustRefuse, cut.outcome, { before: accepted, after: accepted }, { strict: false }).status, 'inconclusive');
  });

  it('fails a positive case one backend refuses', () => {
    const decided = spreadProbe(probes(accepted, accepted, refused), 3, 'accepted');
    const spread = connectionSpread(decided.connections, 3);
    const v = judge(mustAccept, decided.outcome, { before: accepted, after: accepted, ...(spread ? { spread } : {}) }, { strict: false });
    assert.equal(v.status, 'failed');
    assert.match(v.why, /^refused on 1 of 3 connections/);
  });

  it('scales the case deadline with the connections', () => {
    assert.equal(caseBudgetMs(5000), 45_000);
    assert.equal(caseBudgetMs(5000, 3), 105_000);
  });
});

describe('several backends behind one address', () => {
  const control = (fingerprint: string): { outcome: Outcome; connections: Array<{ kind: 'accepted'; detail: string; attempts: number; serverCertificate: string }> } => ({
    outcome: accepted,
    connections: [{ kind: 'accepted', detail: 'HTTP 200', attempts: 1, serverCertificate: fingerprint }],
  });
  it('says so when the controls were answered by more than one server certificate, and suggests --repeat', () => {
    const records = [
      { protocol: 'http2' as const, target: 'https://127.0.0.1:1/hello', control: control('AA:BB'), controlAfter: control('CC:DD') },
      { protocol: 'http2' as const, target: 'https://127.0.0.1:1/hello', control: control('EE:FF') },
    ];
    const [line, ...rest] = backendsNotice(records, 1);
    assert.equal(rest.length, 0);
    assert.match(line ?? '', /answered by 3 different server certificates \(AA:BB, CC:DD, EE:FF\): several backends behind one address; .*--repeat 3/);
    assert.match(backendsNotice(records, 3)[0] ?? '', /each case was probed on 3 connections/);
    // One backend, however many controls: nothing to say.
    assert.deepEqual(backendsNotice(records.map((r) => ({ ...r, control: control('AA:BB'), controlAfter: control('AA:BB') })), 1), []);
  });
});

describe('behind a balancer, what an answer says is read on every connection', () => {
  it('a server case fails when one backend\'s certificate breaks the rule, and names that backend', async () => {
    const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate' });
    const good = await pki.issue({ ...pki.validClientTemplate(), subject: 'CN=good' });
    const bad = await pki.issue({ ...pki.validClientTemplate(), subject: 'CN=bad' });
    const answeredBy = (certificatePem: string): Outcome => ({ ...accepted, tls: { ...tls, server: { certificatePem, chainPems: [], chainVerified: true, nameMatches: true } } });
    const serverCase: ServerCase = { kind: 'server', id: 's/x', title: 'a server case', rule: 'RFC 5280 4.1.2.5', level: 'MUST', check: (server) => (server.certificatePem === bad.certPem ? 'bad certificate' : undefined) };
    const context = { now: new Date(), protocol: 'http2' as const, serverSpiffeId: undefined, alpn: 'h2' };
    const control = spreadProbe(probes(answeredBy(good.certPem), answeredBy(bad.certPem), answeredBy(good.certPem)), 3, 'accepted');
    const v = judgeServerOnEachBackend(serverCase, control, context, { strict: false });
    assert.equal(v.status, 'failed');
    assert.match(v.why, /^bad certificate on the backend whose certificate is [0-9A-F:]+… \(one of 2 seen\)$/);
    assert.equal(judgeServerOnEachBackend(serverCase, spreadProbe(probes(answeredBy(good.certPem)), 1, 'accepted'), context, { strict: false }).status, 'passed');
  });

  it('an identity case takes the connection whose backend believed the forged header', () => {
    const said = (caller: string): Outcome => ({ ...accepted, app: { protocol: 'http2', httpStatus: 200, bodyExcerpt: `{"spiffeId":"${caller}"}` } });
    const decided = spreadProbe(probes(said('spiffe://example.org/client'), said('spiffe://example.org/mtlspec-forged-admin')), 2, 'rejected');
    const echo = echoOnEachBackend({ kind: 'forged', family: 'xfcc', way: 'as-is' }, true, decided, undefined, referenceEchoPattern);
    assert.equal(echo.echoed, 'spiffe://example.org/mtlspec-forged-admin');
  });
});

describe('the preflight with --repeat', () => {
  it('says a backend refuses the valid credential when the other connections were accepted', () => {
    assert.match(controlSpreadNote(probes(accepted, refused, accepted)), /the other 2 of 3 connections were accepted: a backend behind the balancer refuses/);
    assert.equal(controlSpreadNote(probes(refused, refused)), '');
    assert.equal(controlSpreadNote(undefined), '');
  });
});
