// The coverage view: the listing as `filter --coverage` prints it, each
// rule's line marked by what the capture made of it (matched, shadowed,
// reached by no packet, reached but never matched), the summary under it.
import { summarizeCoverage, type RuleCoverage } from '../src/browser.js';
import { coverageLines, coverageSummaryText } from '../src/output/coverage-format.js';
import { escapeHtml } from './html.js';

export function coverageHtml(listing: string, rules: readonly RuleCoverage[]): string {
  const summary = summarizeCoverage(rules);
  const kind = new Map<RuleCoverage, string>([
    ...summary.shadowed.map((r) => [r, 'shadowed'] as const),
    ...summary.unreached.map((r) => [r, 'unreached'] as const),
    ...summary.neverMatched.map((r) => [r, 'never'] as const),
  ]);
  const lines = coverageLines(listing, rules).map(({ text, rule }) => {
    if (!rule) return escapeHtml(text);
    const at = text.lastIndexOf(': reached ');
    return `<span class="cov ${kind.get(rule) ?? 'matched'}" data-handle="${rule.handle}">${escapeHtml(text.slice(0, at))}<span class="counts">${escapeHtml(text.slice(at))}</span></span>`;
  });
  const [head, ...rest] = coverageSummaryText(summary).split('\n');
  return `${lines.join('\n')}<span class="cov-summary">${escapeHtml(head!)}</span>\n${rest.map(escapeHtml).join('\n')}`;
}
