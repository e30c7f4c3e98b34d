import type { Core } from '@strapi/strapi';
import { nullable, type JsonSchema } from './zod-json';

interface Attribute {
  type: string;
  required?: boolean;
  private?: boolean;
  enum?: string[];
  multiple?: boolean;
  relation?: string;
  target?: string;
  component?: string;
  components?: string[];
  repeatable?: boolean;
}

interface Model {
  uid: string;
  modelName?: string;
  info?: { singularName?: string; displayName?: string; description?: string };
  options?: { draftAndPublish?: boolean };
  pluginOptions?: { i18n?: { localized?: boolean } };
  attributes: Record<string, Attribute>;
}

/** Attributes whose value a REST answer carries only when populated. */
const POPULATED = new Set(['relation', 'component', 'dynamiczone', 'media']);
const SYSTEM_DATES = new Set(['createdAt', 'updatedAt']);

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}

/**
 * JSON Schemas of the REST answers' records, derived from the content types and components
 * Strapi loaded (so a field added to the model is in the document): every public scalar
 * attribute is always there (null when empty, unless the model requires it); relations,
 * components, media and dynamic zones are there when populated, which a public article read
 * does for all of them unless `populate` narrows it. Nothing else is allowed
 * (`additionalProperties: false`): a record the model does not describe fails validation.
 */
export class ModelSchemas {
  /** `components.schemas` of the document, filled as records are referenced. */
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly names = new Map<string, string>();

  /**
   * @param populatable per content type, the keys a public read may populate (default: every
   * relation, component, media and dynamic zone attribute; `localizations` where localized).
   */
  constructor(
    private readonly strapi: Core.Strapi,
    private readonly populatable: Record<string, readonly string[]> = {}
  ) {}

  private model(uid: string): Model {
    const model = (this.strapi.contentTypes as unknown as Record<string, unknown>)[uid] ?? (this.strapi.components as unknown as Record<string, unknown>)[uid];
    if (!model) throw new Error(`OpenAPI: no model ${uid}`);
    return model as Model;
  }

  private isComponent(uid: string): boolean {
    return uid in (this.strapi.components as unknown as Record<string, unknown>);
  }

  /** The schema name of a content type or component (`Article`, `MediaFigure`). */
  nameOf(uid: string): string {
    const known = this.names.get(uid);
    if (known) return known;
    const model = this.model(uid);
    const name = this.isComponent(uid) ? pascal(uid) : uid === 'plugin::upload.file' ? 'UploadFile' : pascal(model.info?.singularName ?? uid);
    this.names.set(uid, name);
    return name;
  }

  /** Whether the public sees an attribute at all. */
  private isPublic(name: string, attribute: Attribute): boolean {
    const globallyPrivate = (this.strapi.config.get('api.responses.privateAttributes', []) as string[]).includes(name);
    return !attribute.private && !globallyPrivate && !['createdBy', 'updatedBy'].includes(name) && attribute.type !== 'password';
  }

  /** A reference to the record schema of `uid`, building it on first use. */
  record(uid: string): JsonSchema {
    const name = this.nameOf(uid);
    if (!(name in this.schemas)) {
      this.schemas[name] = {}; // placeholder: a record may reference itself (localizations)
      this.schemas[name] = this.build(uid);
    }
    return ref(name);
  }

  /** A component as an item of a dynamic zone: the record with its `__component`. */
  private zoneItem(uid: string): JsonSchema {
    const name = `${this.nameOf(uid)}Block`;
    if (!(name in this.schemas)) {
      this.schemas[name] = {};
      const record = this.build(uid);
      const properties = { ...(record.properties as Record<string, JsonSchema>), __component: { const: uid } };
      this.schemas[name] = { ...record, properties, required: [...((record.required as string[]) ?? []), '__component'] };
    }
    return ref(name);
  }

  private build(uid: string): JsonSchema {
    const model = this.model(uid);
    const component = this.isComponent(uid);
    const properties: Record<string, JsonSchema> = { id: { type: 'integer' } };
    const required = ['id'];
    if (!component) {
      properties.documentId = { type: 'string', minLength: 1, description: "The document's id: the same in every locale and version" };
      required.push('documentId');
    }
    const allowed = this.populatable[uid];
    for (const [name, attribute] of Object.entries(model.attributes)) {
      if (!this.isPublic(name, attribute)) continue;
      if (POPULATED.has(attribute.type)) {
        if (allowed && !allowed.includes(name)) continue;
        if (name === 'localizations' && !allowed) {
          // Only a localized type has them; never nested (a localization's localizations are refused).
          if (!model.pluginOptions?.i18n?.localized) continue;
        }
        const schema = this.populatedSchema(name, attribute);
        if (schema) properties[name] = schema;
        continue;
      }
      properties[name] = this.scalarSchema(name, attribute, model);
      required.push(name);
    }
    return {
      type: 'object',
      ...(model.info?.description ? { description: model.info.description } : {}),
      properties,
      required,
      additionalProperties: false,
    };
  }

  private scalarSchema(name: string, attribute: Attribute, model: Model): JsonSchema {
    let schema: JsonSchema;
    switch (attribute.type) {
      case 'string':
      case 'text':
      case 'richtext':
      case 'email':
      case 'uid':
        schema = { type: 'string' };
        break;
      case 'enumeration':
        schema = { type: 'string', enum: attribute.enum ?? [] };
        break;
      case 'integer':
        schema = { type: 'integer' };
        break;
      case 'biginteger':
        schema = { type: 'string', pattern: '^-?[0-9]+$' };
        break;
      case 'float':
      case 'decimal':
        schema = { type: 'number' };
        break;
      case 'boolean':
        schema = { type: 'boolean' };
        break;
      case 'date':
        schema = { type: 'string', format: 'date' };
        break;
      case 'time':
        schema = { type: 'string', pattern: '^[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?$' };
        break;
      case 'datetime':
      case 'timestamp':
        schema = { type: 'string', format: 'date-time' };
        break;
      case 'json':
        return { description: 'JSON, as stored' };
      case 'blocks':
        return { type: 'array', items: { type: 'object' }, description: "Strapi's blocks (rich text)" };
      default:
        throw new Error(`OpenAPI: no schema for the ${attribute.type} attribute ${name}`);
    }
    // A published record always has these; what the model requires is never null.
    const alwaysSet = attribute.required || SYSTEM_DATES.has(name) || (name === 'publishedAt' && model.options?.draftAndPublish) || name === 'locale';
    return alwaysSet ? schema : nullable(schema);
  }

  private populatedSchema(name: string, attribute: Attribute): JsonSchema | null {
    const description = { description: `Present when populated${name === 'localizations' ? ' (populate=localizations)' : ''}` };
    switch (attribute.type) {
      case 'media':
        return attribute.multiple ? { type: 'array', items: this.record('plugin::upload.file'), ...description } : { ...nullable(this.record('plugin::upload.file')), ...description };
      case 'component': {
        const target = this.record(attribute.component as string);
        return attribute.repeatable ? { type: 'array', items: target, ...description } : { ...nullable(target), ...description };
      }
      case 'dynamiczone':
        return { type: 'array', items: { oneOf: (attribute.components ?? []).map((uid) => this.zoneItem(uid)) }, ...description };
      case 'relation': {
        if (!attribute.target) return null; // a polymorphic relation: never populated publicly
        if (!this.isPublicTarget(attribute.target)) return null;
        const target = this.record(attribute.target);
        return /ToMany$|^manyWay$/.test(attribute.relation ?? '') ? { type: 'array', items: target, ...description } : { ...nullable(target), ...description };
      }
      default:
        return null;
    }
  }

  private isPublicTarget(uid: string): boolean {
    return uid.startsWith('api::') || uid === 'plugin::upload.file';
  }

  /** Every attribute path a list filter can take, with its JSON type (for the `filters` parameter). */
  filterSchema(uid: string, depth = 0): JsonSchema {
    const model = this.model(uid);
    const properties: Record<string, JsonSchema> = {};
    const operators = (type: JsonSchema) => ({
      oneOf: [
        type,
        {
          type: 'object',
          description: 'Operators: $eq $eqi $ne $nei $lt $lte $gt $gte $in $notIn $contains $notContains $containsi $notContainsi $null $notNull $between $startsWith $startsWithi $endsWith $endsWithi $not',
          additionalProperties: true,
        },
      ],
    });
    properties.id = operators({ type: 'integer' });
    if (!this.isComponent(uid)) properties.documentId = operators({ type: 'string' });
    for (const [name, attribute] of Object.entries(model.attributes)) {
      if (!this.isPublic(name, attribute) || attribute.type === 'dynamiczone' || attribute.type === 'media' || attribute.type === 'json' || attribute.type === 'blocks') continue;
      if (attribute.type === 'relation' || attribute.type === 'component') {
        const target = attribute.type === 'relation' ? attribute.target : attribute.component;
        if (depth === 0 && target && (attribute.type === 'component' || this.isPublicTarget(target))) properties[name] = this.filterSchema(target, depth + 1);
        continue;
      }
      const type = this.scalarSchema(name, { ...attribute, required: true }, model);
      properties[name] = operators(type);
    }
    const logical = depth === 0 ? { $and: { type: 'array', items: { type: 'object' } }, $or: { type: 'array', items: { type: 'object' } }, $not: { type: 'object' } } : {};
    return { type: 'object', properties: { ...properties, ...logical }, additionalProperties: false };
  }

  /** The attribute names a list may sort by. */
  sortable(uid: string): string[] {
    const model = this.model(uid);
    return ['id', ...Object.entries(model.attributes).filter(([name, a]) => this.isPublic(name, a) && !POPULATED.has(a.type) && a.type !== 'json' && a.type !== 'blocks').map(([name]) => name)];
  }

  /** The keys `populate` may name on a public read of `uid`. */
  populateKeys(uid: string): string[] {
    const allowed = this.populatable[uid];
    if (allowed) return [...allowed];
    const model = this.model(uid);
    return Object.entries(model.attributes)
      .filter(([name, a]) => this.isPublic(name, a) && POPULATED.has(a.type) && (a.type !== 'relation' || (a.target && this.isPublicTarget(a.target))))
      .filter(([name]) => name !== 'localizations' || Boolean(model.pluginOptions?.i18n?.localized))
      .map(([name]) => name);
  }

  isLocalized(uid: string): boolean {
    return Boolean(this.model(uid).pluginOptions?.i18n?.localized);
  }

  describe(uid: string): { singular: string; plural: string; description?: string } {
    const model = this.model(uid) as Model & { info: { pluralName?: string } };
    return { singular: model.info?.displayName ?? uid, plural: (model.info as { pluralName?: string }).pluralName ?? uid, description: model.info?.description };
  }
}
