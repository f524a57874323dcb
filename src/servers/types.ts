/**
 * What a reference server needs and what it gives back. The reference servers
 * (gRPC, HTTP/2 and raw TLS) share this contract so the suite's hooks and the `serve`
 * command can treat them alike.
 */

/**
 * Deliberate flaws. A correct server has none. Each flaw switches off exactly
 * one check, so the project's own tests can prove that the harness notices.
 */
export type ServerFlaw =
  /** Requests a client certificate but accepts any, or none. */
  | 'accept-any-cert'
  /** Allows TLS 1.2 as well as TLS 1.3. */
  | 'allow-tls12';

export const allServerFlaws: readonly ServerFlaw[] = ['accept-any-cert', 'allow-tls12'];

export interface ReferenceServerOptions {
  /** PEM of the CA(s) that issue client certificates the server trusts. */
  clientCaPem: string;
  /** PEM of the server's certificate chain (leaf first). */
  certPem: string;
  /** PEM of the server's private key. */
  keyPem: string;
  /** SPIFFE IDs (URI SAN) allowed to call the application; exact match. */
  allowedSpiffeIds: readonly string[];
  /** Flaws to switch on; empty for the correct server. */
  flaws: readonly ServerFlaw[];
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (ephemeral). */
  port?: number;
}

export interface RunningServer {
  readonly protocol: 'grpc' | 'http2' | 'tls';
  readonly host: string;
  readonly port: number;
  /** A URL naming the application endpoint, e.g. grpcs://127.0.0.1:4321/mtlspec.demo.DemoService/SayHello. */
  readonly url: string;
  /** Stops listening and destroys open sessions; resolves within a second. */
  close(): Promise<void>;
}
