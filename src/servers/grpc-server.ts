import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import {
  Server,
  ServerCredentials,
  status,
  type ServiceDefinition,
  type handleUnaryCall,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { protoDir } from '../paths.js';
import { hostForUrl } from './address.js';
import { authorizationPolicy, authorizeClient, type AuthorizationPolicy } from './client-identity.js';
import { serverTlsSettings, type ServerTlsSettings } from './tls-options.js';
import type { ReferenceServerOptions, RunningServer } from './types.js';

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

/**
 * grpc-js's own `ServerCredentials.createSsl` has no way to set a minimum TLS
 * version, so it always admits TLS 1.2. grpc-js merges a credential's
 * constructor options and secure-context options straight into
 * `http2.createSecureServer`, so a subclass that supplies them itself controls
 * every TLS setting, minVersion included.
 */
class ReferenceServerCredentials extends ServerCredentials {
  constructor(settings: ServerTlsSettings) {
    super(settings.server, settings.context);
  }

  // grpc-js compares credentials only to decide whether two bindings may share
  // a port; each reference server binds once, so identity is enough.
  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

export async function startGrpcServer(opts: ReferenceServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const policy = authorizationPolicy(opts);
  const definitions = loadProtos();

  const server = new Server();
  server.addService(serviceDefinition(definitions, demoService), {
    SayHello: guarded<HelloRequest, HelloResponse>(policy, (req) => ({
      response: `Hello ${req.name}, you are ${req.age} year(s) old.`,
    })),
  });
  server.addService(serviceDefinition(definitions, healthService), {
    Check: guarded<HealthCheckRequest, HealthCheckResponse>(policy, () => ({ status: 'SERVING' })),
  });

  const credentials = new ReferenceServerCredentials(serverTlsSettings(opts));
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${hostForUrl(host)}:${opts.port ?? 0}`, credentials, (err, boundPort) => {
      if (err) reject(err);
      else resolve(boundPort);
    });
  });

  return {
    protocol: 'grpc',
    host,
    port,
    url: `grpcs://${hostForUrl(host)}:${port}/${demoService}/SayHello`,
    close: async () => {
      // forceShutdown cancels in-flight calls and destroys sessions at once;
      // a graceful tryShutdown could wait on a stuck client indefinitely.
      server.forceShutdown();
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

/** Wraps a unary handler so it runs only for an authorized caller. */
function guarded<Req, Res>(policy: AuthorizationPolicy, handler: (req: Req) => Res): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const decision = authorizeClient(peerCertificate(call), policy);
    if (!decision.allowed) {
      callback({ code: status.PERMISSION_DENIED, details: decision.reason }, null);
      return;
    }
    callback(null, handler(call.request));
  };
}

/**
 * The caller's certificate, if TLS verified it. grpc-js reports a peer
 * certificate only when the socket is authorized, so under the
 * `accept-any-cert` flaw an untrusted certificate arrives here as no
 * certificate at all, which is the same rule the HTTP/2 server applies.
 */
function peerCertificate<Req, Res>(call: ServerUnaryCall<Req, Res>): X509Certificate | undefined {
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  return raw === undefined ? undefined : new X509Certificate(raw);
}
