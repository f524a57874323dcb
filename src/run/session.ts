import type { Logger } from 'pino';
import { cases } from '../../fixtures/cases.js';
import { findClientCase, selectCases, type ClientCase, type ConformanceCase, type TargetKnowledge } from '../catalogue/case.js';
import { createLogger } from '../log.js';
import { createRunPki, loopbackHosts, PrivateDir, type LeafTemplate, type RunPki } from '../pki/index.js';
import { probe, type ClientCredential } from '../probe/probe.js';
import type { Outcome } from '../probe/outcome.js';
import type { RunningServer, ServerFlaw } from '../servers/index.js';
import { isServerCertificateFlaw, serverCertificateFlaws } from './server-certificate-flaws.js';
import { parseTargetUrl, type Target, type TargetKey } from '../target/target.js';
import { loadCredentials, readCaBundle } from './inputs.js';
import { referenceServerSpiffeId, type RunSettings } from './settings.js';

/** What one probe of a case produced, for the verdict and the report. */
export interface CaseProbe {
  readonly target: Target;
  readonly credential: ClientCredential | undefined;
  readonly outcome: Outcome;
}

/** The valid credential of each target: the pinned server trusts its pinned certificate, not the CA. */
export function controlCase(target: TargetKey): ClientCase {
  return findClientCase(cases, target === 'pinned' ? 'pinned/pinned-cert' : 'x509/valid');
}

/** What to do to make a case depending on this knowledge run. */
const missingKnowledge: Record<TargetKnowledge, string> = {
  'spiffe-authorization': "the target's SPIFFE policy is unknown: pass --spiffe-id with the ID it authorizes to check that it refuses others",
  'crl-loaded': 'the target has not been given the CRL: write it with --crl-out, load it into the target, then pass --target-has-crl',
  'server-spiffe-id': 'no --server-spiffe-id was given, so there is nothing to compare the server\'s SPIFFE ID with',
};

/** What the reference servers say after the handshake when they are asked "Hello server". */
export const referenceRawTlsGreeting = 'Hello server\n';

/**
 * One run's shared state inside one cucumber worker: the PKI, the targets,
 * and the control outcomes. Controls and credentials are memoized so every
 * scenario on a path is judged against the same control, probed once.
 */
export class RunSession {
  readonly #controls = new Map<TargetKey, Promise<CaseProbe>>();
  #closed: Promise<void> | undefined;
  readonly #credentials = new Map<string, Promise<ClientCredential | undefined>>();

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
    /** The run's PEM files, for a person who wants to replay a probe with openssl or curl. */
    private readonly pkiDir: PrivateDir,
    private readonly log: Logger,
  ) {}

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
    const pkiDir = new PrivateDir('mtlspec-pki-');
    try {
      return settings.target.kind === 'reference' ? await startReference(settings, pkiDir, log) : await startExternal(settings, pkiDir, log);
    } catch (error) {
      pkiDir.remove();
      throw error;
    }
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
    if (conformanceCase.kind !== 'client' || conformanceCase.credential.kind !== 'defect') return undefined;
    const template = templateOf(conformanceCase, this.pki);
    if (!template) return undefined;
    if (!this.pki.canIssue(template)) return 'needs --ca-cert and --ca-key: this certificate must be signed by the CA the target trusts';
    return this.pki.signingProblem(template);
  }

  /** The valid credential on this target's path, probed once per run. */
  control(protocol: TargetKey): Promise<CaseProbe> {
    let control = this.#controls.get(protocol);
    if (!control) {
      control = this.probeCase(controlCase(protocol), protocol);
      this.#controls.set(protocol, control);
    }
    return control;
  }

  async probeCase(conformanceCase: ClientCase, protocol: TargetKey): Promise<CaseProbe> {
    const target = this.target(protocol);
    const credential = await this.credential(conformanceCase);
    const outcome = await probe({
      target,
      credential,
      timeoutMs: this.settings.timeoutMs,
      ...(this.serverCaPem ? { serverCaPem: this.serverCaPem } : {}),
      ...(conformanceCase.tlsVersions ? { tlsVersions: conformanceCase.tlsVersions } : {}),
      ...(conformanceCase.clientCiphers ? { clientCiphers: conformanceCase.clientCiphers } : {}),
    });
    this.log.debug({ case: conformanceCase.id, protocol, outcome: outcome.kind, detail: outcome.detail }, 'probe finished');
    return { target, credential, outcome };
  }

  /** Mints the case's credential once per run; every protocol presents the same one. */
  credential(conformanceCase: ClientCase): Promise<ClientCredential | undefined> {
    // Every case that presents the valid credential presents the very same one.
    const key = conformanceCase.credential.kind === 'valid' ? 'valid' : conformanceCase.id;
    let credential = this.#credentials.get(key);
    if (!credential) {
      credential = this.#mint(conformanceCase);
      this.#credentials.set(key, credential);
    }
    return credential;
  }

  /** Makes the case present this credential, minted before the session existed (the pinned server's). */
  seedCredential(conformanceCase: ClientCase, credential: ClientCredential): void {
    this.#credentials.set(conformanceCase.id, Promise.resolve(credential));
  }

  async #mint(conformanceCase: ClientCase): Promise<ClientCredential | undefined> {
    if (conformanceCase.credential.kind === 'valid' && this.userCredential) return this.userCredential;
    const template = templateOf(conformanceCase, this.pki);
    if (!template) return undefined;
    const issued = await this.pki.issue(template);
    const fileStem = conformanceCase.id.replace(/[^\w.-]+/g, '_');
    // Not written to disk: the credential lives in memory for the run's probes, and a key file is one more thing a kill can leave behind.
    return issued;
  }

  /** Lets a control probe under way end, then stops the servers and removes the PKI. Once: a second call waits for the first. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled(this.#controls.values());
      await Promise.all(this.servers.map((s) => s.close()));
      this.pkiDir.remove();
    })();
    return this.#closed;
  }
}

async function startReference(settings: RunSettings, pkiDir: PrivateDir, log: Logger): Promise<RunSession> {
  if (settings.target.kind !== 'reference') throw new Error('not a reference run');
  const { protocols } = settings.target;
  const flaws = settings.target.flaws.filter((flaw): flaw is ServerFlaw => !isServerCertificateFlaw(flaw));
  const certificateFlaw = settings.target.flaws.find(isServerCertificateFlaw);
  const pki = await createRunPki({
    clientSpiffeId: settings.clientSpiffeId,
    trustedCa: 'generate',
    serverHosts: { ...loopbackHosts, uris: [settings.serverSpiffeId ?? referenceServerSpiffeId] },
    ...(certificateFlaw ? { serverDefect: serverCertificateFlaws[certificateFlaw] } : {}),
  });
  if (!pki.trustedCa || !pki.server) throw new Error('the reference PKI has no CA or server leaf');
  pki.prepare(templatesFor(settings, pki));
  pkiDir.write('ca.pem', pki.trustedCa.certPem);
  pkiDir.write('untrusted-ca.pem', pki.untrustedCa.certPem);
  pkiDir.write('server.pem', pki.server.certPem);
  pkiDir.write('server.key', pki.server.keyPem);
  log.debug({ pkiDir: pkiDir.path }, 'run PKI written (removed at exit)');

  // The pinned server trusts one self-signed certificate: mint it first, through the
  // session's memo, so the probes later present that very certificate.
  const pinned = protocols.includes('pinned') ? await pki.issue(pinnedTemplate(pki)) : undefined;
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
      };
      started.push([key, await startReferenceServer(key === 'pinned' ? 'http2' : key, options)]);
    }
  } catch (error) {
    await Promise.all(started.map(([, server]) => server.close()));
    throw error;
  }
  for (const [key, server] of started) log.info({ url: server.url, flaws: settings.target.flaws }, `reference ${key} server listening`);
  const targets = new Map(started.map(([key, s]) => [key, parseTargetUrl(s.url, s.protocol === 'tls' ? { send: referenceRawTlsGreeting } : {})] as const));
  const session = new RunSession(settings, pki, targets, pki.trustedCa.certPem, undefined, started.map(([, s]) => s), pkiDir, log);
  if (pinned) session.seedCredential(controlCase('pinned'), pinned);
  return session;
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

async function startExternal(settings: RunSettings, pkiDir: PrivateDir, log: Logger): Promise<RunSession> {
  if (settings.target.kind !== 'external') throw new Error('not an external run');
  const { url, servername, serverCaFile, send, credentials } = settings.target;
  const target = parseTargetUrl(url, { ...(servername ? { servername } : {}), ...(send !== undefined ? { send } : {}) });
  const loaded = await loadCredentials(credentials);
  const pki = await createRunPki({ clientSpiffeId: settings.clientSpiffeId, trustedCa: loaded.kind === 'ca' ? loaded.authority : 'none' });
  pki.prepare(templatesFor(settings, pki));
  const serverCaPem = serverCaFile ? readCaBundle(serverCaFile, '--server-ca') : undefined;
  log.info({ url, credentials: credentials.kind, spiffeId: settings.clientSpiffeId }, 'external target');
  const userCredential = loaded.kind === 'client' ? loaded.credential : undefined;
  return new RunSession(settings, pki, new Map([[target.protocol, target]]), serverCaPem, userCredential, [], pkiDir, log);
}
