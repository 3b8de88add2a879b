/** Human-readable rendering of USP responses for the admin CLI. */
import { CmdType } from '../../proto/index.js';
import type { DecodedMsg } from '../../proto/index.js';

export interface Rendered {
  readonly out: string[];
  readonly err: string[];
}

function errorLines(msg: DecodedMsg): string[] | undefined {
  const e = msg.body.error;
  if (!e) return undefined;
  const lines = [`error ${e.errCode ?? 0}: ${e.errMsg ?? ''}`];
  for (const p of e.paramErrs ?? []) lines.push(`  ${p.paramPath ?? ''}: ${p.errCode ?? 0} ${p.errMsg ?? ''}`);
  return lines;
}

const fail = (code: number | null | undefined, msg: string | null | undefined, what: string): string => `${what}: error ${code ?? 0}: ${msg ?? ''}`;

export function renderGet(msg: DecodedMsg): Rendered {
  const err = errorLines(msg);
  if (err) return { out: [], err };
  const out: string[] = [];
  const errs: string[] = [];
  for (const r of msg.body.response?.getResp?.reqPathResults ?? []) {
    if (r.errCode) {
      errs.push(fail(r.errCode, r.errMsg, r.requestedPath ?? ''));
      continue;
    }
    for (const res of r.resolvedPathResults ?? []) {
      for (const [k, v] of Object.entries(res.resultParams ?? {})) out.push(`${res.resolvedPath ?? ''}${k} = ${v}`);
    }
  }
  return { out, err: errs };
}

export function renderSet(msg: DecodedMsg): Rendered {
  const err = errorLines(msg);
  if (err) return { out: [], err };
  const out: string[] = [];
  const errs: string[] = [];
  for (const r of msg.body.response?.setResp?.updatedObjResults ?? []) {
    const f = r.operStatus?.operFailure;
    if (f) {
      errs.push(fail(f.errCode, f.errMsg, r.requestedPath ?? ''));
      for (const i of f.updatedInstFailures ?? []) for (const p of i.paramErrs ?? []) errs.push(`  ${i.affectedPath ?? ''}${p.param ?? ''}: ${p.errCode ?? 0} ${p.errMsg ?? ''}`);
      continue;
    }
    const results = r.operStatus?.operSuccess?.updatedInstResults ?? [];
    if (results.length === 0) out.push(`${r.requestedPath ?? ''}: matched nothing`);
    for (const i of results) {
      for (const [k, v] of Object.entries(i.updatedParams ?? {})) out.push(`${i.affectedPath ?? ''}${k} = ${v}`);
      for (const p of i.paramErrs ?? []) errs.push(`${i.affectedPath ?? ''}${p.param ?? ''}: not set: error ${p.errCode ?? 0}: ${p.errMsg ?? ''}`);
    }
  }
  return { out, err: errs };
}

export function renderAdd(msg: DecodedMsg): Rendered {
  const err = errorLines(msg);
  if (err) return { out: [], err };
  const out: string[] = [];
  const errs: string[] = [];
  for (const r of msg.body.response?.addResp?.createdObjResults ?? []) {
    const f = r.operStatus?.operFailure;
    if (f) {
      errs.push(fail(f.errCode, f.errMsg, r.requestedPath ?? ''));
      continue;
    }
    const s = r.operStatus?.operSuccess;
    const keys = Object.entries(s?.uniqueKeys ?? {}).map(([k, v]) => `${k}=${v}`);
    out.push(`created ${s?.instantiatedPath ?? ''}${keys.length ? ` (${keys.join(', ')})` : ''}`);
    for (const p of s?.paramErrs ?? []) errs.push(`${s?.instantiatedPath ?? ''}${p.param ?? ''}: not set: error ${p.errCode ?? 0}: ${p.errMsg ?? ''}`);
  }
  return { out, err: errs };
}

export function renderDelete(msg: DecodedMsg): Rendered {
  const err = errorLines(msg);
  if (err) return { out: [], err };
  const out: string[] = [];
  const errs: string[] = [];
  for (const r of msg.body.response?.deleteResp?.deletedObjResults ?? []) {
    const f = r.operStatus?.operFailure;
    if (f) {
      errs.push(fail(f.errCode, f.errMsg, r.requestedPath ?? ''));
      continue;
    }
    const s = r.operStatus?.operSuccess;
    if ((s?.affectedPaths ?? []).length === 0) out.push(`${r.requestedPath ?? ''}: nothing to delete`);
    for (const p of s?.affectedPaths ?? []) out.push(`deleted ${p}`);
    for (const u of s?.unaffectedPathErrs ?? []) errs.push(fail(u.errCode, u.errMsg, u.unaffectedPath ?? ''));
  }
  return { out, err: errs };
}

export function renderInstances(msg: DecodedMsg): Rendered {
  const err = errorLines(msg);
  if (err) return { out: [], err };
  const out: string[] = [];
  const errs: string[] = [];
  for (const r of msg.body.response?.getInstancesResp?.reqPathResults ?? []) {
    if (r.errCode) {
      errs.push(fail(r.errCode, r.errMsg, r.requestedPath ?? ''));
      continue;
    }
    for (const i of r.currInsts ?? []) {
      const keys = Object.entries(i.uniqueKeys ?? {}).map(([k, v]) => `${k}=${v}`);
      out.push(`${i.instantiatedObjPath ?? ''}${keys.length ? `  ${keys.join(' ')}` : ''}`);
    }
  }
  return { out, err: errs };
}

const ACCESS = ['readOnly', 'readWrite', 'writeOnly'];
const OBJ_ACCESS = ['readOnly', 'addDelete', 'addOnly', 'deleteOnly'];
const TYPES = ['unknown', 'base64', 'boolean', 'dateTime', 'decimal', 'hexBinary', 'int', 'long', 'string', 'unsignedInt', 'unsignedLong'];

export function renderGsdm(msg: DecodedMsg): Rendered {
  const err = errorLines(msg);
  if (err) return { out: [], err };
  const out: string[] = [];
  const errs: string[] = [];
  for (const r of msg.body.response?.getSupportedDmResp?.reqObjResults ?? []) {
    if (r.errCode) {
      errs.push(fail(r.errCode, r.errMsg, r.reqObjPath ?? ''));
      continue;
    }
    for (const o of r.supportedObjs ?? []) {
      out.push(`${o.supportedObjPath ?? ''}  (${o.isMultiInstance ? 'table, ' : ''}${OBJ_ACCESS[o.access ?? 0] ?? ''})`);
      for (const p of o.supportedParams ?? []) out.push(`  ${p.paramName ?? ''}  ${TYPES[p.valueType ?? 0] ?? ''} ${ACCESS[p.access ?? 0] ?? ''}`);
      for (const c of o.supportedCommands ?? []) out.push(`  ${c.commandName ?? ''}  ${c.commandType === CmdType.CMD_ASYNC ? 'async' : 'sync'} in: ${(c.inputArgNames ?? []).join(',') || '-'} out: ${(c.outputArgNames ?? []).join(',') || '-'}`);
      for (const e of o.supportedEvents ?? []) out.push(`  ${e.eventName ?? ''}  args: ${(e.argNames ?? []).join(',') || '-'}`);
      for (const k of o.uniqueKeySets ?? []) out.push(`  unique key: ${(k.keyNames ?? []).join(' + ')}`);
    }
  }
  return { out, err: errs };
}
