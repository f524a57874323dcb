import { createHash } from 'node:crypto';
import { appFactsOf, describeOutcome, formatAlert, type AppFacts, type TlsFacts } from '../probe/outcome.js';
import { targetLabels, type TargetKey } from '../target/target.js';
import { certificateSummaryRows, summarizeCertificate, type CertificateSummary } from './certificate-summary.js';
import { certificatePresentation, clientRunFacts, type ScenarioRecord } from './evidence.js';
import type { ResultStatus, ScenarioResult } from './results.js';
import type { RunResults } from './run-results.js';
import type { RootCause } from '../diagnosis/diagnose.js';

/**
 * reports/index.html: the page a newcomer opens first. Its one promise: on a
 * laptop screen, without scrolling, it says whether the target conforms and,
 * if not, which case failed on which target and why. Everything else (the
 * matrix, the SHOULD warnings, the evidence) comes below, one click away.
 *
 * One self-contained file: it is opened from disk, attached to CI runs and
 * mailed around, so it loads nothing. Every value in it comes from a target
 * (subjects, bodies, messages) or a user (URLs), so all of it is escaped.
 */
export function renderIndexPage(results: RunResults): string {
  const entries = indexEntries(results.scenarios);
  const verdict = withWaived(runVerdict(unwaivedTotals(results)), results.scenarios.filter((s) => s.waiver).length);
  // `mtlspec client` judges clients and runs no cucumber: no cucumber report to link to.
  const clientRun = results.targets.length > 0 && results.targets.every((t) => t.key === 'client');
  const body = html`
<header class="top">
  <h1>mtlspec ${clientRun ? 'client ' : ''}conformance report</h1>
  <p class="verdict verdict-${verdict.tone}" role="status">${verdict.text}</p>
  <nav class="links">Full reports: ${clientRun ? '' : html`<a href="conformance.html">cucumber report</a> · `}<a href="junit.xml">junit.xml</a> · <a href="results.json">results.json</a></nav>
</header>
${runFacts(results)}
${diagnosisBox(results.diagnosis ?? [])}
${failuresBox(entries)}
<div class="overview">
  ${matrix(entries, columnsOf(results, entries))}
  <div class="side">
    ${groupedList('warnings', 'Warnings (SHOULD)', 'The target did what the rule requires, but not what a SHOULD asks (most often: the wrong TLS alert, or none). --strict turns these into failures.', entries.filter((e) => e.result.status === 'warning'))}
    ${groupedList('findings', 'Findings', 'Not verdicts on a rule, but worth a look: the target stopped accepting connections right after this credential and did not come back, as if it crashed on this certificate (a denial of service).', entries.filter((e) => e.result.record?.verdict.finding !== undefined))}
    ${groupedList('waived', 'Waived', 'Failures the config file\'s waivers accept, each with its reason: still failures, listed here instead of failing the run. An expired waiver fails the run.', entries.filter((e) => e.result.waiver).map((e) => ({ ...e, result: { ...e.result, why: `waived: ${e.result.waiver?.reason ?? ''} (${e.result.status}: ${e.result.why})` } })))}
    ${groupedList('inconclusive', 'Inconclusive', 'Nothing can be said about these: the probe got no usable answer, the target shed it (load, rate, draining), the certificate could not be presented, or the valid control credential was refused before or after it.', entries.filter((e) => e.result.status === 'inconclusive'))}
  </div>
</div>
${evidenceSection(entries)}`;
  return page(`mtlspec: ${verdict.text}`, body);
}

/** The fragment a matrix cell links to; ids keep to [A-Za-z0-9-] so any CSS selector or URL takes them as they are. */
export function evidenceAnchor(caseId: string, target: string): string {
  return `ev-${slug(caseId)}--${slug(target)}`;
}

// ---------------------------------------------------------------------------
// Escaping: html`` escapes every interpolated value unless it is Markup that
// html`` itself produced, so forgetting to escape is not possible.

class Markup {
  constructor(readonly value: string) {}
}

type Fragment = Markup | string | number | undefined | false | readonly Fragment[];

function html(strings: TemplateStringsArray, ...values: Fragment[]): Markup {
  let out = strings[0] ?? '';
  values.forEach((value, i) => (out += render(value) + (strings[i + 1] ?? '')));
  return new Markup(out);
}

function render(value: Fragment): string {
  if (value instanceof Markup) return value.value;
  if (Array.isArray(value)) return value.map((v: Fragment) => render(v)).join('');
  if (value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c] ?? c);
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

// ---------------------------------------------------------------------------
// The scenarios, in the order the page shows them.

interface Entry {
  readonly result: ScenarioResult;
  readonly record: ScenarioRecord | undefined;
  readonly anchor: string;
}

/**
 * Scenarios ordered by case (catalogue order: the order cases first appear in
 * the results), with a unique anchor each. A scenario without a record (an
 * error) has no case id, so it is anchored by its position.
 */
function indexEntries(scenarios: readonly ScenarioResult[]): Entry[] {
  const used = new Set<string>();
  const unique = (anchor: string): string => {
    let candidate = anchor;
    for (let n = 2; used.has(candidate); n += 1) candidate = `${anchor}-${n}`;
    used.add(candidate);
    return candidate;
  };
  const entries = scenarios.map((result, index) => ({
    result,
    record: result.record,
    anchor: unique(result.record ? evidenceAnchor(result.record.caseId, result.record.protocol) : `ev-scenario-${index + 1}`),
  }));
  const caseOrder = new Map<string, number>();
  for (const group of caseGroups(entries)) for (const id of group.caseIds) caseOrder.set(id, caseOrder.size);
  const rank = (e: Entry): number => (e.record ? (caseOrder.get(e.record.caseId) ?? 0) : Number.MAX_SAFE_INTEGER);
  // Array.prototype.sort is stable: within a case, targets keep the run's order.
  return [...entries].sort((a, b) => rank(a) - rank(b));
}

interface CaseGroup {
  readonly name: string;
  readonly caseIds: string[];
}

/** Cases grouped by their first two path segments ("x509/chain"), groups and cases in order of first appearance. */
function caseGroups(entries: readonly Entry[]): CaseGroup[] {
  const groups = new Map<string, CaseGroup>();
  for (const { record } of entries) {
    if (!record) continue;
    const name = record.caseId.split('/').slice(0, 2).join('/');
    const group = groups.get(name) ?? { name, caseIds: [] };
    groups.set(name, group);
    if (!group.caseIds.includes(record.caseId)) group.caseIds.push(record.caseId);
  }
  return [...groups.values()];
}

/** The run's targets in their order, plus any a scenario names that the list missed. */
function columnsOf(results: RunResults, entries: readonly Entry[]): TargetKey[] {
  const keys = results.targets.map((t) => t.key);
  for (const { record } of entries) if (record && !keys.includes(record.protocol)) keys.push(record.protocol);
  return keys;
}

// ---------------------------------------------------------------------------
// Status vocabulary: colour is never the only signal, each status has words.

const statusOrder: readonly ResultStatus[] = ['passed', 'warning', 'failed', 'inconclusive', 'skipped', 'info', 'error'];

const totalLabels: Record<ResultStatus, string> = {
  passed: 'passed', warning: 'warnings', failed: 'failed', inconclusive: 'inconclusive', skipped: 'skipped', info: 'info', error: 'errors',
};

/** Short enough for a matrix cell, still a word. */
const cellLabels: Record<ResultStatus, string> = {
  passed: 'pass', warning: 'warn', failed: 'FAIL', inconclusive: 'inconcl.', skipped: 'skip', info: 'info', error: 'ERROR',
};

function badge(status: ResultStatus): Markup {
  return html`<span class="badge s-${status}">${cellLabels[status]}</span>`;
}

function targetLabel(key: string): string {
  return (targetLabels as Record<string, string>)[key] ?? key;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------
// Above the fold: the verdict, the run, the failures.

interface RunVerdict {
  readonly text: string;
  readonly tone: 'fail' | 'unsure' | 'pass';
}

function runVerdict(totals: RunResults['totals']): RunVerdict {
  const { failed, error, inconclusive, warning } = totals;
  if (failed + error > 0) {
    const parts = [failed > 0 ? plural(failed, 'failure', 'failures') : '', error > 0 ? plural(error, 'error', 'errors') : ''];
    return { text: parts.filter(Boolean).join(', '), tone: 'fail' };
  }
  if (inconclusive > 0) return { text: `no failures, but ${inconclusive} inconclusive`, tone: 'unsure' };
  return { text: `all MUST cases passed${warning > 0 ? ` (${plural(warning, 'SHOULD warning', 'SHOULD warnings')})` : ''}`, tone: 'pass' };
}

/** The totals the verdict line reads: a waived failure is listed apart, not counted as one. */
function unwaivedTotals(results: RunResults): RunResults['totals'] {
  const totals = { ...results.totals };
  for (const s of results.scenarios) if (s.waiver) totals[s.status] -= 1;
  return totals;
}

function withWaived(verdict: RunVerdict, waived: number): RunVerdict {
  return waived > 0 ? { ...verdict, text: `${verdict.text}; ${plural(waived, 'failure', 'failures')} waived` } : verdict;
}

function runFacts(results: RunResults): Markup {
  return html`
<section class="facts" aria-label="The run">
  <ul class="targets">${results.targets.map((t) => html`<li><b>${targetLabel(t.key)}</b> <code>${t.url}</code></li>`)}</ul>
  <p class="meta">
    <span>started ${formatTime(results.startedAt)}</span>
    <span>${results.tool.name} ${results.tool.version}</span>
    <span>wall time ${(results.wallMs / 1000).toFixed(2)} s</span>
    <span>strict: ${results.strict ? 'yes (SHOULD findings fail)' : 'no (SHOULD findings warn)'}</span>
    ${results.flaws.length > 0 ? html`<span class="flaws">deliberate server flaws: <b>${results.flaws.join(', ')}</b></span>` : ''}
  </p>
  <ul class="totals">${statusOrder.map((s) => html`<li class="s-${s}${results.totals[s] === 0 ? ' zero' : ''}"><b>${results.totals[s]}</b> ${totalLabels[s]}</li>`)}</ul>
</section>`;
}

function failuresBox(entries: readonly Entry[]): Markup {
  const failures = entries.filter((e) => (e.result.status === 'failed' || e.result.status === 'error') && !e.result.waiver);
  if (failures.length === 0) {
    return html`<section id="failures" class="failures none"><h2>Failures</h2><p>None: no case failed on any target.</p></section>`;
  }
  // A table, not a list: aligned columns let the eye run down the case ids and the targets.
  return html`
<section id="failures" class="failures" aria-labelledby="failures-title">
  <h2 id="failures-title">Failures (${failures.length}) <span class="explain">the target did not do what a MUST requires; click a case for its evidence</span></h2>
  <div class="scroll"><table>${failures.map(
    (e) => html`<tr><td>${badge(e.result.status)}</td><th scope="row"><a href="#${e.anchor}" title="${e.record?.title ?? ''}"><code class="case">${e.record?.caseId ?? e.result.name}</code></a></th><td class="target">${e.record ? targetLabel(e.record.protocol) : ''}</td><td class="why">${e.result.why}</td></tr>`,
  )}</table></div>
</section>`;
}

/**
 * The root causes, above the failures: what to fix first, the evidence, and
 * the setting per server. Absent when no cause was found (a clean run, or
 * failures no rule explains: the failures box below lists them).
 */
function diagnosisBox(diagnosis: readonly RootCause[]): Markup {
  if (diagnosis.length === 0) return html``;
  return html`
<section id="diagnosis" class="diagnosis" aria-labelledby="diagnosis-title">
  <h2 id="diagnosis-title">Diagnosis (${plural(diagnosis.length, 'root cause', 'root causes')}) <span class="explain">the failures below, grouped by what most likely causes them; "likely" is an inference from which cases were accepted and refused</span></h2>
  <ol>${diagnosis.map(
    (cause) => html`<li data-cause="${cause.cause}"><p class="cause"><b>${cause.title}</b> <span class="certainty">${cause.certainty}; on ${cause.targets.map(targetLabel).join(', ')}</span></p>
<p class="evidence-line">Evidence: ${cause.evidence}</p>
<details><summary>How to fix it (${plural(cause.hints.length, 'server', 'servers')})</summary><dl class="kv">${cause.hints.map((hint) => html`<dt>${hint.server}</dt><dd>${withCode(hint.setting)}</dd>`)}</dl></details></li>`,
  )}</ol>
</section>`;
}

/** Hints mark settings with backticks; they become <code>, everything escaped. */
function withCode(text: string): Fragment[] {
  return text.split('`').map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part));
}

// ---------------------------------------------------------------------------
// The matrix and the lists beside it.

function matrix(entries: readonly Entry[], columns: readonly TargetKey[]): Markup {
  const cells = new Map<string, Entry>();
  for (const e of entries) if (e.record && !cells.has(`${e.record.caseId} ${e.record.protocol}`)) cells.set(`${e.record.caseId} ${e.record.protocol}`, e);
  const cell = (caseId: string, column: TargetKey): Markup => {
    const e = cells.get(`${caseId} ${column}`);
    if (!e) return html`<td class="cell absent" title="${`${caseId} is not run on ${targetLabel(column)}`}"></td>`;
    const status = e.result.status;
    return html`<td class="cell s-${status}"><a href="#${e.anchor}" title="${`${status}: ${e.result.why}`}" data-case="${caseId}" data-target="${column}" data-status="${status}">${cellLabels[status]}</a></td>`;
  };
  const titles = new Map<string, string>();
  for (const e of entries) if (e.record) titles.set(e.record.caseId, e.record.title);
  const failing = new Set(entries.filter((e) => e.result.status === 'failed' || e.result.status === 'error').map((e) => e.record?.caseId));
  return html`
<section class="matrix-box" aria-labelledby="matrix-title">
  <h2 id="matrix-title">Every case on every target</h2>
  <table class="matrix">
    <thead><tr><th scope="col">case <span class="hint">(click a cell for its evidence)</span></th>${columns.map((c) => html`<th scope="col">${targetLabel(c)}</th>`)}</tr></thead>
    ${caseGroups(entries).map(
      (group) => html`<tbody>
      <tr class="group"><th scope="rowgroup" colspan="${columns.length + 1}">${group.name}</th></tr>
      ${group.caseIds.map((id) => html`<tr><th scope="row" title="${titles.get(id) ?? ''}"${failing.has(id) ? html` class="failing"` : ''}><code>${id}</code></th>${columns.map((c) => cell(id, c))}</tr>`)}
    </tbody>`,
    )}
  </table>
</section>`;
}

/**
 * Findings of one status, one line per case: the same SHOULD miss usually
 * shows on every target with the same reason, and fifty near-identical lines
 * would hide the few that differ.
 */
function groupedList(id: string, title: string, explanation: string, found: readonly Entry[]): Markup {
  if (found.length === 0) return html``;
  const lines = new Map<string, Entry[]>();
  for (const e of found) {
    const key = `${e.record?.caseId ?? e.result.name}\n${e.result.why}`;
    lines.set(key, [...(lines.get(key) ?? []), e]);
  }
  return html`
<section id="${id}" class="listing ${id}" aria-labelledby="${id}-title">
  <h2 id="${id}-title">${title} (${found.length})</h2>
  <p class="explain">${explanation}</p>
  <ul>${[...lines.values()].map((group) => {
    const first = group[0];
    if (!first) return '';
    const targets = group.map((e) => html`<a href="#${e.anchor}">${e.record ? targetLabel(e.record.protocol) : 'evidence'}</a>`);
    return html`<li><code>${first.record?.caseId ?? first.result.name}</code> on ${joinMarkup(targets, ', ')}: <span class="why">${first.result.why}</span></li>`;
  })}</ul>
</section>`;
}

function joinMarkup(items: readonly Markup[], separator: string): Fragment[] {
  return items.flatMap((item, i) => (i === 0 ? [item] : [separator, item]));
}

// ---------------------------------------------------------------------------
// Evidence: one closed <details> per scenario (failures open), so the page
// stays short and a matrix link lands on exactly one.

function evidenceSection(entries: readonly Entry[]): Markup {
  return html`
<section class="evidence" aria-labelledby="evidence-title">
  <h2 id="evidence-title">Evidence</h2>
  <p class="explain">One entry per scenario: what was expected and observed, the TLS and application facts, and the client certificate presented (public material only; no key is ever written to a report).</p>
  ${entries.map(evidenceEntry)}
</section>`;
}

function evidenceEntry(e: Entry): Markup {
  const status = e.result.status;
  const open = status === 'failed' || status === 'error';
  const r = e.record;
  if (!r) {
    return html`<details id="${e.anchor}" class="ev ev-${status}"${open ? html` open` : ''}><summary>${badge(status)} <span class="case">${e.result.name}</span></summary>
<div class="ev-body"><p class="why"><b>Why:</b> ${e.result.why}</p><p>No verdict record was attached to this scenario, so there is no evidence to show.</p></div></details>`;
  }
  const v = r.verdict;
  return html`<details id="${e.anchor}" class="ev ev-${status}"${open ? html` open` : ''}>
<summary>${badge(status)} <code class="case">${r.caseId}</code> on <b>${targetLabel(r.protocol)}</b> <span class="title">${r.title}</span></summary>
<div class="ev-body">
  <p class="sentence"><b>Expected:</b> ${v.expected}; <b>observed:</b> ${v.observed}.</p>
  <p class="why"><b>Why:</b> ${e.result.why}</p>
  <dl class="kv">
    <dt>rule</dt><dd>${r.rule} (${r.level})</dd>
    <dt>target</dt><dd><code>${r.target}</code></dd>
    ${v.alert ? html`<dt>TLS alert</dt><dd>expected ${v.alert.expected.join(' or ')}; ${alertVerdict(v.alert)}</dd>` : ''}
    <dt>scenario</dt><dd>${e.result.name} (${e.result.durationMs} ms)</dd>
  </dl>
  ${probeSections(r)}
</div>
</details>`;
}

function alertVerdict(alert: NonNullable<ScenarioRecord['verdict']['alert']>): string {
  if (!alert.observed) return 'observed none';
  return `observed ${alert.observed} ${alert.matches ? '(one the RFC names)' : '(not one the RFC names)'}`;
}

type ProbeEvidence = NonNullable<ScenarioRecord['probe']>;

/**
 * A client case: its probe, with the control one click away. A server case
 * made no probe of its own: its evidence is the control connection and the
 * server certificate it saw, so those are shown open.
 */
function probeSections(r: ScenarioRecord): Markup {
  if (!r.probe) {
    if (!r.control) return html`<p class="explain">No connection was made for this case.</p>`;
    return probeFacts(`The connection the rule was checked on: ${describeOutcome(r.control.outcome)}`, r.control, { serverCertificate: true });
  }
  return html`${probeFacts(`The probe: the case’s credential${attemptsNote(r.probe)}`, r.probe)}
  ${r.clientRun ? html`<div class="probe"><h3>The client under test</h3><pre class="body">${clientRunFacts(r.clientRun).map((line) => line.trim()).join('\n')}</pre></div>` : ''}
  ${r.repeat ? probeFacts(`The probe again, right after a refusal without a signal (which counts only when it repeats): ${describeOutcome(r.repeat.outcome)}${attemptsNote(r.repeat)}`, r.repeat) : ''}
  ${r.control ? html`<details class="control"><summary>The control before: the valid credential on the same target</summary>${probeFacts(`The control before: ${describeOutcome(r.control.outcome)}${attemptsNote(r.control)}`, r.control)}</details>` : ''}
  ${r.controlAfter ? html`<details class="control"><summary>The control after: the valid credential again, on a fresh connection, right after the refusal</summary>${probeFacts(`The control after: ${describeOutcome(r.controlAfter.outcome)}${attemptsNote(r.controlAfter)}`, r.controlAfter)}</details>` : ''}`;
}

/** " (3 attempts: the target shed the first 2)"; nothing for one attempt (and records written before attempts were counted). */
function attemptsNote(probe: ProbeEvidence): string {
  const attempts = probe.attempts ?? 1;
  return attempts > 1 ? ` (${attempts} attempts: the target shed the first ${attempts - 1})` : '';
}

function probeFacts(title: string, probe: ProbeEvidence, show: { serverCertificate?: boolean } = {}): Markup {
  const outcome = probe.outcome;
  return html`
<div class="probe">
  <h3>${title}</h3>
  <div class="columns">
    <div><h4>TLS</h4>${tlsFacts(outcome.tls)}</div>
    ${show.serverCertificate ? html`<div><h4>Server certificate</h4>${serverCertificateFacts(outcome.tls.server)}</div>` : html`<div><h4>Application</h4>${appFacts(appFactsOf(outcome))}</div>`}
    ${probe.serverCertificate
      ? html`<div><h4>Server certificate presented</h4>${certificateFacts(probe.serverCertificate)}</div>`
      : html`<div><h4>Client certificate</h4>${probe.clientCertificate ? certificateFacts(probe.clientCertificate) : html`<p>none presented</p>`}</div>`}
  </div>
  ${connectionList(probe)}
</div>`;
}

/** With --repeat: each connection and the server certificate that answered it, which tells the backends apart. */
function connectionList(probe: ProbeEvidence): Markup {
  const connections = probe.connections ?? [];
  if (connections.length <= 1) return html``;
  return html`<ol class="connections">${connections.map((c) => html`<li>${c.kind}: ${c.detail}; server certificate <code>${c.serverCertificate ?? 'not seen'}</code></li>`)}</ol>`;
}

function serverCertificateFacts(server: TlsFacts['server']): Markup {
  if (!server) return html`<p>none seen</p>`;
  try {
    return certificateFacts(summarizeCertificate(server.certificatePem));
  } catch (error) {
    // The PEM came from the target: a certificate Node cannot parse is a fact to show, not a reason to lose the page.
    return html`<p>could not be read: ${error instanceof Error ? error.message : String(error)}</p>`;
  }
}


const closers: Record<NonNullable<TlsFacts['closedBy']>, string> = {
  server: 'the server', client: 'mtlspec (the client)', timeout: 'the clock (timeout)', 'client-under-test': 'the client under test',
};

function tlsFacts(tls: TlsFacts): Markup {
  const t = tls.timings;
  const timings = [
    t.tcpConnectMs !== undefined ? `TCP connect ${t.tcpConnectMs} ms` : '',
    t.handshakeMs !== undefined ? `handshake ${t.handshakeMs} ms` : '',
    t.firstResponseMs !== undefined ? `first response ${t.firstResponseMs} ms` : '',
    `total ${t.totalMs} ms`,
  ].filter(Boolean);
  const server = tls.server;
  return keyValues([
    ['version', tls.version],
    ['cipher', tls.cipher],
    ['ALPN', tls.alpn === false ? 'none chosen' : tls.alpn],
    ['alert', tls.alert ? formatAlert(tls.alert) : 'none'],
    ['closed by', tls.closedBy ? closers[tls.closedBy] : undefined],
    ['error code', tls.errorCode],
    ['client certificate', tls.client ? certificatePresentation(tls.client) : undefined],
    ['timings', timings.join(' · ')],
    ['server chain', server ? (server.chainVerified ? 'verified' : `not verified${server.chainError ? ` (${server.chainError})` : ''}`) : undefined],
    ['server name', server ? (server.nameMatches ? 'matches' : `does not match${server.nameError ? ` (${server.nameError})` : ''}`) : undefined],
  ]);
}

function appFacts(app: AppFacts | undefined): Markup {
  if (!app) return html`<p>no application answer</p>`;
  const grpc = app.grpcStatus !== undefined ? `${app.grpcStatusName ?? 'status'} (${app.grpcStatus})` : undefined;
  return html`${keyValues([
    ['protocol', app.protocol],
    ['HTTP version', app.httpVersion],
    ['acceptance rests on', app.acceptedOn?.replace('-', ' ')],
    ['HTTP status', app.httpStatus !== undefined ? String(app.httpStatus) : undefined],
    ['gRPC status', grpc],
    ['gRPC message', app.grpcMessage],
    ['content-type', app.contentType],
    ['stream reset', app.streamError],
    ['GOAWAY', app.goaway ? `${app.goaway.errorCode} (last stream ${app.goaway.lastStreamId})` : undefined],
    ['Retry-After', app.retryAfterMs !== undefined ? `${app.retryAfterMs} ms` : undefined],
    ['body', app.bodyTruncated ? 'cut at its size or time bound: the status had decided' : undefined],
  ])}${app.bodyExcerpt !== undefined ? html`<p class="label">body excerpt</p><pre class="body">${app.bodyExcerpt}</pre>` : ''}`;
}

function certificateFacts(cert: CertificateSummary): Markup {
  return keyValues(certificateSummaryRows(cert));
}

/** Rows with no value are left out rather than shown empty. */
function keyValues(rows: ReadonlyArray<readonly [string, string | undefined]>): Markup {
  const shown = rows.filter((row): row is readonly [string, string] => row[1] !== undefined && row[1] !== '');
  return html`<dl class="kv">${shown.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} UTC`;
}

// ---------------------------------------------------------------------------
// The document around it.

/**
 * Opens the evidence a link points at: a fragment only scrolls to a closed
 * <details>, leaving the reader at a one-line summary. Without script the
 * summary is still there to click.
 */
const openTargetScript = `(function () {
  function openTarget() {
    var el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (el && el.tagName === 'DETAILS') { el.open = true; el.scrollIntoView(); }
  }
  addEventListener('hashchange', openTarget);
  openTarget();
})();`;

function page(title: string, body: Markup): string {
  return selfContainedPage(title, body.value, styles, openTargetScript);
}

/**
 * A page that loads nothing: opened from disk, attached to CI runs, mailed
 * around. Its policy lets only its own style and script run: should escaping
 * ever miss a value, markup injected by a target still cannot load or run anything.
 */
export function selfContainedPage(title: string, bodyHtml: string, css: string, script: string): string {
  const scriptHash = createHash('sha256').update(script).digest('base64');
  const policy = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(policy)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body>
${bodyHtml}
<script>${script}</script>
</body>
</html>
`;
}

const styles = `
:root { --pass: #1a7f37; --pass-bg: #dafbe1; --warn: #7d4e00; --warn-bg: #fff1b8; --fail: #fff; --fail-bg: #cf222e;
  --unsure: #24292f; --unsure-bg: #d0d7de; --info: #0550ae; --info-bg: #ddf4ff; --error: #fff; --error-bg: #82071e;
  --line: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 10px 20px 40px; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 6px; }
h3 { font-size: 13px; margin: 10px 0 4px; }
h4 { font-size: 12px; margin: 0 0 4px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
a { color: #0969da; }
.top { display: flex; align-items: baseline; gap: 18px; flex-wrap: wrap; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
.verdict { margin: 0; font-size: 20px; font-weight: 700; }
.verdict-fail { color: #cf222e; }
.verdict-unsure { color: #57606a; }
.verdict-pass { color: var(--pass); }
.links { margin-left: auto; font-size: 13px; }
.facts { margin: 6px 0 10px; font-size: 13px; }
.targets { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 2px 18px; }
.targets code { word-break: break-all; }
.meta { margin: 2px 0 6px; color: var(--muted); display: flex; flex-wrap: wrap; gap: 0 16px; }
.flaws { color: #8250df; }
.totals { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }
.totals li { padding: 1px 9px; border-radius: 10px; }
.totals li.zero { background: #f6f8fa; color: var(--muted); }
.s-passed { background: var(--pass-bg); color: var(--pass); }
.s-warning { background: var(--warn-bg); color: var(--warn); }
.s-failed { background: var(--fail-bg); color: var(--fail); }
.s-inconclusive { background: var(--unsure-bg); color: var(--unsure); }
.s-skipped { background: repeating-linear-gradient(135deg, #f6f8fa 0 5px, #e6e9ec 5px 10px); color: var(--muted); }
.s-info { background: var(--info-bg); color: var(--info); }
.s-error { background: var(--error-bg); color: var(--error); }
.badge { display: inline-block; min-width: 4.6em; text-align: center; padding: 0 5px; border-radius: 3px; font-size: 11.5px; font-weight: 700; }
.diagnosis { border: 2px solid #8250df; border-radius: 6px; padding: 8px 12px; margin-bottom: 12px; background: #fbf8ff; }
.diagnosis h2 .explain { font-weight: 400; margin-left: 6px; }
.diagnosis ol { margin: 0; padding-left: 20px; }
.diagnosis li { margin: 4px 0; }
.diagnosis p { margin: 0; }
.diagnosis .certainty { color: var(--muted); font-size: 12.5px; }
.diagnosis details > summary { cursor: pointer; color: #0969da; font-size: 13px; }
.failures { border: 2px solid #cf222e; border-radius: 6px; padding: 8px 12px; margin-bottom: 12px; background: #fff5f5; }
.failures.none { border-color: var(--pass); background: #f3fbf5; }
.failures.none p { margin: 0; }
.failures h2 .explain { font-weight: 400; margin-left: 6px; }
.failures .scroll { max-height: 16em; overflow-y: auto; }
.failures table { border-collapse: collapse; width: 100%; }
.failures td, .failures th { padding: 2px 10px 2px 0; border-top: 1px solid #f3d4d6; text-align: left; vertical-align: baseline; }
.failures tr:first-child > * { border-top: 0; }
.failures th { white-space: nowrap; }
.failures th a { color: #1f2328; }
.failures .case { font-weight: 700; font-size: 13.5px; }
.failures .target { white-space: nowrap; font-weight: 700; }
.failures .why { width: 100%; }
.overview { display: grid; grid-template-columns: minmax(0, 11fr) minmax(0, 9fr); gap: 20px; align-items: start; }
@media (max-width: 900px) { .overview { grid-template-columns: 1fr; } }
.matrix { border-collapse: collapse; width: 100%; font-size: 12.5px; }
.matrix th, .matrix td { border: 1px solid var(--line); padding: 1px 6px; }
.matrix thead th { background: #f6f8fa; text-align: center; position: sticky; top: 0; white-space: nowrap; }
.matrix thead th:first-child { text-align: left; }
.matrix .hint { font-weight: 400; color: var(--muted); }
.matrix tbody th { text-align: left; font-weight: 400; }
.matrix th.failing code { color: #cf222e; font-weight: 700; }
.matrix tr.group th { background: #f6f8fa; font-weight: 700; padding-top: 3px; }
.cell { text-align: center; width: 5.4em; padding: 0 !important; }
.cell a { display: block; padding: 1px 4px; color: inherit; text-decoration: none; font-weight: 600; }
.cell a:hover, .cell a:focus { outline: 2px solid #0969da; outline-offset: -2px; }
.cell.absent { background: #fff; }
.listing { margin-bottom: 14px; }
.listing ul { margin: 0; padding-left: 18px; font-size: 13px; }
.listing li { margin: 2px 0; }
.warnings h2 { color: var(--warn); }
.explain { margin: 0 0 6px; color: var(--muted); font-size: 12.5px; }
.evidence { margin-top: 24px; border-top: 1px solid var(--line); padding-top: 10px; }
.ev { border: 1px solid var(--line); border-radius: 5px; margin: 4px 0; background: #fff; color: #1f2328; }
.ev > summary { cursor: pointer; padding: 3px 8px; }
.ev > summary .title { color: var(--muted); }
.ev[open] > summary { border-bottom: 1px solid var(--line); background: #f6f8fa; }
.ev:target { outline: 3px solid #0969da; }
.ev-failed, .ev-error { border-left: 6px solid #cf222e; }
.ev-warning { border-left: 6px solid #d4a72c; }
.ev-body { padding: 6px 12px 10px; }
.sentence { margin: 2px 0; font-size: 14px; }
.why { margin: 2px 0; }
.kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 1px 10px; margin: 4px 0; font-size: 12.5px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; overflow-wrap: anywhere; }
.columns { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 900px) { .columns { grid-template-columns: 1fr; } }
.label { margin: 4px 0 0; color: var(--muted); font-size: 12.5px; }
pre.body { margin: 2px 0; padding: 4px 6px; background: #f6f8fa; border: 1px solid var(--line); white-space: pre-wrap; overflow-wrap: anywhere; max-height: 12em; overflow: auto; }
.control { margin-top: 6px; }
.probe h3 { overflow-wrap: anywhere; }
.control > summary { cursor: pointer; color: var(--muted); }
`;
