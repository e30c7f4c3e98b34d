import type { Core } from '@strapi/strapi';
import {
  buildASTSchema,
  execute,
  getNamedType,
  isObjectType,
  isUnionType,
  Kind,
  parse,
  printSchema,
  type DocumentNode,
  type FieldNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { z } from 'zod';
import { LocaleCode } from '../bootstrap/locales';
import { hasShapeHeader } from '../cache/policy';
import { currentReadTags } from '../public-view/scope';
import { defaultLocale } from '../read-model/lists';
import { readArticle } from '../read-model/projection';

/**
 * GraphQL's article query answered from the read model: `articles(filters: { slug: { eq } })`
 * (optionally with `locale`) runs against the article's read-model row instead of Strapi's
 * resolvers (a query per relation per row). The operation is executed by graphql-js itself, on a
 * copy of the schema without resolvers, over the row's JSON: fragments, aliases, variables and
 * directives behave as they do on the real schema. Whatever the row cannot answer exactly (a
 * field with arguments, one the row does not hold, a to-many relation longer than a page, a
 * caller with credentials, no row) runs through Strapi as before. Parsing, validation, the depth
 * and cost limits have all run before this.
 */

/** Thrown by a resolver when the row cannot answer: the operation then runs through Strapi. */
class NotFromReadModel extends Error {}

const SlugFilter = z.object({ slug: z.object({ eq: z.string() }).strict() }).strict();
const ROOT_ARGUMENTS = new Set(['filters', 'locale']);

interface RequestContext {
  document?: DocumentNode;
  operation?: OperationDefinitionNode | null;
  operationName?: string | null;
  schema: GraphQLSchema;
  request: { variables?: Record<string, unknown> };
  contextValue: { koaContext?: { request?: { headers?: Record<string, string | string[] | undefined> } } };
}

const plainSchemas = new WeakMap<GraphQLSchema, GraphQLSchema>();

/** The schema's types without resolvers (scalars pass values through, unions read __typename). */
function plainSchema(schema: GraphQLSchema): GraphQLSchema {
  let plain = plainSchemas.get(schema);
  if (!plain) {
    plain = buildASTSchema(parse(printSchema(schema)));
    plainSchemas.set(schema, plain);
  }
  return plain;
}

/** The operation's only root field, when it is `articles` with at most filters and locale. */
function articlesField(operation: OperationDefinitionNode): FieldNode | undefined {
  if (operation.operation !== 'query') return undefined;
  const [only, ...rest] = operation.selectionSet.selections;
  if (!only || rest.length > 0 || only.kind !== Kind.FIELD || only.name.value !== 'articles') return undefined;
  if (only.directives?.length) return undefined;
  if (!(only.arguments ?? []).every((argument) => ROOT_ARGUMENTS.has(argument.name.value))) return undefined;
  return only;
}

/** Dynamic-zone items name their GraphQL type (`ComponentContentParagraph`) for the union. */
function withTypenames(strapi: Core.Strapi, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => withTypenames(strapi, item));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  for (const [key, child] of Object.entries(object)) object[key] = withTypenames(strapi, child);
  const uid = object.__component;
  if (typeof uid === 'string') {
    const naming = strapi.plugin('graphql').service('utils').naming as { getComponentName(component: unknown): string };
    object.__typename = naming.getComponentName(strapi.components[uid as keyof typeof strapi.components]);
  }
  return object;
}

export interface ReadModelPluginSettings {
  /** Whether reads come from the read model (READ_MODEL_SERVE), asked per request. */
  enabled: () => boolean;
  /** A to-many relation's page when the query names none (the plugin's defaultLimit). */
  defaultLimit: number;
}

/** An Apollo Server plugin: answers the article query from the read model when it can. */
export function readModelPlugin(settings: ReadModelPluginSettings) {
  const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, _args, _context, info) => {
    if (info.fieldNodes.some((node) => (node.arguments ?? []).length > 0)) throw new NotFromReadModel();
    if (source === null || typeof source !== 'object' || !(info.fieldName in source)) throw new NotFromReadModel();
    const value = (source as Record<string, unknown>)[info.fieldName];
    if (Array.isArray(value)) {
      const named = getNamedType(info.returnType);
      const field = isObjectType(info.parentType) ? info.parentType.getFields()[info.fieldName] : undefined;
      const paginated = field?.args.some((arg) => arg.name === 'pagination') === true;
      // Strapi pages a to-many relation; a dynamic zone (a union) comes whole.
      if (!isUnionType(named) && paginated && value.length > settings.defaultLimit) throw new NotFromReadModel();
    }
    return value;
  };

  return {
    async requestDidStart() {
      return {
        async responseForOperation(context: RequestContext) {
          if (!settings.enabled() || !context.document || !context.operation) return null;
          const field = articlesField(context.operation);
          if (!field) return null;
          const headers = context.contextValue.koaContext?.request?.headers ?? {};
          if (headers.authorization !== undefined || hasShapeHeader(headers)) return null;
          const strapi = (globalThis as unknown as { strapi: Core.Strapi }).strapi;
          const rows: Array<{ tags: string[]; unpublishAt: Date | null }> = [];
          const result = await execute({
            schema: plainSchema(context.schema),
            document: context.document,
            operationName: context.operation.name?.value,
            variableValues: context.request.variables ?? {},
            rootValue: {
              articles: async (args: Record<string, unknown>) => {
                const filters = SlugFilter.safeParse(args.filters);
                const locale = args.locale === undefined || args.locale === null ? await defaultLocale(strapi) : LocaleCode.safeParse(args.locale);
                if (!filters.success || (typeof locale !== 'string' && !locale.success)) throw new NotFromReadModel();
                const row = await readArticle(strapi, { slug: filters.data.slug.eq }, typeof locale === 'string' ? locale : locale.data);
                if (!row) throw new NotFromReadModel();
                rows.push(row);
                return [withTypenames(strapi, JSON.parse(row.json))];
              },
            },
            fieldResolver: (source, args, ctx, info) =>
              info.parentType.name === 'Query' ? (source as Record<string, (a: unknown) => unknown>)[info.fieldName](args) : fieldResolver(source, args, ctx, info),
          });
          if (result.errors?.length || !result.data) return null;
          const read = currentReadTags();
          for (const row of rows) {
            read?.addAll(row.tags);
            if (row.unpublishAt) read?.expireAt(new Date(row.unpublishAt).getTime());
          }
          return { http: { status: undefined, headers: new Map<string, string>() }, body: { kind: 'single', singleResult: { data: result.data } } };
        },
      };
    },
  };
}
