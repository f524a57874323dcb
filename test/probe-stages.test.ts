import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRunPki, loopbackHosts, type RunPki } from '../src/pki/index.js';
import { probe, type ClientCredential } from '../src/probe/probe.js';
import type { Outcome } from '../src/probe/outcome.js';
import { parseTargetUrl } from '../src/target/target.js';
import { startHostileHttp2, type Http2Misbehaviour, type RunningHostileHttp2 } from './support/hostile-http2.js';
import { startFaultProxy, type FaultPlan } from './support/fault-proxy.js';

/**
 * probe() itself, against servers that misbehave at each stage: what it
 * reads as a refusal of the credential, and what it reads as the target
 * turning the probe away ("shed") before it could judge it.
 */
let pki: RunPki;
let credential: ClientCredential;
const started: Array<{ close(): Promise<void> }> = [];

before(async () => {
  pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate', serverHosts: loopbackHosts });
  credential = await pki.issue(pki.validClientTemplate());
});
after(async () => {
  await Promise.allSettled(started.map((s) => s.close()));
});

async function hostile(misbehaviour: Http2Misbehaviour): Promise<RunningHostileHttp2> {
  assert.ok(pki.server);
  const server = await startHostileHttp2({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, misbehaviour });
  started.push(server);
  return server;
}

function probeUrl(url: string, timeoutMs = 3000): Promise<Outcome> {
  assert.ok(pki.trustedCa);
  return probe({ target: parseTargetUrl(url), credential, serverCaPem: pki.trustedCa.certPem, timeoutMs });
}

describe('probe(): stages and shed probes', () => {
  it('GOAWAY before the response is shed, with the GOAWAY in the evidence', async () => {
    const server = await hostile({ kind: 'goaway', after: 0 });
    const outcome = await probeUrl(server.url);
    assert.equal(outcome.kind, 'shed', outcome.detail);
    assert.equal(outcome.kind === 'shed' && outcome.reason, 'goaway');
    assert.equal(outcome.kind === 'shed' && outcome.app?.goaway?.errorCode, 'NO_ERROR');
    assert.equal(outcome.tls.client?.certificate, 'sent', 'the certificate went out: the TLS layer had accepted it');
  });

  it('REFUSED_STREAM is shed, with the stream error code kept', async () => {
    const server = await hostile({ kind: 'refused-stream', after: 0 });
    const outcome = await probeUrl(server.url);
    assert.equal(outcome.kind === 'shed' && outcome.reason, 'refused-stream', outcome.detail);
    assert.equal(outcome.kind === 'shed' && outcome.app?.streamError, 'REFUSED_STREAM');
  });

  it('429 and 503 are shed with their Retry-After; 400 stays a refusal at the application', async () => {
    for (const status of [429, 503] as const) {
      const outcome = await probeUrl((await hostile({ kind: 'shed-status', status, after: 0 })).url);
      assert.equal(outcome.kind === 'shed' && outcome.app?.httpStatus, status, outcome.detail);
      assert.equal(outcome.kind === 'shed' && outcome.app?.retryAfterMs, 1000);
    }
    const refused = await probeUrl((await hostile({ kind: 'shed-status', status: 400, after: 0 })).url);
    assert.equal(refused.kind === 'rejected' && refused.stage, 'application', refused.detail);
  });

  it('a 200 whose body drips is accepted once the status is in, long before the timeout', async () => {
    const server = await hostile({ kind: 'slow-body', byteEveryMs: 200, bytes: 50 });
    const started = performance.now();
    const outcome = await probeUrl(server.url, 8000);
    assert.equal(outcome.kind, 'accepted', outcome.detail);
    assert.equal(outcome.kind === 'accepted' && outcome.app.bodyTruncated, true);
    assert.ok(performance.now() - started < 4000, 'the body grace, not the 8 s timeout, ended it');
  });

  for (const mode of ['close', 'reset'] as const) {
    it(`a proxy that ${mode}s before TLS: shed before the certificate, never a refusal`, async () => {
      const upstream = await hostile({ kind: 'none' });
      const plan: FaultPlan = { kind: 'forward-first', forward: 0, then: mode };
      const proxy = await startFaultProxy({ upstreamPort: upstream.port, plan });
      started.push(proxy);
      const outcome = await probeUrl(`https://127.0.0.1:${proxy.port}/hello`);
      assert.equal(outcome.kind === 'shed' && outcome.reason, 'closed-before-certificate', outcome.detail);
      assert.equal(outcome.tls.client?.flightSent, false);
    });
  }
});
