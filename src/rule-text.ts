// Each rule's text as `nft list ruleset` prints it, by table and handle
// ("inet filter 5"), read from the listing with handles.
import type { Ruleset } from '../compiler/index.js';

export function ruleTexts(ruleset: Ruleset): Map<string, string> {
  const texts = new Map<string, string>();
  let table = '';
  let pending: string[] = [];
  for (const line of ruleset.toListing({ handles: true, stateless: true }).split('\n')) {
    const t = line.match(/^table (\S+) (\S+) \{/);
    if (t) {
      table = `${t[1]} ${t[2]}`;
      continue;
    }
    if (!line.startsWith('\t\t') || /^\t\t(type|policy) /.test(line)) {
      pending = [];
      continue;
    }
    pending.push(line.trim());
    const h = line.match(/^(.*) # handle (\d+)$/);
    if (h) {
      pending[pending.length - 1] = h[1].trim();
      texts.set(`${table} ${h[2]}`, pending.join(' '));
      pending = [];
    }
  }
  return texts;
}
