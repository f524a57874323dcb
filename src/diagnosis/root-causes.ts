import type { TargetFacts } from './target-facts.js';
import { certificateRequested } from './target-facts.js';

/**
 * The root causes mtlspec can name, as one table: each row is a cause, the
 * rule that detects it from one target's judged results, the sentence that
 * states its evidence, and where to fix it in the servers people run.
 *
 * A rule claims a cause only when its evidence holds in judged results
 * (never from an inconclusive or skipped scenario). `observed` causes are
 * read off the handshake or the answer itself; `likely` ones are inferred
 * from which cases the target accepted and refused, and say so.
 */

export type CauseId =
  | 'no-certificate-request'
  | 'certificate-not-required'
  | 'any-ca-accepted'
  | 'usage-not-checked'
  | 'validity-not-checked'
  | 'revocation-not-checked'
  | 'critical-extension-ignored'
  | 'weak-crypto-accepted'
  | 'no-identity-authorization'
  | 'svid-rules-not-checked'
  | 'legacy-tls-enabled'
  | 'token-not-required'
  | 'token-key-or-algorithm-from-token'
  | 'token-claims-not-checked'
  | 'token-binding-not-checked'
  | 'token-thumbprint-encoding';

/** The servers the hints name, in the order they are shown. */
export const hintedServers = ['nginx', 'HAProxy', 'Envoy', 'Istio', 'Go', 'grpc-js', 'Node', 'Java', 'Python'] as const;
export type HintedServer = (typeof hintedServers)[number];

/** What a rule found on one target: the cases that show it, and facts for the sentence (negotiated versions). */
export interface Match {
  readonly cases: readonly string[];
  readonly details?: readonly string[];
}

export interface RootCauseRule {
  readonly id: CauseId;
  readonly certainty: 'observed' | 'likely';
  /** The cause, as a reader says it: "the server does not request a client certificate". */
  readonly title: string;
  readonly detect: (facts: TargetFacts) => Match | undefined;
  /** One sentence, from the cases (and details) found on every target the cause holds on. */
  readonly evidence: (match: Match) => string;
  /** Causes this one explains when both hold on a target: fixing it is the first step, and their cases become its. */
  readonly explains?: readonly CauseId[];
  readonly hints: Readonly<Partial<Record<HintedServer, string>>>;
}

// ---------------------------------------------------------------------------
// Case groups the rules read.

/** A certificate from a CA the target does not trust (or, pinned, a certificate it did not pin). */
const foreignIssuer = ['x509/chain/untrusted-ca', 'x509/chain/self-signed', 'x509/chain/impostor-ca', 'pinned/unpinned-self-signed', 'pinned/same-subject-other-key'];
/** Other faults of the chain: a verifier that checks the chain at all refuses these. */
const brokenChain = [
  'x509/chain/intermediate-missing', 'x509/chain/pathlen-exceeded', 'x509/chain/issuer-not-ca', 'x509/chain/issuer-without-keycertsign', 'x509/chain/bad-signature',
];
const usage = ['x509/usage/eku-server-auth-only', 'x509/usage/eku-code-signing-only', 'x509/usage/ku-without-digital-signature'];
const validity = ['x509/validity/expired', 'x509/validity/not-yet-valid'];
const revocation = ['x509/revocation/revoked'];
const criticalExtension = ['x509/usage/unknown-critical-extension'];
const weakCrypto = ['x509/crypto/rsa-1024', 'x509/crypto/sha1-signature', 'x509/crypto/md5-signature'];
const identity = ['spiffe/wrong-id', 'spiffe/wrong-trust-domain'];
const svidRules = ['spiffe/two-uri-sans', 'spiffe/non-spiffe-uri', 'spiffe/root-path', 'spiffe/svid-is-ca', 'spiffe/keycertsign-on-leaf'];
const versions = ['tls/version/tls12', 'tls/version/tls12-cbc-suites', 'tls/version/tls11', 'tls/version/tls10'];
const tokenRequired = ['jwt/missing', 'jwt/signature/bad'];
/** Tokens whose key or algorithm the token itself picks: unsigned, HMAC under the public key, or a key the header names. */
const tokenKeyChoice = ['jwt/alg/none', 'jwt/alg/none-capitalized', 'jwt/alg/hs256-with-public-key', 'jwt/header/jwk', 'jwt/header/jku', 'jwt/header/x5u'];
const tokenClaims = ['jwt/claims/expired', 'jwt/claims/not-yet-valid', 'jwt/claims/wrong-audience', 'jwt/claims/wrong-issuer', 'jwt/header/unknown-crit'];
const tokenBinding = ['jwt/cnf/bound-to-another-client', 'jwt/cnf/presented-by-another-client', 'jwt/cnf/missing', 'jwt/cnf/issuer-thumbprint'];

function missedOf(facts: TargetFacts, group: readonly string[]): string[] {
  return group.filter((id) => facts.missed.has(id));
}

/** The cases of a group the target got wrong, as a match, or none. */
function anyMissed(facts: TargetFacts, group: readonly string[]): Match | undefined {
  const cases = missedOf(facts, group);
  return cases.length > 0 ? { cases } : undefined;
}

/** The target refused a certificate from a foreign CA: it verifies the chain, so a fault it lets through is a narrower gap. */
function verifiesChain(facts: TargetFacts): boolean {
  return foreignIssuer.some((id) => facts.met.has(id)) && !foreignIssuer.some((id) => facts.missed.has(id));
}

/** Only when the chain is provably verified: otherwise these faults are what any-CA acceptance lets through. */
function missedWhileChainVerified(group: readonly string[]): (facts: TargetFacts) => Match | undefined {
  return (facts) => (verifiesChain(facts) ? anyMissed(facts, group) : undefined);
}

function list(ids: readonly string[]): string {
  return ids.join(', ');
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

const everyCertificateCause: readonly CauseId[] = [
  'certificate-not-required', 'any-ca-accepted', 'usage-not-checked', 'validity-not-checked', 'revocation-not-checked',
  'critical-extension-ignored', 'weak-crypto-accepted', 'no-identity-authorization', 'svid-rules-not-checked',
];

// ---------------------------------------------------------------------------
// The table.

export const rootCauseRules: readonly RootCauseRule[] = [
  {
    id: 'no-certificate-request',
    certainty: 'observed',
    title: 'the server does not request a client certificate',
    // Every handshake that reached the client's flight saw no CertificateRequest, and the target accepted something it must refuse.
    detect: (facts) => {
      if (facts.handshakes.notRequested === 0 || facts.handshakes.requested > 0) return undefined;
      const cases = [...facts.missed].filter((id) => !versions.includes(id));
      return cases.length > 0 ? { cases, details: [String(facts.handshakes.notRequested)] } : undefined;
    },
    evidence: (m) =>
      `no CertificateRequest in any of the ${(m.details ?? []).reduce((sum, n) => sum + Number(n), 0)} handshakes that reached the client's certificate, so no client certificate was ever presented or checked; accepted anyway (${count(m.cases.length, 'case', 'cases')}): ${list(m.cases)}`,
    explains: everyCertificateCause,
    hints: {
      nginx: '`ssl_verify_client on;` with `ssl_client_certificate /path/client-ca.pem;` (and `ssl_verify_depth` above 1 for intermediates)',
      HAProxy: 'on the `bind` line: `ssl crt server.pem ca-file client-ca.pem verify required`',
      Envoy: 'in the `DownstreamTlsContext`: `require_client_certificate: true` and a `validation_context` with `trusted_ca`',
      Istio: '`PeerAuthentication` with `mtls: { mode: STRICT }`',
      Go: '`tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}`',
      'grpc-js': '`grpc.ServerCredentials.createSsl(clientCa, keyCertPairs, true)`: the third argument, `checkClientCertificate`, must be `true`',
      Node: '`tls.createServer({ requestCert: true, rejectUnauthorized: true, ca: clientCa })`',
      Java: '`sslParameters.setNeedClientAuth(true)` with a trust store holding the client CA (Spring Boot: `server.ssl.client-auth=need`)',
      Python: '`ctx.verify_mode = ssl.CERT_REQUIRED` and `ctx.load_verify_locations(cafile="client-ca.pem")`',
    },
  },
  {
    id: 'any-ca-accepted',
    certainty: 'likely',
    title: 'the server accepts client certificates from any CA: it likely does not verify them at all',
    // Whatever else of the certificate it let through follows from that: those cases are listed with it.
    detect: (facts) => {
      const foreign = missedOf(facts, foreignIssuer);
      const alongside = missedOf(facts, [...brokenChain, ...validity, ...usage, ...criticalExtension, ...weakCrypto, ...revocation]);
      return foreign.length > 0 ? { cases: [...foreign, ...alongside], details: foreign } : undefined;
    },
    evidence: (m) => {
      const foreign = [...new Set(m.details ?? [])];
      const rest = m.cases.filter((id) => !foreign.includes(id));
      return `it accepted certificates from issuers it does not trust (${list(foreign)})${rest.length > 0 ? `, and with them ${list(rest)}` : ''}`;
    },
    explains: ['usage-not-checked', 'validity-not-checked', 'revocation-not-checked', 'critical-extension-ignored', 'weak-crypto-accepted'],
    hints: {
      nginx: '`ssl_verify_client on;` (not `optional_no_ca`) with `ssl_client_certificate` naming only the CA that issues your clients',
      HAProxy: '`verify required ca-file client-ca.pem`, without `ca-ignore-err` or `crt-ignore-err`',
      Envoy: 'a `validation_context` with `trusted_ca` (without one Envoy accepts any certificate), and no `trust_chain_verification: ACCEPT_UNTRUSTED`',
      Istio: '`PeerAuthentication` STRICT; on a Gateway, `tls.mode: MUTUAL` with a `credentialName` secret that holds `ca.crt`',
      Go: '`ClientAuth: tls.RequireAndVerifyClientCert` (not `RequireAnyClientCert`) with `ClientCAs`; a `VerifyPeerCertificate` callback does not replace that verification',
      'grpc-js': '`checkClientCertificate` `true` in `ServerCredentials.createSsl(rootCerts, ...)`, with `rootCerts` only your client CA',
      Node: '`rejectUnauthorized: true` with `ca` only your client CA; never serve a socket whose `authorized` is false',
      Java: 'the default PKIX `TrustManagerFactory` over a trust store with only your client CA, not a trust-all `X509TrustManager`',
      Python: '`ssl.CERT_REQUIRED` with `load_verify_locations` naming only your client CA',
    },
  },
  {
    id: 'certificate-not-required',
    certainty: 'observed',
    title: 'the server requests a client certificate but does not require one',
    // The server asked (a CertificateRequest on that very handshake) and served a client that answered with none.
    detect: (facts) => {
      const probe = facts.records.get('tls/no-client-cert')?.probe?.outcome;
      if (!facts.missed.has('tls/no-client-cert') || probe?.kind !== 'accepted' || certificateRequested(probe) !== true) return undefined;
      return { cases: ['tls/no-client-cert'] };
    },
    evidence: () => 'it sent a CertificateRequest, the client answered with no certificate, and it served the request anyway (tls/no-client-cert)',
    hints: {
      nginx: '`ssl_verify_client on;` instead of `optional` or `optional_no_ca`',
      HAProxy: '`verify required` instead of `verify optional`',
      Envoy: '`require_client_certificate: true` in the `DownstreamTlsContext`',
      Istio: '`PeerAuthentication` with `mtls: { mode: STRICT }` instead of `PERMISSIVE`',
      Go: '`ClientAuth: tls.RequireAndVerifyClientCert` instead of `VerifyClientCertIfGiven` or `RequestClientCert`',
      'grpc-js': '`checkClientCertificate` `true`: the third argument of `ServerCredentials.createSsl`',
      Node: '`requestCert: true` with `rejectUnauthorized: true`, not `false`',
      Java: '`setNeedClientAuth(true)` instead of `setWantClientAuth(true)` (Spring Boot: `server.ssl.client-auth=need`, not `want`)',
      Python: '`ssl.CERT_REQUIRED` instead of `ssl.CERT_OPTIONAL`',
    },
  },
  {
    id: 'usage-not-checked',
    certainty: 'likely',
    title: 'the server verifies the chain but likely not the key usage or extended key usage',
    detect: missedWhileChainVerified(usage),
    evidence: (m) => `it refused certificates from CAs it does not trust, yet accepted ones whose key usage does not allow client authentication: ${list(m.cases)}`,
    hints: {
      HAProxy: 'no `crt-ignore-err` that ignores error 26 (unsuitable certificate purpose)',
      Go: 'Go checks the clientAuth EKU under `RequireAndVerifyClientCert` but never keyUsage: check `KeyUsageDigitalSignature` in `VerifyPeerCertificate`; a custom verification must pass `KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}`',
      Node: 'OpenSSL checks the purpose with `rejectUnauthorized: true`: do not serve sockets whose `authorizationError` is `INVALID_PURPOSE`',
      Java: 'the default PKIX trust manager checks both; a custom `X509TrustManager` must check `getExtendedKeyUsage()` for clientAuth and `getKeyUsage()[0]` (digitalSignature)',
    },
  },
  {
    id: 'validity-not-checked',
    certainty: 'likely',
    title: 'the server verifies the chain but likely not the validity dates',
    detect: missedWhileChainVerified(validity),
    evidence: (m) => `it refused certificates from CAs it does not trust, yet accepted ones outside their validity period: ${list(m.cases)}`,
    hints: {
      HAProxy: 'no `crt-ignore-err` that ignores errors 9 and 10 (not yet valid, expired)',
      Envoy: '`allow_expired_certificate: false` (the default) in the `validation_context`',
      Go: 'no custom `VerifyPeerCertificate` that verifies with a fixed `x509.VerifyOptions.CurrentTime` or skips the dates: use `tls.RequireAndVerifyClientCert`',
      Node: 'do not serve sockets whose `authorizationError` is `CERT_HAS_EXPIRED` or `CERT_NOT_YET_VALID`',
      Java: 'the default PKIX trust manager checks the dates; a custom `X509TrustManager` must call `checkValidity()`',
    },
  },
  {
    id: 'revocation-not-checked',
    certainty: 'likely',
    title: 'the server verifies the chain but likely does not check revocation',
    detect: missedWhileChainVerified(revocation),
    evidence: (m) => `it accepted a certificate listed on the CRL it was given: ${list(m.cases)}`,
    hints: {
      nginx: '`ssl_crl /path/client-ca.crl;`',
      HAProxy: '`crl-file client-ca.crl` on the `bind` line',
      Envoy: '`crl` in the `validation_context`',
      Go: 'crypto/tls checks no CRL: check the serial against an `x509.RevocationList` in `VerifyPeerCertificate`',
      Node: 'the `crl` option of `tls.createServer`',
      Java: 'a `PKIXRevocationChecker` (or `-Dcom.sun.net.ssl.checkRevocation=true` with the CRL available)',
      Python: '`ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF` and the CRL loaded with `load_verify_locations`',
    },
  },
  {
    id: 'critical-extension-ignored',
    certainty: 'likely',
    title: 'the server verifies the chain but likely ignores unknown critical extensions',
    detect: missedWhileChainVerified(criticalExtension),
    evidence: (m) => `it accepted a certificate with a critical extension it cannot know, which RFC 5280 4.2 says it must refuse: ${list(m.cases)}`,
    hints: {
      HAProxy: 'no `crt-ignore-err` that ignores error 34 (unhandled critical extension)',
      Go: 'a custom verification must refuse a certificate whose `UnhandledCriticalExtensions` is not empty',
      Node: 'do not serve sockets whose `authorizationError` is `UNHANDLED_CRITICAL_EXTENSION`',
      Java: 'a custom `X509TrustManager` must refuse `getCriticalExtensionOIDs()` it does not process',
    },
  },
  {
    id: 'weak-crypto-accepted',
    certainty: 'observed',
    title: 'the server accepts weak client keys or signatures',
    detect: missedWhileChainVerified(weakCrypto),
    evidence: (m) => `it verifies the chain (certificates from CAs it does not trust were refused), yet accepted: ${list(m.cases)}`,
    hints: {
      nginx: '`ssl_ciphers` ending in `:@SECLEVEL=2`: OpenSSL then refuses RSA keys under 2048 bits and SHA-1 or MD5 signatures',
      HAProxy: '`ssl-default-bind-ciphers` ending in `:@SECLEVEL=2`',
      Go: 'Go refuses MD5 and SHA-1 signatures itself; refuse RSA keys under 2048 bits in `VerifyPeerCertificate`',
      Node: '`ciphers: "DEFAULT:@SECLEVEL=2"` in the server\'s TLS options',
      Java: '`jdk.certpath.disabledAlgorithms` in `java.security` listing `MD5, SHA1, RSA keySize < 2048`',
      Python: '`ctx.set_ciphers("DEFAULT:@SECLEVEL=2")`',
    },
  },
  {
    id: 'no-identity-authorization',
    certainty: 'likely',
    title: 'the server authenticates clients but likely does not authorize their identity (SPIFFE ID)',
    detect: (facts) => anyMissed(facts, identity),
    evidence: (m) => `it accepted certificates from the trusted CA that carry SPIFFE IDs it must not authorize: ${list(m.cases)}`,
    hints: {
      nginx: 'nginx cannot match a URI SAN: authorize the client in the application (pass `$ssl_client_escaped_cert` upstream) and answer 403',
      Envoy: '`match_typed_subject_alt_names` with `san_type: URI` and the allowed SPIFFE ID in the `validation_context`',
      Istio: 'an `AuthorizationPolicy` whose `from.source.principals` lists the allowed identities (with `PeerAuthentication` STRICT)',
      Go: 'go-spiffe\'s `tlsconfig.MTLSServerConfig(svid, bundle, tlsconfig.AuthorizeID(id))`, or check `cert.URIs` in `VerifyPeerCertificate`',
      'grpc-js': 'check the URI SAN of `call.getAuthContext().sslPeerCertificate` in the handler and answer `PERMISSION_DENIED`',
      Node: 'check `socket.getPeerCertificate().subjectaltname` for the allowed `URI:spiffe://...` and answer 403',
      Java: 'check `X509Certificate.getSubjectAlternativeNames()` (type 6, URI) before serving (Spring Security: `x509()` with your own principal check)',
      Python: 'check `getpeercert()["subjectAltName"]` for `("URI", "spiffe://...")` and answer 403',
    },
  },
  {
    id: 'svid-rules-not-checked',
    certainty: 'likely',
    title: 'the server likely does not enforce the X509-SVID rules',
    detect: (facts) => anyMissed(facts, svidRules),
    evidence: (m) => `it accepted client certificates that are not valid X509-SVIDs: ${list(m.cases)}`,
    hints: {
      Envoy: 'the SPIFFE certificate validator (`envoy.tls.cert_validator.spiffe`) in the `validation_context`',
      Go: 'go-spiffe\'s `tlsconfig.MTLSServerConfig` (it parses the peer with `x509svid.ParseAndVerify`)',
      Node: 'refuse a peer with more than one URI SAN, `CA:TRUE` or keyCertSign before reading its SPIFFE ID',
    },
  },
  {
    id: 'legacy-tls-enabled',
    certainty: 'observed',
    title: 'the server allows TLS versions older than 1.3',
    detect: (facts) => {
      const cases = missedOf(facts, versions);
      const negotiated = cases.map((id) => facts.records.get(id)?.probe?.outcome.tls.version).filter((v): v is string => v !== undefined);
      return cases.length > 0 ? { cases, details: negotiated } : undefined;
    },
    evidence: (m) => `it completed ${count(m.cases.length, 'handshake', 'handshakes')} a TLS 1.3-only server refuses and answered${m.details?.length ? ` (negotiated ${[...new Set(m.details)].join(', ')})` : ''}: ${list(m.cases)}`,
    hints: {
      nginx: '`ssl_protocols TLSv1.3;`',
      HAProxy: '`ssl-min-ver TLSv1.3` on the `bind` line (or in `ssl-default-bind-options`)',
      Envoy: '`tls_params: { tls_minimum_protocol_version: TLSv1_3 }` in the `common_tls_context`',
      Istio: '`meshConfig.meshMTLS.minProtocolVersion: TLSV1_3`',
      Go: '`MinVersion: tls.VersionTLS13` in the `tls.Config`',
      'grpc-js': 'start Node with `--tls-min-v1.3` (grpc-js takes its TLS versions from Node\'s defaults)',
      Node: '`minVersion: "TLSv1.3"` in the server\'s TLS options',
      Java: '`sslParameters.setProtocols(new String[] {"TLSv1.3"})` (Spring Boot: `server.ssl.enabled-protocols=TLSv1.3`)',
      Python: '`ctx.minimum_version = ssl.TLSVersion.TLSv1_3`',
    },
  },
  {
    id: 'token-not-required',
    certainty: 'observed',
    title: 'the server does not require a verified bearer token',
    detect: (facts) => anyMissed(facts, tokenRequired),
    evidence: (m) => `it served requests with no token or a token whose signature does not verify: ${list(m.cases)}`,
    explains: ['token-key-or-algorithm-from-token', 'token-claims-not-checked', 'token-binding-not-checked', 'token-thumbprint-encoding'],
    hints: {
      'grpc-js': 'verify `call.metadata.get("authorization")` in every handler (or an interceptor) and answer `UNAUTHENTICATED` when it is absent or does not verify',
      Node: 'verify the `Authorization` header with jose\'s `jwtVerify` on every route and answer 401 with `WWW-Authenticate: Bearer error="invalid_token"`',
      Python: 'call `jwt.decode(token, key, algorithms=[...])` on every request and answer 401 on `jwt.PyJWTError`',
    },
  },
  {
    id: 'token-key-or-algorithm-from-token',
    certainty: 'observed',
    title: 'the server lets the token choose its own algorithm or key',
    detect: (facts) => anyMissed(facts, tokenKeyChoice),
    evidence: (m) => `it accepted tokens that were unsigned, HMAC-signed with the issuer's public key, or signed with a key the token itself named: ${list(m.cases)}`,
    hints: {
      Go: 'golang-jwt: `jwt.Parse(token, keyFunc, jwt.WithValidMethods([]string{"ES256"}))`, with a `keyFunc` that returns the issuer\'s key by `kid` and never a key from the header',
      'grpc-js': 'as for Node: pin the algorithms and take keys from the issuer\'s JWKS only',
      Node: 'jose: `jwtVerify(token, createLocalJWKSet(issuerJwks), { algorithms: ["ES256"] })`; never `EmbeddedJWK`, never a `jku` or `x5u` from the token',
      Python: 'PyJWT: `jwt.decode(token, issuer_key, algorithms=["ES256"])` with a fixed list, never `options={"verify_signature": False}` nor a key from the header',
    },
  },
  {
    id: 'token-claims-not-checked',
    certainty: 'observed',
    title: 'the server verifies the signature but not all the claims (exp, nbf, aud, iss, crit)',
    detect: (facts) => anyMissed(facts, tokenClaims),
    evidence: (m) => `it accepted tokens that were expired, not yet valid, for another audience or issuer, or with a critical header it cannot know: ${list(m.cases)}`,
    hints: {
      Go: 'golang-jwt: `jwt.WithAudience(aud)`, `jwt.WithIssuer(iss)`, `jwt.WithExpirationRequired()`',
      Node: 'jose: `jwtVerify(token, keys, { issuer, audience, requiredClaims: ["exp"] })` checks exp and nbf, and refuses an unknown `crit`',
      Python: 'PyJWT: `jwt.decode(..., audience=aud, issuer=iss, options={"require": ["exp", "iss", "aud"]})`; refuse a `crit` header yourself',
    },
  },
  {
    id: 'token-binding-not-checked',
    certainty: 'observed',
    title: 'the server does not check that the token is bound to the client certificate (RFC 8705)',
    detect: (facts) => anyMissed(facts, tokenBinding),
    evidence: (m) => `it accepted tokens bound to another certificate, or to none, over this connection: a stolen token works from any valid client: ${list(m.cases)}`,
    explains: ['token-thumbprint-encoding'],
    hints: {
      Go: 'compare `cnf["x5t#S256"]` with `base64.RawURLEncoding.EncodeToString(sha256.Sum256(r.TLS.PeerCertificates[0].Raw))`',
      'grpc-js': 'compare `cnf["x5t#S256"]` with the base64url SHA-256 of the connection\'s peer certificate (its DER)',
      Node: 'compare `cnf["x5t#S256"]` with `createHash("sha256").update(socket.getPeerCertificate().raw).digest("base64url")`',
      Python: 'compare `cnf["x5t#S256"]` with `base64.urlsafe_b64encode(hashlib.sha256(sock.getpeercert(binary_form=True)).digest()).rstrip(b"=")`',
    },
  },
  {
    id: 'token-thumbprint-encoding',
    certainty: 'observed',
    title: 'the server accepts the certificate thumbprint in hex',
    detect: (facts) => anyMissed(facts, ['jwt/cnf/hex-thumbprint']),
    evidence: (m) => `it accepted a token whose x5t#S256 is the right hash in hex, not the base64url RFC 8705 3.1 defines: ${list(m.cases)}`,
    hints: {
      Go: 'compare with `base64.RawURLEncoding` only, never `hex.EncodeToString`',
      Node: 'compare with `digest("base64url")` only',
      Python: 'compare with the unpadded `base64.urlsafe_b64encode` only',
    },
  },
];
