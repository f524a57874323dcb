import type { Logger } from 'pino';
import { cases } from '../../fixtures/cases.js';
import { findClientCase, refusalMayPrecedeCertificate, selectCases, type ClientCase, type ConformanceCase, type TargetKnowledge } from '../catalogue/case.js';
import { createLogger } from '../log.js';
import { createRunPki, loopbackHosts, type LeafTemplate, type RunPki } from '../pki/index.js';
import { probe, type ClientCredential } from '../probe/probe.js';
import { describeOutcome, type Outcome } from '../probe/outcome.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { caseBudgetMs, Deadline, Pacer, recoveryWaitsMs, retryDelayMs, shouldRetry } from './pacing.js';
import { refusalSignal } from '../verdict/refusal-signal.js';
import type { RunningServer, ServerFlaw } from '../servers/index.js';
import { isServerCertificateFlaw, serverCertificateFlaws } from './server-certificate-flaws.js';
import { parseTargetUrl, type Target, type TargetKey } from '../target/target.js';
import { loadCredentials, readCaBundle } from './inputs.js';
import { referenceServerSpiffeId, referenceTokenAudience, referenceTokenIssuer, type RunSettings, type TokenSettings } from './settings.js';
import { isTokenFlaw, type TokenPolicy } from '../token/verifier.js';
import { TokenKit } from '../token/kit.js';
import { generateSigningKey, readSigningKey } from '../token/keys.js';
import { tokenRequest, tokenTemplateOf, tokenUnavailableReason, type TokenRequest } from '../token/request.js';
import { certificateDer } from '../pki/certificate-hash.js';
import type { TokenEvidence } from '../token/evidence.js';
import { heldInlineToken } from '../token/given-token.js';
import { readInputText } from './inputs.js';
import { tokenTargetKey, type ServerTargetKey, type TokenTargetKey } from '../target/target.js';
import { spreadProbe, type ConnectionProbe } from '../proxy/replica-spread.js';
import { forgedHeaders, mintForgedIdentity, type ForgedIdentity } from '../proxy/identity-headers.js';
import type { RequestHeader } from '../probe/request-headers.js';

/** What one probe of a case produced, for the verdict and the report. */
export interface CaseProbe {
  readonly target: Target;
  readonly credential: ClientCredential | undefined;
  readonly outcome: Outcome;
  /** Connections it took: 1, or more when the target shed the first tries. */
  readonly attempts: number;
  /** The bearer token(s) the request carried, as evidence may show them (never the token). */
  readonly token?: readonly TokenEvidence[];
  /** With --repeat N: each of the N connections, in order; the outcome above is the one that decides (replica-spread.ts). */
  readonly connections?: readonly ConnectionProbe[];
}

/**
 * A case's probe with the valid control around it (see Bracket in the
 * verdict): the control accepted before it, and, after a refusal, the
 * control probed again on a fresh connection.
 */
export interface BracketedProbe {
  /** Absent when the case was not probed: the control before it was not accepted. */
  readonly probe?: CaseProbe;
  readonly before: CaseProbe;
  readonly after?: CaseProbe;
  /** The case again, right after a refusal without a signal: such a refusal counts only when it repeats. */
  readonly repeat?: CaseProbe;
  /** The control stayed refused after this case's refusal, through every wait for recovery. */
  readonly targetLost?: boolean;
  readonly notProbedBecause?: string;
}

/** A credential older than this is minted again (see userCaLifetime: leaves live an hour, issuers are renewed 10 minutes before their end). */
const remintAfterMs = 30 * 60_000;

/** Once a target is lost, how many more control probes the run spends looking for it before giving up on it. */
const probesForLostTarget = 2;

/** The valid credential of each target: the pinned server trusts its pinned certificate, not the CA. */
export function controlCase(target: TargetKey): ClientCase {
  return findClientCase(cases, target === 'pinned' ? 'pinned/pinned-cert' : 'x509/valid');
}

/** What to do to make a case depending on this knowledge run. */
const missingKnowledge: Record<TargetKnowledge, string> = {
  'spiffe-authorization': "the target's SPIFFE policy is unknown: pass --spiffe-id with the ID it authorizes to check that it refuses others",
  'crl-loaded': 'the target has not been given the CRL: write it with --crl-out, load it into the target, then pass --target-has-crl',
  'server-spiffe-id': 'no --server-spiffe-id was given, so there is nothing to compare the server\'s SPIFFE ID with',
  'jwt-issuer': 'the issuer the target trusts is unknown: pass --jwt-iss to check that it refuses another',
  'jwt-audience': 'the audience the target expects is unknown: pass --jwt-aud to check that it refuses another',
  'certificate-bound-tokens': 'the target is not known to require certificate-bound tokens (RFC 8705): pass --jwt-bound if it does',
  'attacker-key-urls-reachable': "the attacker's key is served on this machine's loopback, which a remote target cannot reach: a refusal would prove nothing",
};

/** What the reference servers say after the handshake when they are asked "Hello server". */
export const referenceRawTlsGreeting = 'Hello server\n';
/** What the built-in raw-TLS server answers an authorized client: its acceptance, read as a user's --expect. */
export const referenceRawTlsExpect = '^Hello client';

/**
 * One run's shared state inside one cucumber worker: the PKI, the targets,
 * and the control outcomes. Controls and credentials are memoized so every
 * scenario on a path is judged against the same control, probed once.
 */
export class RunSession {
  readonly #controls = new Map<TargetKey, Promise<CaseProbe>>();
  /** The most recent control probe per target: the "before" of the next case. */
  readonly #lastControl = new Map<TargetKey, CaseProbe>();
  /** Targets that stopped accepting the valid credential: after which case, and how many looks are left. */
  readonly #lost = new Map<TargetKey, { afterCase: string; probesLeft: number }>();
  readonly #pacer: Pacer;
  /** Targets whose last case went unanswered or was shed: the next case needs a fresh control first. */
  readonly #recheck = new Set<TargetKey>();
  /** The case probed last on each target: what a lost target is reported lost after. */
  readonly #lastCase = new Map<TargetKey, string>();
  #closed: Promise<void> | undefined;
  readonly #credentials = new Map<string, { readonly credential: Promise<ClientCredential | undefined>; readonly mintedAt: number }>();
  #forged: Promise<ForgedIdentity> | undefined;

  /** Use RunSession.start; the constructor only holds what the start functions below prepared. */
  constructor(
    readonly settings: RunSettings,
    readonly pki: RunPki,
    readonly targets: ReadonlyMap<TargetKey, Target>,
    /** Trust for the targets' own certificates; undefined means the system roots. */
    readonly serverCaPem: string | undefined,
    /** The user's own client credential, when that is what we were given. */
    private readonly userCredential: ClientCredential | undefined,
    private readonly servers: readonly RunningServer[],
    private readonly log: Logger,
    /** The run's token material, and the targets whose requests carry tokens (see TokenTargetKey). */
    private readonly tokens?: { readonly kit: TokenKit; readonly targets: ReadonlySet<TargetKey> },
  ) {
    this.#pacer = new Pacer(settings.ratePerSecond);
  }

  /**
   * The session the CLI's preflight built and probed, passed on to the
   * scenarios of the same run: cucumber runs in the CLI's process, so the run
   * keeps one PKI and one control probe instead of building both twice.
   */
  static #handedOver: RunSession | undefined;

  static handOver(session: RunSession): void {
    RunSession.#handedOver = session;
  }

  /** The handed-over session, once; undefined when cucumber was started some other way. */
  static claimHandedOver(): RunSession | undefined {
    const session = RunSession.#handedOver;
    RunSession.#handedOver = undefined;
    return session;
  }

  static async start(settings: RunSettings): Promise<RunSession> {
    const log = createLogger(settings.logLevel, settings.logFormat);
    // Everything stays in memory: a run writes no key, nor any other PKI file, to disk.
    return settings.target.kind === 'reference' ? startReference(settings, log) : startExternal(settings, log);
  }

  target(protocol: TargetKey): Target {
    const target = this.targets.get(protocol);
    if (!target) throw new Error(`this run has no ${protocol} target (targets: ${[...this.targets.keys()].join(', ') || 'none'})`);
    return target;
  }

  /**
   * Why this case cannot be probed in this run, if it cannot: a policy of the
   * target the run does not know, or a leaf that must be signed by the
   * target's CA when the user gave no CA key.
   */
  unavailableReason(conformanceCase: ConformanceCase): string | undefined {
    const unknown = (conformanceCase.requires ?? []).find((fact) => !this.settings.knowledge.includes(fact));
    if (unknown) return missingKnowledge[unknown];
    if (conformanceCase.kind !== 'client') return undefined;
    const tokenProblem = this.#tokenUnavailableReason(conformanceCase);
    if (tokenProblem) return tokenProblem;
    if (conformanceCase.credential.kind !== 'defect') return undefined;
    const template = templateOf(conformanceCase, this.pki);
    if (!template) return undefined;
    if (!this.pki.canIssue(template)) return 'needs --ca-cert and --ca-key: this certificate must be signed by the CA the target trusts';
    return this.pki.signingProblem(template);
  }

  /** Why this case's token cannot be made in this run: it needs the issuer's key, or a certificate the run cannot issue. */
  #tokenUnavailableReason(clientCase: ClientCase): string | undefined {
    if (!clientCase.token) return undefined;
    if (!this.tokens) return 'a token case needs --jwt-key (or --token) and a grpcs:// or https:// target';
    const template = tokenTemplateOf(clientCase.token, this.tokens.kit, { now: new Date() });
    if (!template) return undefined;
    return tokenUnavailableReason(template, this.tokens.kit, (to) => {
      if (typeof to === 'object') {
        const other = this.unavailableReason(findClientCase(cases, to.credentialOf));
        return other ? `the token is bound to another client's certificate, which this run cannot make: ${other}` : undefined;
      }
      if (to === 'issuer-of-presented' && !this.#issuerPemOf(this.userCredential)) {
        return "the token is bound to the client certificate's issuer, which the run does not have: give --client-cert with its chain";
      }
      return undefined;
    });
  }

  /** The certificate that issued a credential: the chain it sends, or the run's CA. */
  #issuerPemOf(credential: ClientCredential | undefined): string | undefined {
    return credential?.chainPems[0] ?? this.pki.trustedCa?.certPem;
  }

  /**
   * The valid credential on this target's path, the run's first control:
   * the preflight's, and what the server-certificate cases read. Probed once.
   */
  control(protocol: TargetKey): Promise<CaseProbe> {
    let control = this.#controls.get(protocol);
    if (!control) {
      const deadline = new Deadline(caseBudgetMs(this.settings.timeoutMs, this.#repeat));
      control = this.#probeRepeated(controlCase(protocol), protocol, { deadline }).then((first) => {
        if (!this.#lastControl.has(protocol)) this.#lastControl.set(protocol, first);
        return first;
      });
      this.#controls.set(protocol, control);
    }
    return control;
  }

  /**
   * Probes a case inside a bracket of controls. Before: the latest control
   * on this path must have been accepted (after anything odd, a fresh one
   * is probed). A refusal without a signal (a bare close, an HTTP 400) is
   * probed once more, back to back: a target that drops every other
   * connection must not pass as one that refuses. After a refusal: the
   * control again, on a fresh connection; if the target no longer accepts
   * it, the run waits for it to come back and probes the case once more, or
   * reports the target lost. All of it within one deadline (caseBudgetMs).
   */
  async probeBracketed(conformanceCase: ClientCase, protocol: TargetKey): Promise<BracketedProbe> {
    const deadline = new Deadline(caseBudgetMs(this.settings.timeoutMs, this.#repeat));
    let before = await this.#controlBefore(protocol, deadline);
    this.#lastCase.set(protocol, conformanceCase.id);
    for (let round = 1; ; round += 1) {
      if (before.outcome.kind !== 'accepted') {
        const lost = this.#lost.get(protocol);
        const because = lost
          ? `not probed: the target stopped accepting the valid credential after ${lost.afterCase} and has not come back (${describeOutcome(before.outcome)})`
          : undefined;
        return { before, ...(because ? { notProbedBecause: because } : {}) };
      }
      const caseProbe = await this.#probeRepeated(conformanceCase, protocol, { deadline });
      const { outcome } = caseProbe;
      const repeat = outcome.kind === 'rejected' && refusalSignal(outcome) === 'bare' && deadline.allows() ? await this.probeCase(conformanceCase, protocol, { deadline }) : undefined;
      // A refusal, unless the repeat got through; a repeat that got no answer still needs the control after (did the target die?).
      const refused = outcome.kind === 'rejected' && repeat?.outcome.kind !== 'accepted';
      if (!refused) {
        // Accepted (at once, or on the repeat): the target is plainly up. Shed or unanswered: look at the target again before the next case.
        const last = repeat ?? caseProbe;
        if (last.outcome.kind !== 'accepted') this.#recheck.add(protocol);
        return { probe: caseProbe, before, ...(repeat ? { repeat } : {}) };
      }
      const withRepeat = { probe: caseProbe, before, ...(repeat ? { repeat } : {}) };
      if (!deadline.allows()) return withRepeat;
      const after = await this.#probeRepeated(controlCase(protocol), protocol, { deadline });
      this.#lastControl.set(protocol, after);
      if (after.outcome.kind === 'accepted') return { ...withRepeat, after };
      const recovered = await this.#awaitRecovery(protocol, conformanceCase.id, deadline);
      if (!recovered) return { ...withRepeat, after, targetLost: true };
      // It came back: the refusal may have been the outage. Once more, bracketed anew; a second time, it stays inconclusive.
      if (round >= 2) return { ...withRepeat, after };
      before = recovered;
    }
  }

  /** The latest control on this path if it was accepted; otherwise a fresh one (sparingly, once the target is lost). */
  async #controlBefore(protocol: TargetKey, deadline: Deadline): Promise<CaseProbe> {
    const latest = this.#lastControl.get(protocol) ?? (await this.control(protocol));
    if (latest.outcome.kind === 'accepted' && !this.#recheck.has(protocol)) return latest;
    this.#recheck.delete(protocol);
    const lost = this.#lost.get(protocol);
    if (lost) {
      if (lost.probesLeft <= 0) return latest;
      lost.probesLeft -= 1;
    }
    const fresh = await this.#probeRepeated(controlCase(protocol), protocol, { deadline });
    this.#lastControl.set(protocol, fresh);
    if (fresh.outcome.kind === 'accepted') {
      this.#lost.delete(protocol);
      return fresh;
    }
    if (lost) return fresh;
    // The target stopped accepting the valid credential between cases: give it the same chance to come back as after a refusal.
    return (await this.#awaitRecovery(protocol, this.#lastCase.get(protocol) ?? 'the start of the run', deadline)) ?? fresh;
  }

  /** Waits for the target to accept the valid credential again; undefined (and the target marked lost) if it does not. */
  async #awaitRecovery(protocol: TargetKey, afterCase: string, deadline: Deadline): Promise<CaseProbe | undefined> {
    for (const waitMs of recoveryWaitsMs) {
      if (!deadline.allows(waitMs + 1)) break;
      await sleep(waitMs);
      // One try per look: the waits between looks are the backoff.
      const control = await this.#probeRepeated(controlCase(protocol), protocol, { retryShed: false, deadline });
      this.#lastControl.set(protocol, control);
      if (control.outcome.kind === 'accepted') return control;
    }
    this.#markLost(protocol, afterCase);
    return undefined;
  }

  #markLost(protocol: TargetKey, afterCase: string): void {
    this.log.warn({ protocol, afterCase }, 'the target stopped accepting the valid credential');
    this.#lost.set(protocol, { afterCase, probesLeft: probesForLostTarget });
  }

  /**
   * Whether this probe could end up in TLS 1.2: unless the case allows TLS 1.3
   * and the latest control on this target got TLS 1.3 (a server picks its
   * highest version), it could.
   */
  #mayChooseTls12(protocol: TargetKey, conformanceCase: ClientCase): boolean {
    if (conformanceCase.tlsVersions?.max !== undefined && conformanceCase.tlsVersions.max !== 'TLSv1.3') return true;
    return this.#lastControl.get(protocol)?.outcome.tls.version !== 'TLSv1.3';
  }

  get #repeat(): number {
    return this.settings.repeat ?? 1;
  }

  /**
   * The case on --repeat fresh connections, one after another (one without
   * it): behind a balancer each may reach another backend. The connection
   * that decides is the most lenient for a negative case, the strictest for
   * the control and positive cases (replica-spread.ts).
   */
  async #probeRepeated(conformanceCase: ClientCase, protocol: TargetKey, options: { retryShed?: boolean; deadline: Deadline }): Promise<CaseProbe> {
    const wanted = this.#repeat;
    if (wanted <= 1) return this.probeCase(conformanceCase, protocol, options);
    const probes: CaseProbe[] = [];
    for (let i = 0; i < wanted && (i === 0 || options.deadline.allows()); i += 1) probes.push(await this.probeCase(conformanceCase, protocol, options));
    return spreadProbe(probes, wanted, conformanceCase.expect);
  }

  /** One case's probe; a probe the target shed (load, rate, draining) is tried again, a bounded number of times. */
  async probeCase(conformanceCase: ClientCase, protocol: TargetKey, options: { retryShed?: boolean; deadline?: Deadline } = {}): Promise<CaseProbe> {
    const target = this.target(protocol);
    const credential = await this.credential(conformanceCase);
    const requestHeaders = await this.#requestHeaders(conformanceCase);
    const deadline = options.deadline ?? new Deadline(caseBudgetMs(this.settings.timeoutMs));
    let attempts = 0;
    for (;;) {
      attempts += 1;
      // Minted for each connection: a token lives minutes, and a retried probe must not carry a stale one.
      const token = await this.#tokenFor(conformanceCase, protocol, credential);
      await this.#pacer.wait();
      const outcome = await probe({
        target,
        credential,
        // Never past the case's deadline (callers check there is time left before they probe).
        timeoutMs: Math.min(this.settings.timeoutMs, Math.max(1, deadline.remainingMs())),
        ...(this.serverCaPem ? { serverCaPem: this.serverCaPem } : {}),
        ...(conformanceCase.tlsVersions ? { tlsVersions: conformanceCase.tlsVersions } : {}),
        ...(conformanceCase.clientCiphers ? { clientCiphers: conformanceCase.clientCiphers } : {}),
        watchTls12Flight: this.#mayChooseTls12(protocol, conformanceCase),
        judgedAtHello: refusalMayPrecedeCertificate(conformanceCase),
        ...(token || requestHeaders.length > 0 ? { requestHeaders: [...requestHeaders, ...(token?.headers ?? [])] } : {}),
      });
      this.log.debug({ case: conformanceCase.id, protocol, attempt: attempts, outcome: outcome.kind, detail: outcome.detail }, 'probe finished');
      const delayMs = retryDelayMs(outcome, attempts);
      if (options.retryShed === false || !shouldRetry(outcome, attempts) || !deadline.allows(delayMs + 100)) {
        return { target, credential, outcome, attempts, ...(token ? { token: token.evidence } : {}) };
      }
      await sleep(delayMs);
    }
  }

  /** The token a probe on this target carries: the case's, or the run's valid one for every other case; none where tokens do not apply. */
  async #tokenFor(conformanceCase: ClientCase, protocol: TargetKey, credential: ClientCredential | undefined): Promise<TokenRequest | undefined> {
    if (!this.tokens?.targets.has(protocol)) return undefined;
    // A case that presents no certificate still carries the valid token, bound to the valid certificate the client would have.
    const bindTo = credential ?? (await this.credential(controlCase(protocol)));
    const issuerPem = this.#issuerPemOf(bindTo);
    return tokenRequest(conformanceCase.token ?? { kind: 'valid' }, this.tokens.kit, {
      presentedDer: bindTo ? certificateDer(bindTo.certPem) : undefined,
      issuerOfPresentedDer: issuerPem ? certificateDer(issuerPem) : undefined,
      credentialDerOf: async (caseId) => {
        const other = await this.credential(findClientCase(cases, caseId));
        return other ? certificateDer(other.certPem) : undefined;
      },
    }, { now: new Date() });
  }

  /** The forged identity headers an identity case sends (none for other cases). */
  async #requestHeaders(conformanceCase: ClientCase): Promise<RequestHeader[]> {
    const check = conformanceCase.identity;
    if (check?.kind !== 'forged') return [];
    this.#forged ??= mintForgedIdentity(this.pki, this.settings.clientSpiffeId, this.settings.serverSpiffeId);
    return forgedHeaders(check.family, check.way, await this.#forged);
  }

  /** Mints the case's credential once per run; every protocol presents the same one. */
  credential(conformanceCase: ClientCase): Promise<ClientCredential | undefined> {
    // Every case that presents the valid credential presents the very same one.
    const key = conformanceCase.credential.kind === 'valid' ? 'valid' : conformanceCase.id;
    const minted = this.#credentials.get(key);
    // Made again after a while: under a user's CA a credential lives about an hour, and a long run must not present one past its end.
    if (minted && Date.now() - minted.mintedAt < remintAfterMs) return minted.credential;
    const credential = this.#mint(conformanceCase);
    this.#credentials.set(key, { credential, mintedAt: Date.now() });
    return credential;
  }

  /** Makes the case present this credential, minted before the session existed (the pinned server's). */
  seedCredential(conformanceCase: ClientCase, credential: ClientCredential): void {
    // Never made again: the pinned server trusts exactly this certificate.
    this.#credentials.set(conformanceCase.id, { credential: Promise.resolve(credential), mintedAt: Number.POSITIVE_INFINITY });
  }

  async #mint(conformanceCase: ClientCase): Promise<ClientCredential | undefined> {
    if (conformanceCase.credential.kind === 'valid' && this.userCredential) return this.userCredential;
    const template = templateOf(conformanceCase, this.pki);
    if (!template) return undefined;
    // Not written to disk: the credential lives in memory for the run's probes, and a key file is one more thing a kill can leave behind.
    return this.pki.issue(template);
  }

  /** Lets a control probe under way end, then stops the servers and removes the PKI. Once: a second call waits for the first. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled(this.#controls.values());
      await Promise.all([...this.servers.map((s) => s.close()), this.tokens?.kit.close()]);
    })();
    return this.#closed;
  }
}

async function startReference(settings: RunSettings, log: Logger): Promise<RunSession> {
  if (settings.target.kind !== 'reference') throw new Error('not a reference run');
  const { protocols } = settings.target;
  const flaws = settings.target.flaws.filter((flaw): flaw is ServerFlaw => !isServerCertificateFlaw(flaw) && !isTokenFlaw(flaw));
  const certificateFlaw = settings.target.flaws.find(isServerCertificateFlaw);
  const pki = await createRunPki({
    clientSpiffeId: settings.clientSpiffeId,
    trustedCa: 'generate',
    serverHosts: { ...loopbackHosts, uris: [settings.serverSpiffeId ?? referenceServerSpiffeId] },
    ...(certificateFlaw ? { serverDefect: serverCertificateFlaws[certificateFlaw] } : {}),
  });
  if (!pki.trustedCa || !pki.server) throw new Error('the reference PKI has no CA or server leaf');
  pki.prepare(templatesFor(settings, pki));

  // The pinned server trusts one self-signed certificate: mint it first, through the
  // session's memo, so the probes later present that very certificate.
  const pinned = protocols.includes('pinned') ? await pki.issue(pinnedTemplate(pki)) : undefined;
  const tokenKeys = protocols.filter(isTokenTargetKey);
  const tokens = tokenKeys.length > 0 ? await referenceTokens(settings, pki) : undefined;
  // Loaded here, not at the top: grpc-js and the servers cost ~0.2 s to load, which runs against the user's own server do not need.
  const { startReferenceServer } = await import('../servers/index.js');
  const started: Array<[TargetKey, RunningServer]> = [];
  try {
    for (const key of protocols) {
      const options = {
        clientCaPem: pki.trustedCa.certPem,
        certPem: pki.server.certPem,
        keyPem: pki.server.keyPem,
        allowedSpiffeIds: [settings.clientSpiffeId],
        crlPems: await pki.crls(),
        flaws,
        ...(key === 'pinned' && pinned ? { pinnedClientCertPems: [pinned.certPem] } : {}),
        ...(isTokenTargetKey(key) && tokens ? { token: tokens.policy } : {}),
      };
      started.push([key, await startReferenceServer(serverProtocolOf(key), options)]);
    }
  } catch (error) {
    await Promise.all([...started.map(([, server]) => server.close()), tokens?.kit.close()]);
    throw error;
  }
  for (const [key, server] of started) log.info({ url: server.url, flaws: settings.target.flaws }, `reference ${key} server listening`);
  const targets = new Map(started.map(([key, s]) => [key, parseTargetUrl(s.url, s.protocol === 'tls' ? { send: referenceRawTlsGreeting, expect: referenceRawTlsExpect } : {})] as const));
  const session = new RunSession(settings, pki, targets, pki.trustedCa.certPem, undefined, started.map(([, s]) => s), log, tokens ? { kit: tokens.kit, targets: new Set(tokenKeys) } : undefined);
  if (pinned) session.seedCredential(controlCase('pinned'), pinned);
  return session;
}

function isTokenTargetKey(key: TargetKey): key is TokenTargetKey {
  return key === 'grpc-jwt' || key === 'http2-jwt';
}

/** The built-in server behind a target key: the pinned and token targets are HTTP/2 and gRPC servers in another mode. */
function serverProtocolOf(key: ServerTargetKey): RunningServer['protocol'] {
  if (key === 'pinned' || key === 'http2-jwt') return 'http2';
  return key === 'grpc-jwt' ? 'grpc' : key;
}

/** The built-in token servers' issuer (a key made for the run), the policy they verify with, and the kit that mints for the cases. */
async function referenceTokens(settings: RunSettings, pki: RunPki): Promise<{ kit: TokenKit; policy: TokenPolicy }> {
  if (settings.target.kind !== 'reference') throw new Error('not a reference run');
  const issuer = await generateSigningKey('mtlspec-issuer');
  const kit = await TokenKit.create({ issuer }, await pki.issue(attackerTemplate(pki)), { issuer: referenceTokenIssuer, audience: referenceTokenAudience, subject: settings.clientSpiffeId });
  const policy: TokenPolicy = {
    jwks: { keys: [issuer.publicJwk] },
    issuerPublicPem: issuer.publicPem,
    issuer: referenceTokenIssuer,
    audience: referenceTokenAudience,
    requireBinding: true,
    skewSeconds: 30,
    flaws: settings.target.flaws.filter(isTokenFlaw),
  };
  return { kit, policy };
}

/** The attacker's own self-signed certificate: its key signs the forged tokens, and x5u names it. Needs no CA. */
function attackerTemplate(pki: RunPki): LeafTemplate {
  return { ...pki.validClientTemplate(), signer: 'self', subject: 'CN=token attacker, O=mtlspec', key: 'ec-p256', uris: [], sendChain: false };
}

/** The leaf a client case presents, as the template the PKI issues it from; undefined when it presents none. */
function templateOf(clientCase: ClientCase, pki: RunPki): LeafTemplate | undefined {
  const spec = clientCase.credential;
  if (spec.kind === 'none') return undefined;
  const valid = pki.validClientTemplate();
  return spec.kind === 'valid' ? valid : spec.apply(valid, pki.context);
}

/** The leaf templates of the cases this run selected, so the PKI can make their keys and issuers ahead. */
function templatesFor(settings: RunSettings, pki: RunPki): LeafTemplate[] {
  const selected = settings.caseSelectors.length > 0 ? selectCases(cases, settings.caseSelectors) : cases;
  return selected.flatMap((c) => (c.kind === 'client' ? (templateOf(c, pki) ?? []) : []));
}

/** The pinned client's certificate template, exactly as its case mints it. */
function pinnedTemplate(pki: RunPki): LeafTemplate {
  const pinned = controlCase('pinned');
  const template = templateOf(pinned, pki);
  if (pinned.credential.kind !== 'defect' || !template) throw new Error('the pinned control must be a minted certificate');
  return template;
}

async function startExternal(settings: RunSettings, log: Logger): Promise<RunSession> {
  if (settings.target.kind !== 'external') throw new Error('not an external run');
  const { url, servername, serverCaFile, send, expect, http, credentials } = settings.target;
  const target = parseTargetUrl(url, { ...(servername ? { servername } : {}), ...(send !== undefined ? { send } : {}), ...(expect !== undefined ? { expect } : {}), ...(http ? { http } : {}) });
  const loaded = await loadCredentials(credentials);
  const pki = await createRunPki({ clientSpiffeId: settings.clientSpiffeId, trustedCa: loaded.kind === 'ca' ? loaded.authority : 'none' });
  pki.prepare(templatesFor(settings, pki));
  const serverCaPem = serverCaFile ? readCaBundle(serverCaFile, '--server-ca') : undefined;
  log.info({ url, credentials: credentials.kind, spiffeId: settings.clientSpiffeId, tokens: settings.tokens ? 'yes' : 'no' }, 'external target');
  const userCredential = loaded.kind === 'client' ? loaded.credential : undefined;
  const targets = new Map<TargetKey, Target>([[target.protocol, target]]);
  let tokens: { kit: TokenKit; targets: ReadonlySet<TargetKey> } | undefined;
  if (settings.tokens && target.protocol !== 'tls') {
    // The same URL under a second key: the token cases get a control (certificate plus token) of their own, and every case carries the token.
    const tokenKey = tokenTargetKey(target.protocol);
    targets.set(tokenKey, target);
    tokens = { kit: await externalTokenKit(settings.tokens, settings.clientSpiffeId, pki), targets: new Set([target.protocol, tokenKey]) };
  }
  return new RunSession(settings, pki, targets, serverCaPem, userCredential, [], log, tokens);
}

/** The user's issuer key (--jwt-key) or ready token (--token, --token-file), with the claims they asked for. */
async function externalTokenKit(tokens: TokenSettings, subject: string, pki: RunPki): Promise<TokenKit> {
  const inline = tokens.tokenInline ? heldInlineToken() : undefined;
  const source = tokens.keyFile
    ? { issuer: await readSigningKey(readInputText(tokens.keyFile, '--jwt-key'), tokens.kid) }
    : { given: tokens.tokenFile ? readInputText(tokens.tokenFile, '--token-file') : (inline ?? '') };
  const extraClaims = tokens.extraClaimsJson ? (JSON.parse(tokens.extraClaimsJson) as Record<string, unknown>) : undefined;
  return TokenKit.create(source, await pki.issue(attackerTemplate(pki)), {
    subject,
    ...(tokens.issuer !== undefined ? { issuer: tokens.issuer } : {}),
    ...(tokens.audience !== undefined ? { audience: tokens.audience } : {}),
    ...(extraClaims ? { extraClaims } : {}),
  });
}
