// nft's JSON as input: what `nft -j list ruleset` prints and the commands
// `nft -j -f` takes give the bytecode live nft gives for them, which is
// that of the same ruleset in nft's language.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';
import { JSON_RULESETS } from './json-rulesets.js';
import { liveNftReason, nftDebugText, nftListingText, ourDebugText } from './live-nft.js';

const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

function ourJsonDebug(json: string): { ok: boolean; out: string } {
  try {
    return { ok: true, out: compile(json, { filename: 'rules.nft', json: true }).toNetlinkDebug() };
  } catch (e) {
    if (!(e instanceof NftError)) throw e;
    return { ok: false, out: e.message };
  }
}

const doc = (...commands: unknown[]) => JSON.stringify({ nftables: commands });
const table = { family: 'inet', name: 't' };
const chain = { family: 'inet', table: 't', name: 'c', type: 'filter', hook: 'input', prio: 0, policy: 'drop' };
const rule = (expr: unknown[], extra: Record<string, unknown> = {}) => ({ rule: { family: 'inet', table: 't', chain: 'c', expr, ...extra } });
const tcpDport = (port: unknown) => ({ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: port } });

const COMMANDS: Record<string, string> = {
  'add, insert and replace rules by handle and index': doc(
    { add: { table } }, { add: { chain } },
    { add: rule([tcpDport(22), { accept: null }]) },
    { add: rule([tcpDport(80), { counter: null }, { drop: null }]) },
    { insert: rule([tcpDport(443), { accept: null }], { index: 0 }) },
    { add: rule([tcpDport(8080), { log: { prefix: 'web ' } }], { index: 1 }) },
  ),
  'sets, maps and elements added and deleted': doc(
    { add: { table } }, { add: { chain } },
    { add: { set: { family: 'inet', table: 't', name: 's', type: 'ipv4_addr', elem: ['10.0.0.1'] } } },
    { add: { map: { family: 'inet', table: 't', name: 'm', type: ['ipv4_addr', 'inet_service'], map: 'verdict' } } },
    { add: { element: { family: 'inet', table: 't', name: 's', elem: ['192.168.0.1', { elem: { val: '1.1.1.1', comment: 'one' } }] } } },
    { add: { element: { family: 'inet', table: 't', name: 'm', elem: [[{ concat: ['1.2.3.4', 22] }, { accept: null }]] } } },
    { delete: { element: { family: 'inet', table: 't', name: 's', elem: ['192.168.0.1'] } } },
    { add: rule([{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@s' } }, { drop: null }]) },
    { add: rule([{ vmap: { key: { concat: [{ payload: { protocol: 'ip', field: 'saddr' } }, { payload: { protocol: 'tcp', field: 'dport' } }] }, data: '@m' } }]) },
  ),
  'objects, flush and delete': doc(
    { add: { table } }, { add: { chain } },
    { add: { counter: { family: 'inet', table: 't', name: 'hits' } } },
    { add: { quota: { family: 'inet', table: 't', name: 'q', bytes: 1048576, inv: true } } },
    { add: rule([{ counter: 'hits' }, { quota: 'q' }, { drop: null }]) },
    { add: { chain: { family: 'inet', table: 't', name: 'gone' } } },
    { flush: { chain: { family: 'inet', table: 't', name: 'c' } } },
    { delete: { chain: { family: 'inet', table: 't', name: 'gone' } } },
    { add: rule([{ match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } }, { accept: null }]) },
  ),
};

describe.skipIf(!!liveNftReason())('JSON input against nft -j -f', () => {
  const listings: Record<string, string> = { ...JSON_RULESETS };
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.nft'))) listings[`examples/${file}`] = readFileSync(join(EXAMPLES, file), 'utf8');
  for (const [name, text] of Object.entries(listings)) {
    it(`nft -j list ruleset of ${name}: the text's bytecode`, () => {
      // nft 1.0.6 lists sets before chains, and so cannot load its own
      // listing of a map that jumps to a chain: nor can nftwasm.
      const json = nftListingText(text, ['-j']);
      const theirs = nftDebugText(json, ['-j']);
      const ours = ourJsonDebug(json);
      expect(ours.ok).toBe(theirs.ok);
      if (!theirs.ok) return;
      expect(ours).toEqual(theirs);
      if (theirs.out === nftDebugText(text).out) expect(ours).toEqual(ourDebugText(text));
    });
  }
  for (const [name, json] of Object.entries(COMMANDS)) {
    it(`commands: ${name}`, () => {
      const theirs = nftDebugText(json, ['-j']);
      expect(theirs.ok).toBe(true);
      expect(ourJsonDebug(json)).toEqual(theirs);
    });
  }
  it('a file that starts with a brace is read as JSON without being told', () => {
    const json = COMMANDS['objects, flush and delete']!;
    expect(compile(json, { filename: 'rules.nft' }).toNetlinkDebug()).toBe(nftDebugText(json, ['-j']).out);
  });
  it('add and insert ignore a rule\'s handle, as nft 1.0.6 does', () => {
    const json = doc({ add: { table } }, { add: { chain } }, { add: rule([{ drop: null }]) }, { add: rule([{ accept: null }], { handle: 2 }) });
    expect(ourJsonDebug(json)).toEqual(nftDebugText(json, ['-j']));
    expect(compile(json, { filename: 'rules.nft' }).toListing()).toContain('\t\tdrop\n\t\taccept\n');
  });
});

describe('JSON that is not nft\'s schema: one error naming the place', () => {
  const bad = (json: string) => {
    const r = ourJsonDebug(json);
    expect(r.ok).toBe(false);
    return r.out.split('\n')[0];
  };
  it('invalid JSON: the line and column', () => {
    expect(bad('{"nftables": [{"add": {"table": {"family": "inet", "name": "t"}}}')).toBe("rules.nft:1:66-66: Error: Invalid JSON: expected ',' or ']', found end of file");
  });
  it("nft's words for an unknown statement, with the JSON pointer", () => {
    expect(bad(doc({ add: { table } }, { add: { chain } }, { add: rule([{ frob: 1 }]) })))
      .toMatch(/^rules\.nft:1:\d+-\d+: Error: Unknown statement object 'frob' \(at \/nftables\/2\/add\/rule\/expr\/0\)$/);
  });
  it('a missing member: what and where', () => {
    expect(bad(doc({ add: { table: { family: 'inet' } } }))).toMatch(/Error: Object item not found: name \(at \/nftables\/0\/add\/table\)$/);
  });
  it('not an nftables document', () => {
    expect(bad('{"rules": []}')).toBe('rules.nft:1:1-13: Error: Object item not found: nftables (at /)');
  });
  it("the evaluator's errors point into the JSON", () => {
    const json = doc({ add: { table } }, { add: { chain } }, { add: rule([tcpDport('nosuchport')]) });
    const at = json.indexOf('"nosuchport"') + 1;
    expect(bad(json)).toBe(`rules.nft:1:${at}-${at + 11}: Error: Could not resolve service: Servname not supported for ai_socktype`);
  });
  it('a field no protocol has', () => {
    const json = doc({ add: { table } }, { add: { chain } }, { add: rule([{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dportx' } }, right: 22 } }]) });
    expect(bad(json)).toMatch(/Error: /);
  });
});
