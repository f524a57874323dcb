import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { foldedOnHttp2, http1HeaderLines, http2HeaderFields, requestHeaderProblem } from '../src/probe/request-headers.js';

const header = (name: string, value: string) => ({ name, value, shown: value });

describe('extra request headers', () => {
  it('HTTP/1.1 keeps names as written and repeats as separate lines', () => {
    const lines = http1HeaderLines([header('Authorization', 'Bearer a'), header('authorization', 'Bearer b'), header('X-SSL-Client-Verify', 'SUCCESS')]);
    assert.equal(lines, 'Authorization: Bearer a\r\nauthorization: Bearer b\r\nX-SSL-Client-Verify: SUCCESS\r\n');
  });

  it('HTTP/2 lower-cases names, repeats a list field, and folds a field Node cannot repeat', () => {
    const sent = [header('Authorization', 'Bearer a'), header('authorization', 'Bearer b'), header('X-Forwarded-Client-Cert', 'one'), header('x-forwarded-client-cert', 'two')];
    assert.deepEqual(http2HeaderFields(sent), { authorization: 'Bearer a, Bearer b', 'x-forwarded-client-cert': ['one', 'two'] });
    assert.deepEqual(foldedOnHttp2(sent), ['authorization']);
  });

  it('refuses names and values that would split the request', () => {
    assert.match(requestHeaderProblem({ name: 'X Bad', value: 'v' }) ?? '', /not a header field name/);
    assert.match(requestHeaderProblem({ name: 'X-Ok', value: 'a\r\nInjected: 1' }) ?? '', /line break/);
    assert.equal(requestHeaderProblem({ name: 'X-Ok', value: 'fine' }), undefined);
  });
});
