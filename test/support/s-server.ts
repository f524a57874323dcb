import { PrivateDir } from '../../src/pki/private-dir.js';
import { lastLines, loopbackHost, PortTaken, ServerProcess, startedServer, startOnFreePort, waitForOutput } from './child-server.js';
import { ensureCommand, findCommand } from './ensure-package.js';

/**
 * `openssl s_server` on loopback: OpenSSL's own reference server, the plainest
 * possible mTLS endpoint. It serves ONE connection at a time (the next waits
 * in the listen backlog), so probe it sequentially.
 *
 * What it does with a client certificate (OpenSSL 3.0, observed):
 * - `-Verify 1` requires one: no certificate gets alert certificate_required
 *   (TLS 1.3) whether or not -verify_return_error is set.
 * - without `-verify_return_error` it logs a bad certificate's verify error
 *   and carries on: untrusted and self-signed clients are served.
 * - with it, a bad certificate gets alert unknown_ca (both untrusted-CA and
 *   self-signed map to unknown_ca).
 * In TLS 1.3 those alerts come after the client's handshake has completed:
 * the client only sees them when it reads.
 */

export interface SServerOptions {
  /** CA that signs acceptable client certificates (-CAfile). */
  clientCaPem: string;
  certPem: string;
  keyPem: string;
  /** -verify_return_error: fail the handshake on a bad client certificate instead of logging it. */
  verifyReturnError: boolean;
  /** -tls1_3; otherwise TLS 1.2 and 1.3 are both allowed. */
  tls13Only: boolean;
  /**
   * What it does after the handshake. 'www': answers an HTTP/1.x GET with a
   * status page ("HTTP/1.0 200 ok"). 'rev': echoes each line back reversed,
   * for a raw TLS exchange.
   */
  mode: 'www' | 'rev';
  /** -alpn: the protocol(s) to agree to, comma-separated (e.g. "http/1.1"). */
  alpn?: string;
  /**
   * -client_sigalgs: the signature algorithms its CertificateRequest allows
   * (e.g. "ECDSA+SHA256:ECDSA+SHA384"). A client whose key cannot sign with
   * any of them sends an empty Certificate: its credential never reaches the server.
   */
  clientSigalgs?: string;
  /** false: no -Verify, so s_server sends no CertificateRequest at all (a server that never asks). Default true. */
  requestClientCert?: boolean;
  /** -cipher: the TLS 1.2 cipher suites it allows (OpenSSL's list syntax). */
  cipher?: string;
}

export interface RunningSServer {
  port: number;
  /** tls://127.0.0.1:PORT (s_server speaks no HTTP/2, so https:// targets cannot reach it). */
  url: string;
  /** s_server's stdout and stderr so far: one "verify error" / "CONNECTION FAILURE" block per refused client. */
  output(): string;
  close(): Promise<void>;
}

const readyTimeoutMs = 5000;

export async function startSServer(options: SServerOptions): Promise<RunningSServer> {
  ensureCommand('openssl', 'openssl');
  const openssl = findCommand('openssl') ?? 'openssl';
  const dir = new PrivateDir('mtlspec-s-server-');
  try {
    const files = {
      cert: dir.write('server.pem', options.certPem),
      key: dir.write('server.key', options.keyPem),
      clientCa: dir.write('client-ca.pem', options.clientCaPem),
    };
    return await startOnFreePort(async (port) => {
      const args = [
        's_server',
        '-accept', `${loopbackHost}:${port}`,
        '-cert', files.cert,
        '-key', files.key,
        '-CAfile', files.clientCa,
        // -Verify (capital): a client certificate is required; depth 1 is
        // enough for a leaf issued directly by the CA.
        ...(options.requestClientCert === false ? [] : ['-Verify', '1']),
        ...(options.verifyReturnError ? ['-verify_return_error'] : []),
        ...(options.tls13Only ? ['-tls1_3'] : ['-no_tls1', '-no_tls1_1']),
        options.mode === 'www' ? '-www' : '-rev',
        ...(options.alpn ? ['-alpn', options.alpn] : []),
        ...(options.clientSigalgs ? ['-client_sigalgs', options.clientSigalgs] : []),
        ...(options.cipher ? ['-cipher', options.cipher] : []),
      ];
      const server = new ServerProcess(openssl, args, dir.path);
      try {
        // s_server prints ACCEPT once it listens. A TCP readiness probe
        // would take its single connection slot, so watch its output instead.
        await waitForOutput(server, /^ACCEPT$/m, readyTimeoutMs);
      } catch (error) {
        await server.stop();
        const message = `openssl s_server did not start: ${(error as Error).message}\ncommand: ${openssl} ${args.join(' ')}\n${lastLines(server.output)}`;
        // PortTaken: another process won the port race, another port will do.
        throw /Address already in use/.test(server.output) ? new PortTaken(message) : new Error(message);
      }
      return { ...startedServer(server, port, dir), url: `tls://${loopbackHost}:${port}` };
    });
  } catch (error) {
    dir.remove();
    throw error;
  }
}
