import { Given, Then, When } from '@cucumber/cucumber';
import { assert } from 'chai';
import { cases } from '../fixtures/cases.js';
import { findCase } from '../src/catalogue/case.js';
import { credentialText, recordFileName, scenarioRecord, verdictLine } from '../src/report/evidence.js';
import type { Protocol } from '../src/target/target.js';
import { judge, notProbed } from '../src/verdict/judge.js';
import { currentSession } from './hooks.js';
import type { MtlsWorld } from './world.js';

const validCase = findCase(cases, 'x509/valid');

Given('the valid control credential was probed on the {protocol} target', async function (this: MtlsWorld, protocol: Protocol) {
  this.protocol = protocol;
  // Not asserted here: a refused control makes the verdict inconclusive, with the reason.
  // The session probes it once per run and path; every scenario shares that answer.
  this.control = await currentSession().control(protocol, validCase);
});

When('a client presents the credential {string}', async function (this: MtlsWorld, caseId: string): Promise<'skipped' | undefined> {
  if (!this.protocol) throw new Error('a "Given the ... target" step must come first');
  const session = currentSession();
  this.conformanceCase = findCase(cases, caseId);
  const unavailable = session.unavailableReason(this.conformanceCase);
  if (unavailable) {
    const record = scenarioRecord(this.conformanceCase, this.protocol, session.target(this.protocol).url, notProbed(this.conformanceCase, unavailable), { control: this.control });
    this.attach(verdictLine(record), { mediaType: 'text/plain', fileName: 'verdict.txt' });
    this.attach(JSON.stringify(record, null, 2), { mediaType: 'application/json', fileName: recordFileName });
    return 'skipped';
  }
  this.probe = await session.probeCase(this.conformanceCase, this.protocol);
  this.attach(credentialText(this.probe.credential?.certPem), { mediaType: 'text/plain', fileName: 'client-certificate.txt' });
  return undefined;
});

Then('the target accepts the connection, as {string} requires', function (this: MtlsWorld, rule: string) {
  return conclude(this, 'accepted', rule);
});

Then('the target refuses the connection, as {string} requires', function (this: MtlsWorld, rule: string) {
  return conclude(this, 'rejected', rule);
});

/** Judges the scenario, attaches the evidence, and maps the verdict onto cucumber's statuses. */
function conclude(world: MtlsWorld, expectedInFeature: 'accepted' | 'rejected', ruleInFeature: string): 'skipped' | undefined {
  const { conformanceCase, probe, protocol } = world;
  if (!conformanceCase || !probe || !protocol) throw new Error('a "When a client presents ..." step must come first');
  // The feature file and the catalogue must tell the same story.
  assert.equal(ruleInFeature, conformanceCase.rule, `the feature cites "${ruleInFeature}" but the catalogue says ${conformanceCase.id} checks "${conformanceCase.rule}"`);
  assert.equal(expectedInFeature, conformanceCase.expect, `the feature expects ${expectedInFeature} but the catalogue says ${conformanceCase.id} must be ${conformanceCase.expect}`);

  const verdict = judge(conformanceCase, probe.outcome, world.control?.outcome);
  const record = scenarioRecord(conformanceCase, protocol, probe.target.url, verdict, { probe, control: world.control });
  world.attach(verdictLine(record), { mediaType: 'text/plain', fileName: 'verdict.txt' });
  world.attach(JSON.stringify(record, null, 2), { mediaType: 'application/json', fileName: recordFileName });

  if (verdict.status === 'failed') assert.fail(`${conformanceCase.id}: ${verdict.why}`);
  // Cucumber has no "inconclusive"; skipped is the one status that is neither pass nor fail.
  return verdict.status === 'inconclusive' ? 'skipped' : undefined;
}
