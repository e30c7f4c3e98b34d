import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/**
 * Caps how many fields one GraphQL operation may select, fragments expanded: 200 aliases of
 * `articles` fit in a small body and each costs a database query.
 */
export function maxFieldsRule(maxFields: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const count = (selectionSet: SelectionSetNode | undefined, seen: Set<string>): number => {
      let total = 0;
      for (const selection of selectionSet?.selections ?? []) {
        if (total > maxFields) return total;
        if (selection.kind === Kind.FIELD) total += 1 + count(selection.selectionSet, seen);
        else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet, seen);
        else {
          const name = selection.name.value;
          if (seen.has(name)) continue; // a cycle is another rule's error
          total += count(fragments.get(name)?.selectionSet, new Set([...seen, name]));
        }
      }
      return total;
    };
    return {
      OperationDefinition(operation) {
        const fields = count(operation.selectionSet, new Set());
        if (fields > maxFields) {
          context.reportError(new GraphQLError(`Query selects more than ${maxFields} fields; split it or ask for less.`, { nodes: [operation] }));
        }
      },
    };
  };
}

interface FormattedError {
  message?: string;
  extensions?: { code?: string; error?: { message?: string }; [key: string]: unknown };
  [key: string]: unknown;
}

const BAD_VALUE = /invalid input syntax|invalid byte sequence|out of range|date\/time field value/i;

/**
 * Internal errors leave GraphQL without their cause: Strapi attaches the original error (with the
 * SQL) to the 500 it formats. A value the database cannot hold becomes a user-input error.
 */
export function scrubGraphqlErrors(body: { errors?: FormattedError[] }): boolean {
  let changed = false;
  for (const error of body.errors ?? []) {
    if (error.extensions?.code !== 'INTERNAL_SERVER_ERROR') continue;
    const cause = `${error.extensions.error?.message ?? ''} ${error.message ?? ''}`;
    delete error.extensions.error;
    delete error.extensions.stacktrace;
    if (BAD_VALUE.test(cause)) {
      error.extensions.code = 'BAD_USER_INPUT';
      error.message = 'Invalid value in the query';
    } else {
      error.message = 'Internal server error';
    }
    changed = true;
  }
  return changed;
}
