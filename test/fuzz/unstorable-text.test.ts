import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findUnstorableText, isStorableText } from '../../src/fleet/validation.ts';
import { deepArray, runs, unstorableString } from './inputs.ts';

// The gate in front of REST and the agent's tools: it must find a NUL or an unpaired surrogate wherever it
// hides in a body, name the field, and pass everything PostgreSQL can keep (surrogate pairs included).

const storableString = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\u0000'));
const storableJson = fc.jsonValue({ maxDepth: 4 }).filter((v) => findUnstorableText(v) === undefined);

/** Puts `value` at a path chosen by `choices` inside `tree`, returning the new tree and the path it took. */
function plant(
  tree: unknown,
  value: string,
  choices: number[],
): { tree: unknown; path: (string | number)[] } {
  const [choice, ...rest] = choices;
  if (choice === undefined) return { tree: value, path: [] };
  if (Array.isArray(tree) && tree.length > 0) {
    const i = choice % tree.length;
    const inner = plant(tree[i], value, rest);
    const copy = [...tree];
    copy[i] = inner.tree;
    return { tree: copy, path: [i, ...inner.path] };
  }
  if (typeof tree === 'object' && tree !== null && Object.keys(tree).length > 0) {
    const keys = Object.keys(tree);
    const key = keys[choice % keys.length]!;
    const inner = plant((tree as Record<string, unknown>)[key], value, rest);
    return { tree: { ...tree, [key]: inner.tree }, path: [key, ...inner.path] };
  }
  return { tree: value, path: [] };
}

describe('findUnstorableText', () => {
  it('passes any JSON whose strings PostgreSQL can keep, surrogate pairs included', () => {
    fc.assert(
      fc.property(storableString, fc.constantFrom('😀', 'Lagos 🚚', 'é', ''), (s, pair) => {
        expect(findUnstorableText({ body: { a: [s, `${pair}${s}`] } })).toBeUndefined();
        expect(isStorableText(`${s}${pair}`)).toBe(true);
      }),
      runs(300),
    );
  });

  it('names the field of a NUL or unpaired surrogate planted anywhere in a body', () => {
    fc.assert(
      fc.property(
        storableJson,
        unstorableString,
        fc.array(fc.nat(), { maxLength: 5 }),
        (json, bad, choices) => {
          const { tree, path } = plant(json, bad, choices);
          const found = findUnstorableText({ body: tree });
          const expected = ['body', ...path].reduce<string>(
            (out, k) => (typeof k === 'number' ? `${out}[${k}]` : out ? `${out}.${k}` : k),
            '',
          );
          expect(found).toBe(expected);
          expect(isStorableText(bad)).toBe(false);
        },
      ),
      runs(300),
    );
  });

  it('finds it in a key too, and walks 100,000 levels of nesting without overflowing the stack', () => {
    expect(findUnstorableText({ body: { 'a\u0000': 1 } })).toBe('body.a\u0000');
    const deep = JSON.parse(deepArray(100_000)) as unknown;
    expect(findUnstorableText({ body: deep })).toBeUndefined();
    let nested: unknown = 'x\ud800';
    for (let i = 0; i < 100_000; i++) nested = [nested];
    expect(findUnstorableText(nested)).toMatch(/^(\[0\]){100000}$/);
  });
});
