import { Kind, parse, type DocumentNode, type OperationTypeNode } from 'graphql';

export interface GraphqlRequest {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

/**
 * The type of the operation a GraphQL request runs (`query`, `mutation`, `subscription`), or
 * undefined when it names none that parses. Only queries are shared between readers.
 */
export function operationType(request: GraphqlRequest | undefined): OperationTypeNode | undefined {
  if (!request || typeof request.query !== 'string') return undefined;
  let document: DocumentNode;
  try {
    document = parse(request.query, { noLocation: true });
  } catch {
    return undefined;
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const name = typeof request.operationName === 'string' ? request.operationName : undefined;
  const chosen = name ? operations.find((op) => op.name?.value === name) : operations.length === 1 ? operations[0] : undefined;
  return chosen?.operation;
}

/** A GET /graphql request's parameters, as Apollo reads them from the query string. */
export function graphqlGetRequest(query: Record<string, unknown>): GraphqlRequest {
  let variables: unknown;
  if (typeof query.variables === 'string') {
    try {
      variables = JSON.parse(query.variables);
    } catch {
      variables = undefined;
    }
  }
  return { query: query.query, operationName: query.operationName, variables };
}
