import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  valueFromAST,
  type ArgumentNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { canReadDrafts, type RequestState } from '../public-view/scope';

export interface CostSettings {
  /** The largest cost one operation may have. */
  maxCost: number;
  /** Items a list returns without pagination, and at most. */
  defaultLimit: number;
  maxLimit: number;
  /** Items `localizations` can return: the other locales. */
  localizationFanOut: number;
  /** Items a list without pagination arguments (a dynamic zone, repeatable components) is taken to hold. */
  listEstimate: number;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  settings: CostSettings;
  /** Public callers may not ask for drafts, nor for localizations of localizations. */
  isPublic: boolean;
}

/** Arguments that ask for drafts or publication history: public callers get a 400. */
const DRAFT_ARGUMENTS = ['hasPublishedVersion', 'publicationFilter'];

/**
 * The cost of an operation, before it runs: every object (row) it can load, each multiplied by
 * the list sizes above it (a page of 100 articles × 2 other locales × …). Scalars cost nothing
 * (they come with their row). Throws a GraphQLError (HTTP 400) for a public caller asking for
 * drafts.
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, settings: CostSettings, isPublic: boolean): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return 0;
  return cost({ schema, fragments, variables, settings, isPublic }, operation.selectionSet, root, 1, new Set(), false);
}

function cost(walk: Walk, selectionSet: SelectionSetNode | undefined, parent: GraphQLCompositeType, multiplier: number, fragmentsSeen: Set<string>, inLocalizations: boolean): number {
  let total = 0;
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : parent;
      if (type && isCompositeType(type)) total += cost(walk, selection.selectionSet, type, multiplier, fragmentsSeen, inLocalizations);
      continue;
    }
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || fragmentsSeen.has(name)) continue; // a cycle is another rule's error
      const type = walk.schema.getType(fragment.typeCondition.name.value);
      if (type && isCompositeType(type)) total += cost(walk, fragment.selectionSet, type, multiplier, new Set([...fragmentsSeen, name]), inLocalizations);
      continue;
    }
    const name = selection.name.value;
    if (name.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent))) continue;
    const field = parent.getFields()[name];
    if (!field) continue;
    const args = argumentValues(field, selection.arguments ?? [], walk.variables);
    if (walk.isPublic) refuseDrafts(name, args, inLocalizations);
    const named = getNamedType(field.type);
    if (!isCompositeType(named)) continue;
    const own = isListType(getNullableType(field.type)) || name.endsWith('_connection') ? listSize(field, args, walk.settings) : 1;
    const rows = multiplier * own;
    total += rows + cost(walk, selection.selectionSet, named, rows, fragmentsSeen, inLocalizations || name === 'localizations');
    if (total > walk.settings.maxCost * 1000) return total; // far past the limit: stop counting
  }
  return total;
}

function argumentValues(field: GraphQLField<unknown, unknown>, nodes: readonly ArgumentNode[], variables: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const node of nodes) {
    const definition = field.args.find((arg) => arg.name === node.name.value);
    if (!definition) continue;
    values[node.name.value] = valueFromAST(node.value, definition.type, variables);
  }
  return values;
}

function refuseDrafts(name: string, args: Record<string, unknown>, inLocalizations: boolean): void {
  const status = args.status;
  const asked = (status !== undefined && status !== null && String(status).toLowerCase() !== 'published') || DRAFT_ARGUMENTS.some((a) => args[a] !== undefined && args[a] !== null);
  if (asked) {
    throw new GraphQLError(`Drafts are not public: ${name}(status: DRAFT), hasPublishedVersion and publicationFilter need an API token that may read drafts`, {
      extensions: { code: 'FORBIDDEN_DRAFTS', http: { status: 400 } },
    });
  }
  if (name === 'localizations' && inLocalizations) {
    throw new GraphQLError('localizations inside localizations: ask for them once (they are the same document)', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
    });
  }
}

function listSize(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, settings: CostSettings): number {
  if (field.name === 'localizations') return Math.max(1, settings.localizationFanOut);
  // Relation and root lists take `pagination`; dynamic zones and repeatable components do not.
  if (!field.args.some((arg) => arg.name === 'pagination')) return field.name === 'nodes' ? 1 : settings.listEstimate;
  const pagination = args.pagination as { limit?: number | null; pageSize?: number | null } | undefined;
  const asked = pagination?.limit ?? pagination?.pageSize;
  if (asked === undefined || asked === null) return settings.defaultLimit;
  if (asked < 0 || asked > settings.maxLimit) return settings.maxLimit;
  return Math.max(1, asked);
}

export interface GraphqlRequestContext {
  document?: DocumentNode;
  operation?: OperationDefinitionNode | null;
  schema: GraphQLSchema;
  request: { variables?: Record<string, unknown> };
  contextValue: { state?: RequestState };
}

/**
 * An Apollo Server plugin: checks each operation's cost (and, for public callers, that it asks
 * for no drafts) after it is parsed and validated, before anything runs. Over the limit: 400 with
 * the computed cost and the limit.
 */
export function costPlugin(settings: CostSettings) {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(context: GraphqlRequestContext) {
          if (!context.document || !context.operation) return;
          // Reads: a public caller may not ask for drafts. (A writer's mutation may save one.)
          const isPublic = context.operation.operation === 'query' && !canReadDrafts(context.contextValue.state);
          const total = operationCost(context.schema, context.document, context.operation, context.request.variables ?? {}, settings, isPublic);
          if (total > settings.maxCost) {
            throw new GraphQLError(
              `Query too costly: cost ${total} exceeds the limit of ${settings.maxCost} (rows it can load: each list's page size times the lists above it). Ask for smaller pages or fewer nested lists.`,
              { extensions: { code: 'QUERY_TOO_COSTLY', cost: total, limit: settings.maxCost, http: { status: 400 } } }
            );
          }
        },
      };
    },
  };
}
