import { World, defineParameterType, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber';
import type { ConformanceCase } from '../src/catalogue/case.js';
import type { BracketedProbe, CaseProbe } from '../src/run/session.js';
import { targetKeyFromLabel, targetLabels, type TargetKey } from '../src/target/target.js';

/** Per-scenario state: which protocol, which case, what the probes saw. */
export class MtlsWorld extends World {
  /** Which of the run's targets: a protocol, or the pinned-clients server. */
  protocol: TargetKey | undefined;
  conformanceCase: ConformanceCase | undefined;
  /** The case's probe with the controls around it (client cases). */
  bracket: BracketedProbe | undefined;
  /** The control this scenario is read against: the one before the case, or the run's first (server cases). */
  control: CaseProbe | undefined;

  constructor(options: IWorldOptions) {
    super(options);
  }
}

setWorldConstructor(MtlsWorld);

defineParameterType({
  name: 'protocol',
  // Longest first, so "pinned HTTP/2" is not read as "HTTP/2".
  regexp: new RegExp(Object.values(targetLabels).sort((a, b) => b.length - a.length).map((label) => label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')),
  transformer: (label: string): TargetKey => targetKeyFromLabel(label),
});
