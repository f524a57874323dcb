import path from 'node:path';
import {
  Server,
  ServerCredentials,
  status,
  type ServiceDefinition,
  type handleUnaryCall,
} from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { protoDir } from '../paths.js';
import { hostForUrl } from './address.js';
import { authorizationPolicy, authorizeClient, type AuthorizationPolicy } from './client-identity.js';
import { listenTracked } from './listener.js';
import { createTlsFront, type TlsFront } from './tls-front.js';
import type { ReferenceServerOptions, RunningServer } from './types.js';
import { verifyBearer, type TokenPolicy } from '../token/verifier.js';

/** The reference gRPC server: DemoService and grpc.health.v1 behind mTLS plus a SPIFFE allow list. */

interface HelloRequest {
  name: string;
  age: number;
}

interface HelloResponse {
  response: string;
}

interface HealthCheckRequest {
  service: string;
}

interface HealthCheckResponse {
  status: 'SERVING';
}

const demoService = 'mtlspec.demo.DemoService';
const healthService = 'grpc.health.v1.Health';

export async function startGrpcServer(opts: ReferenceServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const policy = authorizationPolicy(opts);
  const definitions = loadProtos();

  const server = new Server();
  // TLS is terminated by the front; grpc-js gets the accepted sockets through
  // a connection injector, so its own credentials are the cleartext ones.
  // (grpc-js's TLS could neither set a TLS 1.3 floor nor show a handler a
  // certificate OpenSSL did not authorize.)
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const front = createTlsFront(opts, ['h2'], (socket) => injector.injectConnection(socket));

  server.addService(serviceDefinition(definitions, demoService), {
    SayHello: guarded<HelloRequest, HelloResponse>(policy, front, opts.token, (req) => ({
      response: `Hello ${req.name}, you are ${req.age} year(s) old.`,
    })),
  });
  server.addService(serviceDefinition(definitions, healthService), {
    Check: guarded<HealthCheckRequest, HealthCheckResponse>(policy, front, opts.token, () => ({ status: 'SERVING' })),
  });

  const listener = await listenTracked(front.server, host, opts.port ?? 0);
  return {
    protocol: 'grpc',
    host,
    port: listener.port,
    url: `grpcs://${hostForUrl(host)}:${listener.port}/${demoService}/SayHello`,
    close: async () => {
      // forceShutdown cancels in-flight calls and destroys sessions at once;
      // a graceful tryShutdown could wait on a stuck client indefinitely.
      server.forceShutdown();
      await listener.close();
    },
  };
}

function loadProtos(): PackageDefinition {
  return loadSync([path.join(protoDir, 'demo.proto'), path.join(protoDir, 'health.proto')], {
    includeDirs: [protoDir],
    keepCase: true,
    enums: String,
    defaults: true,
  });
}

function serviceDefinition(definitions: PackageDefinition, name: string): ServiceDefinition {
  const definition = definitions[name];
  // Message and enum definitions carry a `format`; service definitions do not.
  if (definition === undefined || 'format' in definition) {
    throw new Error(`proto service ${name} not found in ${protoDir}`);
  }
  return definition;
}

/**
 * Wraps a unary handler so it runs only for an authorized caller. The
 * caller's identity is what the front's verification established for the
 * connection, found by the peer address grpc-js reports for the call.
 */
function guarded<Req, Res>(policy: AuthorizationPolicy, front: TlsFront, tokenPolicy: TokenPolicy | undefined, handler: (req: Req) => Res): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const identity = front.identityOf(call.getPeer());
    const decision = identity === undefined
      ? { allowed: false as const, reason: 'the connection was not verified' }
      : authorizeClient(identity.certificate, policy);
    if (!decision.allowed) {
      callback({ code: status.PERMISSION_DENIED, details: decision.reason }, null);
      return;
    }
    if (!tokenPolicy) {
      callback(null, handler(call.request));
      return;
    }
    // Metadata keeps a repeated key as several values: joined, they are no longer one Bearer token, as RFC 6750 2.1 wants.
    const authorization = call.metadata.get('authorization').map(String).join(', ');
    void verifyBearer(authorization || undefined, identity?.certificate?.raw, tokenPolicy).then((token) => {
      if (token.ok) callback(null, handler(call.request));
      else callback({ code: status.UNAUTHENTICATED, details: `${token.error ?? 'unauthorized'}: ${token.description}` }, null);
    });
  };
}
