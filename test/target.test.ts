import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTargetUrl, TargetUrlError } from '../src/target/target.js';

describe('target URLs', () => {
  it('grpcs:// defaults to the health check, and keeps a named method', () => {
    const health = parseTargetUrl('grpcs://localhost:50051');
    assert.equal(health.protocol, 'grpc');
    assert.equal(health.path, '/grpc.health.v1.Health/Check');
    assert.equal(health.port, 50051);
    assert.equal(parseTargetUrl('grpcs://localhost:50051/mtlspec.demo.DemoService/SayHello').path, '/mtlspec.demo.DemoService/SayHello');
  });

  it('https:// is HTTP/2 with its path; IPv6 brackets are stripped for sockets', () => {
    const t = parseTargetUrl('https://[::1]:8443/hello');
    assert.equal(t.protocol, 'http2');
    assert.equal(t.host, '::1');
    assert.equal(t.path, '/hello');
  });

  it('tls:// is raw TLS and takes no path', () => {
    assert.equal(parseTargetUrl('tls://127.0.0.1:4433').protocol, 'tls');
    assert.throws(() => parseTargetUrl('tls://127.0.0.1:4433/x'), TargetUrlError);
  });

  it('refuses what cannot be an mTLS target, saying why', () => {
    assert.throws(() => parseTargetUrl('http://localhost:80/'), /unsupported scheme "http:"/);
    assert.throws(() => parseTargetUrl('localhost:8443'), /unsupported scheme|not a URL/);
    assert.throws(() => parseTargetUrl('https://localhost/hello'), /names no port/);
    assert.throws(() => parseTargetUrl('grpcs://localhost:1/not a method'), /must look like \/package.Service\/Method/);
    assert.throws(() => parseTargetUrl('::nonsense'), TargetUrlError);
  });

  it('encodes the DemoService request the reference server answers', () => {
    const demo = parseTargetUrl('grpcs://localhost:1/mtlspec.demo.DemoService/SayHello').grpc;
    assert.ok(demo && demo.request.length > 0);
    const unknown = parseTargetUrl('grpcs://localhost:1/acme.Thing/Do').grpc;
    assert.equal(unknown?.request.length, 0);
  });
});

describe('--send text', () => {
  it('unescapes \\n, \\r, \\t and \\\\, and leaves everything else alone', async () => {
    const { unescapeSend } = await import('../src/cli/run-command.js');
    assert.equal(unescapeSend('Hello server\\n'), 'Hello server\n');
    assert.equal(unescapeSend('GET / HTTP/1.0\\r\\n\\r\\n'), 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(unescapeSend('a\\\\nb\\tc\\x'), 'a\\nb\tc\\x');
  });
});
