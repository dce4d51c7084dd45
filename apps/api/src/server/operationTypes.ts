import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';

/**
 * Refuses operations whose type the schema does not have (this API has no subscriptions). graphql-js 16 lets
 * `subscription { ... }` through validation and fails it only when executing, with an error that has no code and
 * would be answered as an internal error; graphql-js 17 adds this rule (KnownOperationTypesRule) to the standard
 * ones. Reported as a validation error (GRAPHQL_VALIDATION_FAILED).
 */
export function knownOperationTypesRule(context: ValidationContext): ASTVisitor {
  const schema = context.getSchema();
  return {
    OperationDefinition(operation) {
      if (schema.getRootType(operation.operation)) return;
      context.reportError(new GraphQLError(`This API has no ${operation.operation} operations: send a query or a mutation.`, { nodes: operation }));
    },
  };
}
