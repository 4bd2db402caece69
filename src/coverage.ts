// Rule coverage over a run, as the data plane counted it
// (assembly/coverage.ts), and what it says about the ruleset: rules no
// packet reached, rules reached but never matched, and rules shadowed
// (every packet that would have matched them was decided by an earlier
// rule).
import { CoverageRecord } from '../assembly/abi.js';
import type { Ruleset } from '../compiler/index.js';
import type { Engine } from './engine.js';
import { ruleTexts } from './rule-text.js';

export interface RuleCoverage {
  family: string;
  table: string;
  chain: string;
  handle: number;
  rule: string;
  reached: number;
  matched: number;
  // Packets that would have matched it, decided by an earlier rule.
  shadowed: number;
}

export interface CoverageSummary {
  rules: number;
  // Matched by no packet, though packets that would match were decided first.
  shadowed: RuleCoverage[];
  // Reached by no packet, and no packet would have matched.
  unreached: RuleCoverage[];
  // Reached, and matched by none of them.
  neverMatched: RuleCoverage[];
}

export function readCoverage(ruleset: Ruleset, engine: Engine, hiddenTable?: string): RuleCoverage[] {
  const ex = engine.exports;
  const count = ex.coverageCount();
  if (count === 0) return [];
  const view = engine.view(ex.coverageRecords(), count * CoverageRecord.Size);
  const texts = ruleTexts(ruleset);
  const out: RuleCoverage[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * CoverageRecord.Size;
    const chain = ruleset.chains[view.getUint32(at + CoverageRecord.Chain, true)]!;
    if (chain.table === hiddenTable) continue;
    const handle = view.getUint32(at + CoverageRecord.Handle, true);
    out.push({
      family: chain.family,
      table: chain.table,
      chain: chain.name,
      handle,
      rule: texts.get(`${chain.family} ${chain.table} ${handle}`) ?? '',
      reached: Number(view.getBigUint64(at + CoverageRecord.Reached, true)),
      matched: Number(view.getBigUint64(at + CoverageRecord.Matched, true)),
      shadowed: Number(view.getBigUint64(at + CoverageRecord.Shadowed, true)),
    });
  }
  return out;
}

export function summarizeCoverage(rules: readonly RuleCoverage[]): CoverageSummary {
  const s: CoverageSummary = { rules: rules.length, shadowed: [], unreached: [], neverMatched: [] };
  for (const r of rules) {
    if (r.matched > 0) continue;
    if (r.shadowed > 0) s.shadowed.push(r);
    else if (r.reached === 0) s.unreached.push(r);
    else s.neverMatched.push(r);
  }
  return s;
}
