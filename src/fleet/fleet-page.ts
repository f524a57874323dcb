import { escapeHtml, selfContainedPage } from '../report/index-page.js';
import type { ResultStatus } from '../report/results.js';
import type { FleetResults, FleetScenario, FleetTargetResult, TargetVerdict } from './fleet-results.js';

/**
 * index.html of a fleet: one line per target and one column per case group
 * (x509/validity, tls/version, ...), each cell the worst verdict of the
 * group's cases on that target; each target's name opens its own report
 * (the single-run page, in its folder). A filter box narrows the rows by
 * name, owner or tag. Self-contained and escaped like the single-run page:
 * names, owners and tags come from the inventory, reasons from targets.
 */
export function renderFleetPage(results: FleetResults): string {
  const groups = caseGroups(results.targets);
  const rows = results.targets.map((target) => row(target, groups)).join('\n');
  const v = results.verdicts;
  const headline = `${results.targets.length} targets: ${v.passed} passed, ${v.failed} failed, ${v.inconclusive} inconclusive, ${v.error} error`;
  const scope = results.shard ? `shard ${results.shard.index}/${results.shard.count} of ` : results.mergedFrom ? `merged from ${results.mergedFrom.length} shards of ` : '';
  const body = `
<header>
  <h1>mtlspec fleet report</h1>
  <p class="verdict verdict-${tone(results)}" role="status">${escapeHtml(headline)}</p>
  <p class="facts">${escapeHtml(`${scope}inventory ${results.inventory.file} (${results.inventory.targets} targets), started ${results.startedAt}, ${(results.wallMs / 1000).toFixed(1)} s, exit code ${results.exitCode}`)}
    · <a href="junit.xml">junit.xml</a> · <a href="results.json">results.json</a></p>
  <label>Filter by name, owner or tag: <input id="filter" type="search" placeholder="e.g. payments or team:core" autocomplete="off"></label>
  <span id="shown"></span>
</header>
<table class="matrix">
<thead><tr><th>target</th><th>owner</th><th>tags</th><th>verdict</th>${groups.map((g) => `<th class="group"><span>${escapeHtml(g)}</span></th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p class="legend">Each column is a folder of cases; each cell the worst verdict among its cases on that target (failed, error, inconclusive, warning, passed, info, skipped), with how many of them have it (all passed: "N ok"); hover for each case. A target with no cells could not be judged; its reason is under its name.</p>`;
  return selfContainedPage(`mtlspec fleet: ${headline}`, body, styles, filterScript);
}

/** A case's folder: x509/validity/expired -> x509/validity, spiffe/wrong-id -> spiffe. The matrix's columns. */
export function caseGroup(caseId: string): string {
  return caseId.split('/').slice(0, -1).join('/') || caseId;
}

function caseGroups(targets: readonly FleetTargetResult[]): string[] {
  return [...new Set(targets.flatMap((t) => t.scenarios.map((s) => caseGroup(s.caseId))))].sort();
}

const worstFirst: readonly ResultStatus[] = ['failed', 'error', 'inconclusive', 'warning', 'passed', 'info', 'skipped'];

function row(target: FleetTargetResult, groups: readonly string[]): string {
  const search = [target.name, target.owner ?? '', ...target.tags, target.url].join(' ').toLowerCase();
  const cells = groups.map((group) => cell(target.scenarios.filter((s) => caseGroup(s.caseId) === group)));
  return `<tr data-search="${escapeHtml(search)}">
  <td class="name"><a href="${escapeHtml(`${target.dir}/index.html`)}">${escapeHtml(target.name)}</a><div class="url">${escapeHtml(target.url)}</div><div class="reason">${escapeHtml(target.reason)}</div></td>
  <td>${escapeHtml(target.owner ?? '')}</td>
  <td>${target.tags.map((tag) => `<span class="tag">${escapeHtml(tag)}</span>`).join(' ')}</td>
  <td class="v v-${target.verdict}">${escapeHtml(target.verdict)}</td>
  ${cells.join('')}
</tr>`;
}

function cell(scenarios: readonly FleetScenario[]): string {
  if (scenarios.length === 0) return '<td class="c"></td>';
  const worst = worstFirst.find((status) => scenarios.some((s) => s.status === status)) ?? 'skipped';
  const count = scenarios.filter((s) => s.status === worst).length;
  const title = scenarios.map((s) => `${s.caseId}: ${s.status}`).join('\n');
  const text = worst === 'passed' ? `${count} ok` : `${worst} ${count}/${scenarios.length}`;
  return `<td class="c s-${worst}" title="${escapeHtml(title)}">${escapeHtml(text)}</td>`;
}

function tone(results: FleetResults): 'pass' | 'fail' | 'unsure' {
  if (results.verdicts.failed > 0 || results.verdicts.error > 0) return 'fail';
  return results.verdicts.inconclusive > 0 ? 'unsure' : 'pass';
}

const filterScript = `(function () {
  var input = document.getElementById('filter');
  var shown = document.getElementById('shown');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tbody tr'));
  function apply() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute('data-search') || '';
      var match = words.every(function (word) { return text.indexOf(word) >= 0; });
      row.hidden = !match;
      if (match) count++;
    });
    shown.textContent = count + ' of ' + rows.length + ' targets';
  }
  input.addEventListener('input', apply);
  apply();
})();`;

const verdictColors: Record<TargetVerdict, string> = { passed: '#1a7f37', failed: '#cf222e', inconclusive: '#57606a', error: '#82071e' };

const styles = `
body { margin: 0 auto; padding: 10px 20px 40px; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; }
h1 { font-size: 18px; margin: 0; }
a { color: #0969da; }
.verdict { font-size: 20px; font-weight: 700; margin: 4px 0; }
.verdict-pass { color: #1a7f37; } .verdict-fail { color: #cf222e; } .verdict-unsure { color: #57606a; }
.facts, .legend, .url, .reason { color: #57606a; font-size: 12.5px; }
input { font: inherit; padding: 3px 6px; width: 22em; }
table.matrix { border-collapse: collapse; margin-top: 10px; }
.matrix th, .matrix td { border: 1px solid #d0d7de; padding: 3px 6px; vertical-align: top; }
.matrix th.group { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 500; font-size: 12px; }
.matrix td.c { text-align: center; font-size: 12px; white-space: nowrap; }
.tag { background: #ddf4ff; color: #0550ae; border-radius: 8px; padding: 0 6px; font-size: 12px; }
${Object.entries(verdictColors).map(([verdict, color]) => `.v-${verdict} { color: ${color}; font-weight: 600; }`).join('\n')}
.s-passed { background: #dafbe1; } .s-warning { background: #fff1b8; } .s-failed { background: #cf222e; color: #fff; }
.s-error { background: #82071e; color: #fff; } .s-inconclusive { background: #d0d7de; } .s-info { background: #ddf4ff; } .s-skipped { color: #57606a; }
`;
