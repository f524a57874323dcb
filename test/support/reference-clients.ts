import assert from 'node:assert/strict';
import http2 from 'node:http2';
import path from 'node:path';
import tls from 'node:tls';
import { Client, Metadata, credentials, status, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoDir } from '../../src/paths.js';

/**
 * Real clients for the reference servers: node:http2, grpc-js and a raw TLS
 * socket. Every exchange is bounded, so a server that hangs fails the test
 * instead of stalling the suite, and ends in an Outcome rather than a throw.
 */

const exchangeTimeoutMs = 2000;

export interface ClientOptions {
  /** Trust for the server's certificate. */
  serverCaPem: string;
  /** Client certificate and key; none when omitted. */
  identity?: { certPem: string; keyPem: string; chainPem?: string };
  /** Send identity.chainPem after the certificate (default true). */
  sendChain?: boolean;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  /**
   * OpenSSL security level 0 on the client: needed to present an RSA-1024,
   * SHA-1 or MD5 certificate at all, and to speak TLS 1.0 or 1.1.
   */
  legacy?: boolean;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

function contextOptions(opts: ClientOptions): tls.SecureContextOptions {
  const { identity } = opts;
  return {
    ca: opts.serverCaPem,
    ...(identity ? { cert: identity.certPem + (opts.sendChain === false ? '' : identity.chainPem ?? ''), key: identity.keyPem } : {}),
    ...(opts.minVersion ? { minVersion: opts.minVersion } : {}),
    ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
    ...(opts.legacy ? { ciphers: `${tls.DEFAULT_CIPHERS}:@SECLEVEL=0` } : {}),
  };
}

/**
 * One secure context per options object: building one parses the keys and
 * the CA, which adds up over the hundreds of exchanges of a matrix test.
 */
const contexts = new WeakMap<ClientOptions, tls.SecureContext>();

function secureContext(opts: ClientOptions): tls.SecureContext {
  let context = contexts.get(opts);
  if (context === undefined) {
    context = tls.createSecureContext(contextOptions(opts));
    contexts.set(opts, context);
  }
  return context;
}

/** Settles with the first outcome reported, or a 'timeout' error. */
function bounded<T>(run: (settle: (outcome: Outcome<T>) => void) => () => void): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    let cleanup: () => void = () => undefined;
    let settled = false;
    const settle = (outcome: Outcome<T>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ ok: false, error: 'timeout' }), exchangeTimeoutMs);
    cleanup = run(settle);
  });
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : String(err);
}

export interface HttpReply {
  status: number;
  body: Record<string, unknown>;
}

export function h2Get(port: number, opts: ClientOptions, requestPath = '/hello'): Promise<Outcome<HttpReply>> {
  return bounded((settle) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { secureContext: secureContext(opts), servername: 'localhost' });
    session.on('error', (err) => settle({ ok: false, error: errorCode(err) }));
    // A TLS 1.3 server that rejects the client certificate just closes: no alert.
    session.on('close', () => settle({ ok: false, error: 'closed before reply' }));
    const req = session.request({ ':path': requestPath });
    let statusCode = 0;
    let text = '';
    req.setEncoding('utf8');
    req.on('response', (headers) => {
      statusCode = Number(headers[':status']);
    });
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => {
      // A session torn down after the handshake ends the stream with no response.
      if (statusCode === 0) settle({ ok: false, error: 'stream ended without a response' });
      else settle({ ok: true, value: { status: statusCode, body: JSON.parse(text) as Record<string, unknown> } });
    });
    req.on('error', (err) => settle({ ok: false, error: errorCode(err) }));
    return () => session.destroy();
  });
}

export interface GrpcReply {
  code: number;
  details: string;
  message: Record<string, unknown> | undefined;
}

const grpcDefinitions = loadSync([path.join(protoDir, 'demo.proto'), path.join(protoDir, 'health.proto')], {
  includeDirs: [protoDir],
  keepCase: true,
  enums: String,
  defaults: true,
});

function grpcMethod(service: string, method: string) {
  const definition = grpcDefinitions[service];
  assert.ok(definition !== undefined && !('format' in definition), `no service ${service}`);
  const methodDef = (definition as ServiceDefinition)[method];
  assert.ok(methodDef, `no method ${service}/${method}`);
  return methodDef;
}

/** A gRPC call always ends in a status; UNAVAILABLE is how grpc-js reports a refused connection. */
export function grpcCall(
  port: number,
  opts: ClientOptions,
  service = 'mtlspec.demo.DemoService',
  method = 'SayHello',
  request: object = { name: 'Ada', age: 36 },
): Promise<Outcome<GrpcReply>> {
  const def = grpcMethod(service, method);
  return bounded((settle) => {
    const context = secureContext(opts);
    // Verify the server as "localhost" (also in its SANs): otherwise grpc-js
    // sends the IP literal as SNI, which Node deprecates (DEP0123).
    const client = new Client(`127.0.0.1:${port}`, credentials.createFromSecureContext(context), {
      'grpc.ssl_target_name_override': 'localhost',
    });
    client.makeUnaryRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      request,
      new Metadata(),
      { deadline: Date.now() + exchangeTimeoutMs },
      (err, response) => {
        settle({
          ok: true,
          value: {
            code: err?.code ?? status.OK,
            details: err?.details ?? '',
            message: response as Record<string, unknown> | undefined,
          },
        });
      },
    );
    return () => client.close();
  });
}

/** A bare TLS handshake offering ALPN h2, reporting the version or the error. */
export function handshake(port: number, opts: ClientOptions): Promise<Outcome<string>> {
  return bounded((settle) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext: secureContext(opts), ALPNProtocols: ['h2'] });
    socket.on('secureConnect', () => settle({ ok: true, value: socket.getProtocol() ?? 'unknown' }));
    socket.on('error', (err) => settle({ ok: false, error: errorCode(err) }));
    return () => socket.destroy();
  });
}

/** The raw-TLS exchange: send "Hello server", report what came back before the server closed. */
export function rawHello(port: number, opts: ClientOptions): Promise<Outcome<string>> {
  return bounded((settle) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext: secureContext(opts) });
    let received = '';
    socket.on('secureConnect', () => socket.write('Hello server\n'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', (err) => settle({ ok: false, error: errorCode(err) }));
    socket.on('close', () => settle(received ? { ok: true, value: received } : { ok: false, error: 'closed without a reply' }));
    return () => socket.destroy();
  });
}
