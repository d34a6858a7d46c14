// A tiny structural checker for the JSON Schema subset docs/openapi.yaml uses (OpenAPI 3.1 = JSON Schema
// 2020-12): $ref, type (one or a list, "null" included), const, enum, required, properties,
// additionalProperties, propertyNames (pattern), items, minItems, oneOf, minimum/maximum/exclusiveMinimum,
// minLength/maxLength, pattern, and format date-time. docs/openapi.yaml and docs/selfheal.schema.json use
// no more than this (test/config/schema.test.ts holds the latter to it). Returns every violation with its
// JSON path; an empty list means it conforms.

export type Schema = Record<string, unknown>;

export function resolveRef(doc: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`unresolvable $ref ${ref}`);
  }
  return node as Schema;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const typeMatches = (want: string, got: string) => want === got || (want === 'number' && got === 'integer');

export function check(doc: Schema, schema: Schema, value: unknown, path = '$'): string[] {
  if (typeof schema.$ref === 'string') return check(doc, resolveRef(doc, schema.$ref), value, path);
  const errs: string[] = [];
  const got = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeMatches(t, got))) return [`${path}: expected ${types.join(' or ')}, got ${got}`];
  }
  if ('const' in schema && value !== schema.const)
    errs.push(`${path}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    errs.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (Array.isArray(schema.oneOf)) {
    const ok = (schema.oneOf as Schema[]).filter((s) => check(doc, s, value, path).length === 0).length;
    if (ok !== 1) errs.push(`${path}: matches ${ok} of oneOf's ${schema.oneOf.length} schemas, not exactly one`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errs.push(`${path}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errs.push(`${path}: ${value} > maximum ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
      errs.push(`${path}: ${value} <= exclusiveMinimum ${schema.exclusiveMinimum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errs.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errs.push(`${path}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      errs.push(`${path}: does not match ${schema.pattern}`);
    if (schema.format === 'date-time' && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value))
      errs.push(`${path}: not an RFC 3339 date-time: ${value}`);
  }
  if (got === 'object') {
    const obj = value as Record<string, unknown>;
    for (const k of (schema.required as string[] | undefined) ?? []) if (!(k in obj)) errs.push(`${path}: missing required property ${k}`);
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    const names = schema.propertyNames as Schema | undefined;
    for (const [k, v] of Object.entries(obj)) {
      if (names) errs.push(...check(doc, names, k, `${path}{${k}}`));
      if (props[k]) errs.push(...check(doc, props[k], v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}: unexpected property ${k}`);
      else if (typeof schema.additionalProperties === 'object')
        errs.push(...check(doc, schema.additionalProperties as Schema, v, `${path}.${k}`));
    }
  }
  if (got === 'array' && typeof schema.minItems === 'number' && (value as unknown[]).length < schema.minItems)
    errs.push(`${path}: fewer than ${schema.minItems} items`);
  if (got === 'array' && schema.items)
    (value as unknown[]).forEach((v, i) => errs.push(...check(doc, schema.items as Schema, v, `${path}[${i}]`)));
  return errs;
}

/** Every $ref anywhere in the document, so a dangling one fails even where no response exercises it. */
export function allRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => allRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else allRefs(v, out);
    }
  }
  return out;
}
