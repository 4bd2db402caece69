// nft's commands applied in the order of the file, as `nft -f` sends them in
// one batch: delete, flush, rename, reset, and rules put by handle or index.
// Deleted things stay in the model, marked, until the debug output (which
// shows what nft sends) has been made; applyDeletions then leaves what the
// kernel holds once the batch is through.
import type { Command, RemoveCommand, SetElement } from './ast.js';
import { NftError } from './errors.js';
import type { Evaluator } from './evaluate.js';
import type { BatchItem, ChainModel, RuleModel, RulesetModel, SetElementModel, SetModel, TableModel, TExpr } from './model.js';

const missing = 'No such file or directory';

function liveRules(chain: ChainModel): RuleModel[] {
  return chain.rules.filter((r) => !r.deleted);
}

// The elements a set holds so far: its own and those later commands added.
export function liveElements(ev: Evaluator, set: SetModel): SetElementModel[] {
  const added = ev.model.sets.filter((s) => s.elementsOf?.set === set && s.elementsOf.op === 'add');
  return [set, ...added].flatMap((s) => s.elements).filter((e) => !e.deleted);
}

// A command's elements, sent in a message of their own after the set's.
export function elementsCommand(ev: Evaluator, set: SetModel, op: 'add' | 'delete', elements: SetElementModel[]): void {
  const m = ev.model;
  const shadow: SetModel = { ...set, index: m.sets.length, elements, elementsOf: { set, op } };
  m.sets.push(shadow);
  m.batch.splice(collapsedAt(m.batch, shadow), 0, { kind: 'elements', set: shadow });
  m.deletions = true;
}

// nft collapses consecutive commands adding elements to a set of the same
// table and set names into the first (nft_cmd_collapse), splicing each
// one's elements in at the head, and sends them back apart in that order:
// the first command, then the others last to first. Interval sets, whose
// elements nft also merges and sorts, keep the order of the commands.
function collapsedAt(batch: BatchItem[], added: SetModel): number {
  const same = (b: BatchItem) => b.kind === 'elements' && b.set.elementsOf?.op === 'add' && b.set.name === added.name && b.set.table.name === added.table.name;
  if (added.elementsOf?.op !== 'add' || added.interval) return batch.length;
  let first = batch.length;
  while (first > 0 && same(batch[first - 1]!)) first--;
  return first < batch.length ? first + 1 : batch.length;
}

// Where a rule placed by handle, position or index goes. nft resolves an
// index against the rules it knows, this batch's included, and names the
// rule it goes next to by an id; the kernel finds a position's rule only
// among rules it already held, and this batch's are not yet among them.
export function placeRule(ev: Evaluator, chain: ChainModel, cmd: Command & { kind: 'rule' }): (rule: RuleModel) => void {
  const place = cmd.place!;
  const rules = liveRules(chain);
  if (place.by === 'index') {
    const at = rules[place.value];
    if (!at) throw NftError.kernel(place.loc, missing);
    at.id ??= ++ev.model.ruleIds;
    return (rule) => {
      rule.positionId = at.id;
      chain.rules.splice(chain.rules.indexOf(at) + (cmd.insert ? 0 : 1), 0, rule);
    };
  }
  if (!cmd.replace) throw NftError.kernel(place.by === 'handle' ? place.number : place.loc, missing);
  const at = rules.find((r) => handleOf(r) === place.value);
  if (!at) throw NftError.kernel(place.number, missing);
  // The replaced rule stays, deleted, for the debug output; the new one
  // takes its handle once the batch is through.
  return (rule) => {
    chain.rules.splice(chain.rules.indexOf(at) + 1, 0, rule);
    at.deleted = true;
    rule.replaces = at;
    rule.handle = REPLACING + ++ev.model.ruleIds;
    ev.model.deletions = true;
  };
}

function handleOf(r: RuleModel): number {
  return r.replaces ? handleOf(r.replaces) : r.handle;
}

// Handles no table reaches, for replacing rules until their batch is through.
const REPLACING = 0x40000000;

function liveTable(ev: Evaluator, cmd: RemoveCommand): TableModel {
  const t = ev.model.tables.find((x) => x.family === cmd.family && x.name === cmd.table);
  if (!t) throw NftError.kernel(cmd.tableLoc, missing);
  return t;
}

function deleteRules(ev: Evaluator, rules: RuleModel[]): void {
  for (const r of rules) r.deleted = true;
  ev.model.deletions = true;
}

export function remove(ev: Evaluator, cmd: RemoveCommand): void {
  const m = ev.model;
  if (cmd.what === 'table') {
    const t = m.tables.find((x) => x.family === cmd.family && (cmd.handle ? x.handle === cmd.handle.value : x.name === cmd.name));
    if (!t) throw NftError.kernel(cmd.handle?.loc ?? cmd.tableLoc, missing);
    if (cmd.verb === 'flush') return deleteRules(ev, t.chains.flatMap(liveRules));
    t.deleted = true;
    m.tables.splice(m.tables.indexOf(t), 1);
    m.deletions = true;
    return;
  }
  const table = liveTable(ev, cmd);
  switch (cmd.what) {
    case 'chain': {
      const chain = table.chains.find((c) => (cmd.handle ? c.handle === cmd.handle.value : c.name === cmd.name));
      if (!chain) throw NftError.kernel(cmd.handle?.loc ?? cmd.nameLoc!, missing);
      deleteRules(ev, liveRules(chain));
      if (cmd.verb === 'flush') return;
      chain.deleted = true;
      table.chains.splice(table.chains.indexOf(chain), 1);
      return;
    }
    case 'rule': {
      const chain = table.chains.find((c) => c.name === cmd.chain);
      if (!chain) throw NftError.kernel(cmd.chainLoc!, missing);
      const rule = liveRules(chain).find((r) => handleOf(r) === cmd.handle!.value);
      if (!rule) throw NftError.kernel(cmd.handle!.loc, missing);
      return deleteRules(ev, [rule]);
    }
    case 'set':
    case 'element': {
      const set = table.sets.find((s) => (cmd.handle ? s.handle === cmd.handle.value : s.name === cmd.name));
      if (!set) {
        // nft needs the set to type the elements and to flush it.
        if (cmd.what === 'element' || cmd.verb === 'flush') throw ev.setNotFound(cmd.name!, cmd.nameLoc!);
        throw NftError.kernel(cmd.handle?.loc ?? cmd.nameLoc!, missing);
      }
      if (cmd.what === 'element') return deleteElements(ev, set, cmd);
      if (cmd.verb === 'flush') {
        // nft empties the set it knows before sending it.
        for (const e of liveElements(ev, set)) e.deleted = true;
        set.elements = [];
        return elementsCommand(ev, set, 'delete', []);
      }
      set.deleted = true;
      table.sets.splice(table.sets.indexOf(set), 1);
      m.deletions = true;
      return;
    }
    default: {
      const kind = cmd.what;
      const object = table.objects.find((o) => o.kind === kind && (cmd.handle ? o.handle === cmd.handle.value : o.name === cmd.name));
      if (!object) throw NftError.kernel(cmd.handle?.loc ?? cmd.nameLoc!, missing);
      table.objects.splice(table.objects.indexOf(object), 1);
      m.deletions = true;
    }
  }
}

// An element whose key the set holds already, or an earlier one of the same
// message: the kernel's nft_add_set_elem keeps the first and drops the
// second when their data agree, and refuses the second when it maps the key
// elsewhere (an error of the batch, whose other messages go on). nft merges
// interval sets itself.
export function sameKeyElements(ev: Evaluator, set: SetModel, added: SetElementModel[], written: SetElement[], held: SetElementModel[]): void {
  if (set.interval) return;
  added.forEach((a, i) => {
    const first = [...held, ...added.slice(0, i)].find((e) => !e.deleted && !!e.catchAll === !!a.catchAll && sameKey(e.key, a.key));
    if (!first) return;
    if (first.objName !== a.objName || !sameData(first.data, a.data)) ev.kernelErrors.push(NftError.kernel(written[i].key.loc, `File exists`));
    a.deleted = true;
    ev.model.deletions = true;
  });
}

function sameData(a: TExpr | undefined, b: TExpr | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind === 'verdict' && b.kind === 'verdict') return a.verdict === b.verdict && a.chain === b.chain;
  return sameKey(a, b);
}

// `create element`: an element the set holds already is the kernel's error.
export function createElements(ev: Evaluator, set: SetModel, added: SetElementModel[], written: SetElement[]): void {
  const live = liveElements(ev, set);
  added.forEach((a, i) => {
    if (live.some((e) => sameKey(e.key, a.key))) throw NftError.kernel(written[i].loc, `File exists`);
  });
}

function deleteElements(ev: Evaluator, set: SetModel, cmd: RemoveCommand): void {
  const wanted = ev.elements(set, cmd.elements!, undefined);
  const live = liveElements(ev, set);
  wanted.forEach((w, i) => {
    const found = live.find((e) => !e.deleted && sameKey(e.key, w.key));
    if (!found) throw NftError.kernel(cmd.elements![i].loc, missing);
    found.deleted = true;
  });
  elementsCommand(ev, set, 'delete', wanted);
}

export function sameKey(a: TExpr, b: TExpr): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'const':
      return a.value === (b as typeof a).value;
    case 'prefix':
      return a.length === (b as typeof a).length && sameKey(a.value, (b as typeof a).value);
    case 'range':
      return sameKey(a.low, (b as typeof a).low) && sameKey(a.high, (b as typeof a).high);
    case 'concat':
      return a.items.length === (b as typeof a).items.length && a.items.every((x, i) => sameKey(x, (b as typeof a).items[i]));
    default:
      return false;
  }
}

// nft looks the chain up among those the kernel held before the batch: one
// this file made is not among them.
export function rename(cmd: Command & { kind: 'rename' }): void {
  throw NftError.kernel(cmd.loc, missing);
}

// `reset counters` and `reset quotas` find nothing the kernel held before
// the batch; one named object nft fetches from the kernel, which has none.
export function reset(cmd: Command & { kind: 'reset' }): void {
  if (cmd.what === 'counter' || cmd.what === 'quota') throw NftError.kernel(cmd.loc, missing);
}

// Leaves the model as the kernel holds it once the batch is through: the
// deleted tables, chains, sets, rules and elements gone, the elements later
// commands added in their sets, and every chain and set numbered afresh.
export function applyDeletions(m: RulesetModel): void {
  for (const s of m.sets) {
    if (s.elementsOf?.op !== 'add') continue;
    // Adding what a set holds leaves it as it was.
    const into = s.elementsOf.set.elements;
    for (const e of s.elements) if (!into.some((x) => !x.deleted && sameKey(x.key, e.key))) into.push(e);
  }
  const gone = new Set(m.chains.flatMap((c) => c.rules.filter((r) => r.deleted || c.deleted || c.table.deleted).flatMap((r) => r.anonSets)));
  m.sets = m.sets.filter((s) => !s.deleted && !s.elementsOf && !s.table.deleted && !gone.has(s));
  m.chains = m.chains.filter((c) => !c.deleted && !c.table.deleted);
  m.batch = m.batch.filter((b) => b.kind !== 'elements');
  m.sets.forEach((s, i) => {
    s.index = i;
    s.elements = s.elements.filter((e) => !e.deleted);
  });
  m.chains.forEach((c, i) => {
    c.index = i;
    c.rules = liveRules(c);
    for (const r of c.rules) r.handle = handleOf(r);
  });
  for (const t of m.tables) t.sets = t.sets.filter((s) => !s.deleted);
}
