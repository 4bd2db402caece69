// The diff view: the capture run through the ruleset above and the new
// one, and the connections whose packets would meet another verdict, with
// what decided them under each, as `nftwasm diff` reports them.
import { diffRulesets, memoryReader, type DiffResult, type FlowChange, type Ruleset } from '../src/browser.js';
import { deciderText, flowText, summaryText } from '../src/output/diff-format.js';

export async function runDiff(oldRuleset: Ruleset, newRuleset: Ruleset, capture: Uint8Array, local: string[]): Promise<DiffResult> {
  // A fresh reader of the bytes in memory for each of the two runs.
  return diffRulesets(oldRuleset, newRuleset, () => memoryReader(capture), { local });
}

// label: the column's heading, which narrow screens show in the cell.
function cell(text: string, className: string, label?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  td.className = className;
  if (label) td.dataset.label = label;
  return td;
}

function side(s: FlowChange['old']): string {
  return `${s.accepted} accepted, ${s.dropped} dropped; ${deciderText(s.decided)}`;
}


export function showDiff(body: HTMLTableSectionElement, result: DiffResult): string {
  body.replaceChildren(...result.changes.map((c) => {
    const tr = document.createElement('tr');
    tr.dataset.firstPacket = String(c.firstPacket);
    const now = c.now;
    tr.dataset.now = now;
    tr.append(
      cell(flowText(c.flow), 'flow'),
      cell(`${c.changedPackets} of ${c.packets} packets, from #${c.firstPacket}`, 'num', 'Changed'),
      cell(now === 'both' ? 'both ways' : `now ${now}`, `verdict ${now === 'dropped' ? 'drop' : now === 'accepted' ? 'accept' : ''}`),
      cell(side(c.old), 'side', 'Old'),
      cell(side(c.new), 'side', 'New'),
    );
    return tr;
  }));
  return summaryText(result).trimEnd();
}
