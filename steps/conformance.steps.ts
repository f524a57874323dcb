import { Given, Then, When } from '@cucumber/cucumber';
import { assert } from 'chai';
import { cases } from '../fixtures/cases.js';
import { findCase, findClientCase, type ClientCase } from '../src/catalogue/case.js';
import { findProfile, underProfile } from '../src/catalogue/profiles.js';
import { notApplicableBecause } from '../src/catalogue/spoken-protocol.js';
import { credentialText, evidenceText, recordFileName, scenarioRecord } from '../src/report/evidence.js';
import type { TargetKey } from '../src/target/target.js';
import { judge, notProbed, type Verdict } from '../src/verdict/judge.js';
import { judgeServerOnEachBackend } from '../src/proxy/each-backend.js';
import { proxyBracketFacts } from '../src/proxy/bracket-facts.js';
import { currentSession } from './hooks.js';
import type { MtlsWorld } from './world.js';

Given('the valid control credential was probed on the {protocol} target', async function (this: MtlsWorld, protocol: TargetKey) {
  this.protocol = protocol;
  // Not asserted here: a refused control makes the verdict inconclusive, with the reason.
  // This is the run's first control; a client case is then bracketed by controls of its own.
  this.control = await currentSession().control(protocol);
});

When('a client presents the credential {string}', async function (this: MtlsWorld, caseId: string): Promise<'skipped' | undefined> {
  if (!this.protocol) throw new Error('a "Given the ... target" step must come first');
  const session = currentSession();
  // The case as the run's profile judges it; the feature is checked against the catalogue as written.
  const clientCase = underProfile(findClientCase(cases, caseId), findProfile(session.settings.profile));
  this.conformanceCase = clientCase;
  if (skipIfUnavailable(this, clientCase)) return 'skipped';
  this.bracket = await session.probeBracketed(clientCase, this.protocol);
  this.control = this.bracket.before;
  const credential = this.bracket.probe?.credential ?? (await session.credential(clientCase));
  this.attach(credentialText(credential?.certPem), { mediaType: 'text/plain', fileName: 'client-certificate.txt' });
  return undefined;
});

Then('the target accepts the connection, as {string} requires', function (this: MtlsWorld, rule: string) {
  return conclude(this, 'accepted', rule);
});

Then('the target refuses the connection, as {string} requires', function (this: MtlsWorld, rule: string) {
  return conclude(this, 'rejected', rule);
});

Then('the target answers, which is recorded, as {string} asks', function (this: MtlsWorld, rule: string) {
  return conclude(this, 'observed', rule);
});

Then("the server's certificate satisfies {string}, as {string} requires", function (this: MtlsWorld, caseId: string, rule: string) {
  const { protocol, control } = this;
  if (!protocol) throw new Error('a "Given the valid control credential ..." step must come first');
  const session = currentSession();
  const written = findCase(cases, caseId);
  if (written.kind !== 'server') throw new Error(`case "${caseId}" presents a client credential; use "When a client presents the credential"`);
  assert.equal(rule, written.rule, `the feature cites "${rule}" but the catalogue says ${written.id} checks "${written.rule}"`);
  const serverCase = underProfile(written, findProfile(session.settings.profile));
  this.conformanceCase = serverCase;
  if (skipIfUnavailable(this, serverCase)) return 'skipped';
  const notApplicable = notApplicableBecause(serverCase.id, control?.outcome);
  if (notApplicable) {
    record(this, notProbed(serverCase, notApplicable));
    return 'skipped';
  }
  const context = { now: new Date(), protocol: session.target(protocol).protocol, serverSpiffeId: session.settings.serverSpiffeId, alpn: control?.outcome.tls.alpn };
  // Behind a balancer (--repeat), every server certificate the control met is judged.
  const verdict = judgeServerOnEachBackend(serverCase, control, context, { strict: session.settings.strict });
  if (control?.outcome.tls.server) {
    this.attach(credentialText(control.outcome.tls.server.certificatePem), { mediaType: 'text/plain', fileName: 'server-certificate.txt' });
  }
  return record(this, verdict);
});

/** Attaches the skip record when the run cannot probe this case; true if it did. */
function skipIfUnavailable(world: MtlsWorld, conformanceCase: ClientCase | ReturnType<typeof findCase>): boolean {
  const session = currentSession();
  const unavailable = session.unavailableReason(conformanceCase);
  if (!unavailable || !world.protocol) return false;
  record(world, notProbed(conformanceCase, unavailable));
  return true;
}

/** Judges a client scenario, after checking the feature and the catalogue tell the same story. */
function conclude(world: MtlsWorld, expectedInFeature: ClientCase['expect'], ruleInFeature: string): 'skipped' | undefined {
  const { conformanceCase, bracket } = world;
  if (!conformanceCase || conformanceCase.kind !== 'client' || !bracket) throw new Error('a "When a client presents ..." step must come first');
  const written = findClientCase(cases, conformanceCase.id);
  assert.equal(ruleInFeature, written.rule, `the feature cites "${ruleInFeature}" but the catalogue says ${written.id} checks "${written.rule}"`);
  assert.equal(expectedInFeature, written.expect, `the feature expects ${expectedInFeature} but the catalogue says ${written.id} must be ${written.expect}`);
  const verdict = judge(
    conformanceCase,
    bracket.probe?.outcome,
    {
      before: bracket.before.outcome,
      ...(bracket.after ? { after: bracket.after.outcome } : {}),
      ...(bracket.repeat ? { repeat: bracket.repeat.outcome } : {}),
      ...(bracket.targetLost ? { targetLost: true } : {}),
      ...(bracket.notProbedBecause ? { notProbedBecause: bracket.notProbedBecause } : {}),
      ...proxyBracketFacts(bracket.probe, currentSession().settings, conformanceCase.identity),
    },
    { strict: currentSession().settings.strict },
  );
  return record(world, verdict);
}

/** Attaches the verdict and its record, and maps the verdict onto cucumber's statuses. */
function record(world: MtlsWorld, verdict: Verdict): 'skipped' | undefined {
  const { conformanceCase, protocol, bracket } = world;
  if (!conformanceCase || !protocol) throw new Error('no case to record');
  const target = currentSession().target(protocol).url;
  const scenario = scenarioRecord(conformanceCase, protocol, target, verdict, { probe: bracket?.probe, repeat: bracket?.repeat, control: world.control, controlAfter: bracket?.after });
  world.attach(evidenceText(scenario), { mediaType: 'text/plain', fileName: 'evidence.txt' });
  world.attach(JSON.stringify(scenario, null, 2), { mediaType: 'application/json', fileName: recordFileName });
  if (verdict.status === 'failed') assert.fail(`${conformanceCase.id}: ${verdict.why}`);
  // Cucumber has no "inconclusive"; skipped is the one status that is neither pass nor fail.
  return verdict.status === 'inconclusive' || verdict.status === 'skipped' ? 'skipped' : undefined;
}
