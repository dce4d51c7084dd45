import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';
import { BAD_USER_INPUT } from './errors';

/** Introspection (__schema, __type) is nested by nature (GraphiQL's query is ~13 levels): it gets its own, larger limit. */
export const INTROSPECTION_MAX_DEPTH = 20;

/**
 * A validation rule that refuses operations nested deeper than `maxDepth` fields, e.g. with maxDepth 3,
 * `{ search { hits { id } } }` (depth 3) passes and anything deeper fails. Fragments count where they are spread.
 * The error carries extensions.code BAD_USER_INPUT.
 */
export function depthLimitRule(maxDepth: number): (context: ValidationContext) => ASTVisitor {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    return {
      OperationDefinition(operation) {
        for (const selection of operation.selectionSet.selections) {
          const isIntrospection = selection.kind === Kind.FIELD && selection.name.value.startsWith('__');
          const limit = isIntrospection ? INTROSPECTION_MAX_DEPTH : maxDepth;
          const depth = measure({ kind: Kind.SELECTION_SET, selections: [selection] }, new FragmentDepths(fragments), limit + 1);
          if (depth > limit) {
            const name = operation.name ? `Operation "${operation.name.value}"` : 'The query';
            context.reportError(
              new GraphQLError(
                `${name} is nested more than ${limit} levels deep; the limit is ${limit}. Ask for fewer nested fields.`,
                { nodes: [selection], extensions: { code: BAD_USER_INPUT } },
              ),
            );
            return;
          }
        }
      },
    };
  };
}

/** Each fragment's depth, measured once per document (a fragment spread many times costs one measurement). */
class FragmentDepths {
  private readonly depths = new Map<string, number>();
  private readonly visiting = new Set<string>();

  constructor(private readonly fragments: Map<string, FragmentDefinitionNode>) {}

  depthOf(name: string): number {
    const known = this.depths.get(name);
    if (known !== undefined) return known;
    const fragment = this.fragments.get(name);
    // Unknown or cyclic fragments are reported by the standard rules.
    if (!fragment || this.visiting.has(name)) return 0;
    this.visiting.add(name);
    const depth = measure(fragment.selectionSet, this, MAX_DEPTH_MEASURED);
    this.visiting.delete(name);
    this.depths.set(name, depth);
    return depth;
  }
}

const MAX_DEPTH_MEASURED = INTROSPECTION_MAX_DEPTH + 1;

/** Depth of a selection set in fields; stops counting past `cap` (so hostile documents cost little). */
function measure(selectionSet: SelectionSetNode, fragments: FragmentDepths, cap: number): number {
  if (cap <= 0) return 0;
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    let depth: number;
    if (selection.kind === Kind.FIELD) {
      depth = selection.selectionSet ? 1 + measure(selection.selectionSet, fragments, cap - 1) : 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      depth = measure(selection.selectionSet, fragments, cap);
    } else {
      depth = Math.min(fragments.depthOf(selection.name.value), cap);
    }
    deepest = Math.max(deepest, depth);
    if (deepest >= cap) return deepest;
  }
  return deepest;
}
