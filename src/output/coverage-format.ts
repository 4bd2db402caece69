// Coverage as people read it: the listing with each rule's counts beside
// its handle, then the rules that never matched, by kind; and as one JSON
// object for programs.
import type { CoverageSummary, RuleCoverage } from '../coverage.js';

function counts(r: RuleCoverage): string {
  return `reached ${r.reached}, matched ${r.matched}${r.shadowed ? `, ${r.shadowed} more decided earlier` : ''}`;
}

// The listing's lines (printed with handles), each rule's with its counts
// after its handle and its coverage beside it.
export function coverageLines(listing: string, rules: readonly RuleCoverage[]): { text: string; rule?: RuleCoverage }[] {
  const byRule = new Map(rules.map((r) => [`${r.family} ${r.table} ${r.handle}`, r]));
  let table = '';
  return listing.split('\n').map((line) => {
    const t = line.match(/^table (\S+) (\S+) \{/);
    if (t) table = `${t[1]} ${t[2]}`;
    const h = line.match(/^\t\t.* # handle (\d+)$/);
    const r = h ? byRule.get(`${table} ${h[1]}`) : undefined;
    return r ? { text: `${line}: ${counts(r)}`, rule: r } : { text: line };
  });
}

export function coverageListing(listing: string, rules: readonly RuleCoverage[]): string {
  return coverageLines(listing, rules).map((l) => l.text).join('\n');
}

function where(r: RuleCoverage): string {
  return `${r.family} ${r.table} ${r.chain} handle ${r.handle}: ${r.rule}`;
}

export function coverageSummaryText(s: CoverageSummary): string {
  const lines = [`coverage: ${s.rules} rules; ${s.shadowed.length} shadowed, ${s.unreached.length} reached by no packet, ${s.neverMatched.length} reached but never matched`];
  for (const r of s.shadowed) lines.push(`  shadowed: ${where(r)} (${r.shadowed} packets that would match it were decided by earlier rules)`);
  for (const r of s.unreached) lines.push(`  reached by no packet: ${where(r)}`);
  for (const r of s.neverMatched) lines.push(`  never matched: ${where(r)} (reached by ${r.reached})`);
  return `${lines.join('\n')}\n`;
}

export function coverageJson(rules: readonly RuleCoverage[], s: CoverageSummary): string {
  const handles = (list: RuleCoverage[]) => list.map((r) => ({ family: r.family, table: r.table, chain: r.chain, handle: r.handle }));
  return JSON.stringify({
    type: 'coverage',
    rules,
    summary: { rules: s.rules, shadowed: handles(s.shadowed), unreached: handles(s.unreached), never_matched: handles(s.neverMatched) },
  });
}
