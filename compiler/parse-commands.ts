// nft's commands other than `add`, as parser_bison.y reads them: delete,
// flush, rename, replace, reset, and where add and insert put a rule.
import type { Command, RemovableKind, RemoveCommand, RulePlace } from './ast.js';
import { span, type Location } from './errors.js';
import { keywordName } from './keywords.js';
import type { Token } from './lexer.js';
import type { Parser } from './parser.js';

const REMOVABLE = new Set<RemovableKind>(['table', 'chain', 'rule', 'set', 'element', 'counter', 'quota', 'limit']);
const FLUSHABLE = new Set(['table', 'chain', 'set', 'map']);

// `handle N`, `position N` or `index N` after a rule's chain.
export function rulePlace(p: Parser): RulePlace | undefined {
  const t = p.peek();
  if (t.kind !== 'word' || (t.text !== 'handle' && t.text !== 'position' && t.text !== 'index')) return undefined;
  p.next();
  const n = p.number();
  return { by: t.text, value: Number(n.text), loc: span(t, n), number: n };
}

export function parseCommand(p: Parser, verb: Token): Command {
  switch (verb.text) {
    case 'delete':
      return remove(p, verb, 'delete');
    case 'flush':
      return remove(p, verb, 'flush');
    case 'rename': {
      p.expect('chain');
      const family = p.family();
      const table = p.name();
      const chain = p.name();
      const newName = p.name();
      return { kind: 'rename', family, table: table.text, tableLoc: table, chain: chain.text, newName: newName.text, loc: withSeparator(span(verb, newName)) };
    }
    case 'replace': {
      p.expect('rule');
      const family = p.family();
      const table = p.name();
      const chain = p.name();
      const h = p.peek();
      if (!p.is('handle')) p.failExpecting(h, 'handle');
      const place = rulePlace(p)!;
      const rule = p.rule();
      return { kind: 'rule', family, table: table.text, tableLoc: table, chain: chain.text, chainLoc: chain, rule, insert: false, place, replace: true, loc: verb };
    }
    case 'reset': {
      const w = p.word();
      if (w.text !== 'counters' && w.text !== 'quotas' && w.text !== 'counter' && w.text !== 'quota') p.fail(w);
      if (w.text === 'counter' || w.text === 'quota') {
        p.family();
        p.name();
        const last = p.name();
        return { kind: 'reset', what: w.text, loc: withSeparator(span(verb, last)) };
      }
      // `reset counters [table [family] name]`
      let last = w;
      if (p.accept('table')) {
        p.family();
        last = p.name();
      }
      return { kind: 'reset', what: w.text, loc: span(verb, last) };
    }
    default: {
      // nft 1.0.6 has no `destroy`: the word reads as a string, which a
      // keyword cannot follow and another string must.
      const t = p.peek();
      if (t.kind !== 'word' || keywordName(t.text) !== undefined) return p.failExpecting(t, 'string');
      p.next();
      return p.fail(p.peek());
    }
  }
}

function remove(p: Parser, verb: Token, kind: 'delete' | 'flush'): Command {
  const w = p.word();
  if (kind === 'flush' && w.text === 'ruleset') {
    p.family();
    return { kind: 'flush', loc: verb };
  }
  const what = (w.text === 'map' ? 'set' : w.text) as RemovableKind;
  if (kind === 'delete' ? !REMOVABLE.has(what) : !FLUSHABLE.has(w.text)) p.fail(w);
  const family = p.family();
  const first = p.is('handle') && what === 'table' ? undefined : p.name();
  const cmd: RemoveCommand = { kind: 'remove', verb: kind, what, family, table: first?.text ?? '', tableLoc: first ?? w, loc: verb };
  if (what === 'table') {
    if (first) {
      cmd.name = first.text;
      cmd.nameLoc = first;
    } else {
      cmd.handle = handle(p);
    }
    return cmd;
  }
  if (what === 'rule') {
    const chain = p.name();
    cmd.chain = chain.text;
    cmd.chainLoc = chain;
    const h = p.peek();
    if (!p.is('handle')) p.failExpecting(h, 'handle');
    cmd.handle = handle(p);
    return cmd;
  }
  if (kind === 'delete' && what !== 'element' && p.is('handle')) {
    cmd.handle = handle(p);
    return cmd;
  }
  const n = p.name();
  cmd.name = n.text;
  cmd.nameLoc = n;
  if (what === 'element') {
    p.expect('{');
    cmd.elements = p.setElements();
  }
  return cmd;
}

function handle(p: Parser): { value: number; loc: Token } {
  p.expect('handle');
  const n = p.number();
  return { value: Number(n.text), loc: n };
}

// nft's location of a command takes in its separator.
function withSeparator(loc: Location): Location {
  return { ...loc, endColumn: loc.endColumn + 1 };
}
