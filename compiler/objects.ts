// Named objects as rules use them through maps (nft's objref map): the
// key's value picks the counter or ct helper by name.
import { ObjectType } from '../assembly/abi.js';
import type { Expr } from './ast.js';
import { TYPES } from './datatypes.js';
import { NftError } from './errors.js';
import type { Ctx, Evaluator } from './evaluate.js';
import type { ObjectModel, SetElementModel } from './model.js';

const KINDS: Partial<Record<ObjectType, ObjectModel['kind']>> = {
  [ObjectType.Counter]: 'counter', [ObjectType.CtHelper]: 'cthelper', [ObjectType.Quota]: 'quota', [ObjectType.Limit]: 'limit', [ObjectType.Synproxy]: 'synproxy',
};

// The index Objref takes for an object: a counter's, or the ct helper's
// place among the ruleset's helpers (as the linearizer numbers them).
function objectIndex(ev: Evaluator, o: ObjectModel, states: ObjectModel[]): number {
  if (o.kind === 'counter' || o.kind === 'synproxy') return o.index;
  if (o.kind !== 'cthelper') {
    // Quotas and limits by their place among those of the map.
    if (!states.includes(o)) states.push(o);
    return states.indexOf(o);
  }
  return ev.model.tables.flatMap((t) => t.objects.filter((x) => x.kind === 'cthelper')).indexOf(o);
}

export function objectMap(ev: Evaluator, ctx: Ctx, objType: ObjectType, map: Expr & { kind: 'map' }): void {
  const key = ev.expr(ctx, map.key);
  if (map.mapping.kind !== 'set') throw NftError.at(map.mapping.loc, `syntax error`);
  const set = ev.newAnonSet(ctx, key, { type: TYPES.integer, bits: 32, byteorder: 'host' });
  set.name = '__objmap%d';
  set.objType = objType;
  const keyLike = key.kind === 'concat' ? key : set.keyType;
  const kind = KINDS[objType];
  const states: ObjectModel[] = [];
  set.elements = ev.flatten(map.mapping.elements).map((el): SetElementModel => {
    const k = ev.element(keyLike, el.key);
    const d = el.data;
    if (!d || d.kind !== 'value') throw NftError.at(el.loc, `syntax error, missing map data`);
    const object = ctx.table.objects.find((o) => o.kind === kind && o.name === d.text);
    if (!object) {
      ev.kernelErrors.push(NftError.kernel(el.key.loc, `No such file or directory`));
      return { key: k };
    }
    return { key: k, data: { kind: 'const', value: BigInt(objectIndex(ev, object, states)), type: TYPES.integer, bits: 32, byteorder: 'host' }, objName: object.name };
  });
  set.declaredSize = set.elements.length;
  if (objType === ObjectType.CtHelper) ev.model.conntrack = true;
  const stateStmts = states.map((o) => (o as ObjectModel & { kind: 'quota' | 'limit' }).stmt);
  ctx.stmts.push({ kind: 'objmap', objType, key, set, ...(stateStmts.length ? { states: stateStmts } : {}) });
}
