import { Kind, buildSchema, parse, validate } from 'graphql';
import { depthLimitRule } from '../../src/server/depthLimit';

const schema = buildSchema(`
  type Node { id: ID! child: Node name: String }
  type Query { node: Node }
`);

function check(query: string, maxDepth: number) {
  return validate(schema, parse(query), [depthLimitRule(maxDepth)]);
}

describe('depthLimitRule', () => {
  it('accepts an operation at the limit and refuses one deeper, with BAD_USER_INPUT', () => {
    expect(check('{ node { child { id } } }', 3)).toEqual([]);
    const errors = check('query Deep { node { child { child { id } } } }', 3);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe('Operation "Deep" is nested more than 3 levels deep; the limit is 3. Ask for fewer nested fields.');
    expect(errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('counts fragments where they are spread, inline fragments at their level', () => {
    const query = `
      query { node { ...A } }
      fragment A on Node { child { ...B } }
      fragment B on Node { ... on Node { child { id } } }`;
    expect(check(query, 4)).toEqual([]);
    expect(check(query, 3)).toHaveLength(1);
  });

  it('measures a fragment spread many times once (no blow-up), and survives fragment cycles', () => {
    // The work, counted rather than timed: how often the rule reads each fragment's selections.
    const depth = 12;
    const document = parse(
      `{ node { ...F0 } } ${Array.from({ length: depth }, (_, i) => `fragment F${i} on Node { a: child { ...F${i + 1} } b: child { ...F${i + 1} } }`).join('\n')} fragment F${depth} on Node { id }`,
    );
    const reads = new Map<string, number>();
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
      const selectionSet = definition.selectionSet;
      Object.defineProperty(definition, 'selectionSet', {
        get: () => {
          reads.set(definition.name.value, (reads.get(definition.name.value) ?? 0) + 1);
          return selectionSet;
        },
      });
    }
    const counting = (rules: Parameters<typeof validate>[2]) => {
      reads.clear();
      validate(schema, document, rules);
      return Math.max(...reads.values());
    };
    // graphql's own traversal reads each definition a fixed number of times; the rule adds at most one read each.
    const baseline = counting([() => ({})]);
    expect(counting([depthLimitRule(40)])).toBeLessThanOrEqual(baseline + 1);

    // F0 spreads F1 twice, F1 spreads F2 twice...: measured naively that is 2^30 visits of F30.
    const fragments = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Node { a: child { ...F${i + 1} } b: child { ...F${i + 1} } }`).join('\n');
    expect(check(`{ node { ...F0 } } ${fragments} fragment F30 on Node { id }`, 6)).toHaveLength(1);
    expect(() => check('{ node { ...A } } fragment A on Node { child { ...A } }', 6)).not.toThrow();
  });
});
