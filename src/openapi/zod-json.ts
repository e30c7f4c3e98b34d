import type { ZodTypeAny } from 'zod';

/** A JSON Schema (2020-12, OpenAPI 3.1's dialect). */
export type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of a zod (v3) schema, for the OpenAPI document: the schemas the service checks
 * its input with, and those its answers are typed by, are the ones the document shows. `input`
 * describes what the schema accepts (a query string, before coercion and transforms); `output`
 * what it gives (an answer). A zod type this does not know throws: a schema is never replaced by
 * one that accepts anything.
 */
export function zodToJsonSchema(schema: ZodTypeAny, io: 'input' | 'output' = 'output'): JsonSchema {
  const def = schema._def as Record<string, any>;
  const description = schema.description ? { description: schema.description } : {};
  switch (def.typeName) {
    case 'ZodString': {
      const out: JsonSchema = { type: 'string', ...description };
      for (const check of def.checks as Array<{ kind: string; value?: number; regex?: RegExp }>) {
        if (check.kind === 'min') out.minLength = check.value;
        else if (check.kind === 'max') out.maxLength = check.value;
        else if (check.kind === 'length') out.minLength = out.maxLength = check.value;
        else if (check.kind === 'regex') out.pattern = check.regex?.source;
        else if (check.kind === 'datetime') out.format = 'date-time';
        else if (check.kind === 'url') out.format = 'uri';
        else if (check.kind === 'email') out.format = 'email';
      }
      return out;
    }
    case 'ZodNumber': {
      const out: JsonSchema = { type: 'number', ...description };
      for (const check of def.checks as Array<{ kind: string; value?: number; inclusive?: boolean }>) {
        if (check.kind === 'int') out.type = 'integer';
        else if (check.kind === 'min') out[check.inclusive ? 'minimum' : 'exclusiveMinimum'] = check.value;
        else if (check.kind === 'max') out[check.inclusive ? 'maximum' : 'exclusiveMaximum'] = check.value;
      }
      return out;
    }
    case 'ZodBoolean':
      return { type: 'boolean', ...description };
    case 'ZodUnknown':
    case 'ZodAny':
      return { ...description }; // the code's own schema takes any value here (GraphQL variables, error details)
    case 'ZodNull':
      return { type: 'null', ...description };
    case 'ZodDate':
      return { type: 'string', format: 'date-time', ...description };
    case 'ZodEnum':
      return { type: 'string', enum: [...(def.values as string[])], ...description };
    case 'ZodLiteral':
      return { const: def.value, ...description };
    case 'ZodOptional':
      return { ...zodToJsonSchema(def.innerType, io), ...description };
    case 'ZodNullable':
      return nullable({ ...zodToJsonSchema(def.innerType, io), ...description });
    case 'ZodDefault':
      return { ...zodToJsonSchema(def.innerType, io), default: def.defaultValue(), ...description };
    case 'ZodEffects':
      // refine keeps the type; a transform or preprocess gives another, which zod does not say:
      // an output schema must not hide one.
      if (io === 'output' && def.effect.type !== 'refinement') throw new Error('zodToJsonSchema: an output schema with a transform');
      return { ...zodToJsonSchema(def.schema, io), ...description };
    case 'ZodPipeline':
      return zodToJsonSchema(io === 'input' ? def.in : def.out, io);
    case 'ZodArray': {
      const out: JsonSchema = { type: 'array', items: zodToJsonSchema(def.type, io), ...description };
      if (def.minLength) out.minItems = def.minLength.value;
      if (def.maxLength) out.maxItems = def.maxLength.value;
      return out;
    }
    case 'ZodRecord':
      return { type: 'object', additionalProperties: zodToJsonSchema(def.valueType, io), ...description };
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion':
      return { oneOf: [...(def.options as ZodTypeAny[])].map((option) => zodToJsonSchema(option, io)), ...description };
    case 'ZodObject': {
      const shape = (def.shape as () => Record<string, ZodTypeAny>)();
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const [name, property] of Object.entries(shape)) {
        properties[name] = zodToJsonSchema(property, io);
        // An input with a default may be left out; an output with one is always there.
        const defaulted = (property._def as { typeName: string }).typeName === 'ZodDefault';
        if (io === 'output' ? defaulted || !property.isOptional() : !property.isOptional()) required.push(name);
      }
      const out: JsonSchema = { type: 'object', properties, ...description };
      if (required.length > 0) out.required = required;
      if (def.unknownKeys === 'strict' || io === 'output') out.additionalProperties = false;
      return out;
    }
    default:
      throw new Error(`zodToJsonSchema: no JSON Schema for ${String(def.typeName)}`);
  }
}

/** The schema, or null. */
export function nullable(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string' && !('enum' in schema) && !('const' in schema)) return { ...schema, type: [schema.type, 'null'] };
  const { description, ...rest } = schema;
  return { ...(description ? { description } : {}), anyOf: [rest, { type: 'null' }] };
}
