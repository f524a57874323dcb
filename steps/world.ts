import { World, defineParameterType, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber';
import type { ConformanceCase } from '../src/catalogue/case.js';
import type { CaseProbe } from '../src/run/session.js';
import { protocolFromLabel, protocolLabels, type Protocol } from '../src/target/target.js';

/** Per-scenario state: which protocol, which case, what the probes saw. */
export class MtlsWorld extends World {
  protocol: Protocol | undefined;
  conformanceCase: ConformanceCase | undefined;
  probe: CaseProbe | undefined;
  control: CaseProbe | undefined;

  constructor(options: IWorldOptions) {
    super(options);
  }
}

setWorldConstructor(MtlsWorld);

defineParameterType({
  name: 'protocol',
  regexp: new RegExp(Object.values(protocolLabels).map((label) => label.replace('/', '\\/')).join('|')),
  transformer: (label: string): Protocol => protocolFromLabel(label),
});
