import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cases } from '../fixtures/cases.js';
import { documents, profileRequirements, requirements } from '../fixtures/rules.js';
import { profiles, underProfile, findProfile, defaultProfileName } from '../src/catalogue/profiles.js';
import { renderRulesDoc, rulesDocProblems } from '../src/catalogue/rules-doc.js';
import { featuresDir, packageRoot } from '../src/paths.js';

const rulesFile = path.join(packageRoot, 'docs', 'rules.md');
const input = { cases, profiles, requirements, profileRequirements, documents };

describe('docs/rules.md', () => {
  it('every case and every profile override cites a listed document, with its requirement paraphrased', () => {
    assert.deepEqual(rulesDocProblems(input), []);
  });

  it('says nothing of a case that is not in the catalogue', () => {
    const ids = new Set(cases.map((c) => c.id));
    assert.deepEqual(Object.keys(requirements).filter((id) => !ids.has(id)), []);
  });

  it('no case cites the passages known not to say what it checks', () => {
    const wrong = [
      ['tls/version/tls12', 'RFC 8446 4.2.1'],
      ['x509/crypto/rsa-1024', 'RFC 8446 4.4.2.4'],
      ['x509/crypto/sha1-signature', 'RFC 9155 2'],
      ['x509/crypto/md5-signature', 'RFC 8446 4.4.2.4'],
    ];
    for (const [id, rule] of wrong) assert.notEqual(cases.find((c) => c.id === id)?.rule, rule, id);
  });

  it('every feature file cites each case by its catalogue rule', () => {
    let rows = 0;
    for (const file of readdirSync(featuresDir).filter((f) => f.endsWith('.feature'))) {
      for (const [, id, rule] of readFileSync(path.join(featuresDir, file), 'utf8').matchAll(/^\s*\|[^|]+\|\s*([a-z0-9-]+\/[^\s|]+)\s*\|\s*([^|]+?)\s*\|\s*$/gm)) {
        assert.equal(rule, cases.find((c) => c.id === id)?.rule, `${file}: ${id}`);
        rows += 1;
      }
    }
    assert.ok(rows > 100, `only ${rows} Examples rows were read`);
  });

  it('under tls12-modern, TLS 1.2 is recorded, not judged; the default profile keeps the catalogue as written', () => {
    const tls12 = cases.find((c) => c.id === 'tls/version/tls12');
    assert.ok(tls12 && tls12.kind === 'client');
    const relaxed = underProfile(tls12, findProfile('tls12-modern'));
    assert.equal(relaxed.level, 'INFO');
    assert.equal(relaxed.expect, 'observed');
    assert.equal(underProfile(tls12, findProfile(undefined)), tls12);
    assert.equal(findProfile(undefined)?.name, defaultProfileName);
  });

  it('is generated from the catalogue and the profiles, and committed', () => {
    const generated = renderRulesDoc(input);
    const committed = existsSync(rulesFile) ? readFileSync(rulesFile, 'utf8') : '';
    if (committed !== generated) {
      writeFileSync(rulesFile, generated);
      assert.fail('docs/rules.md was out of date and has been regenerated: review and commit it');
    }
  });
});
