import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Sql } from '../../src/db/client.ts';
import { callTool } from '../../src/tools/result.ts';
import type { FleetTool } from '../../src/tools/types.ts';
import { viewer } from './seed.ts';

describe('callTool', () => {
  it('keeps an unexpected failure’s details in the log and tells the model only that the lookup failed', async () => {
    const broken: FleetTool = {
      name: 'broken_tool',
      description: 'fails',
      input: z.strictObject({}),
      writes: false,
      run: async () => {
        throw new Error('connect ECONNREFUSED postgres://watch:s3cret@db:5432');
      },
    };
    const logged: unknown[] = [];
    const ctx = { sql: undefined as unknown as Sql, actor: viewer, now: new Date() };
    const result = await callTool(broken, {}, ctx, {
      log: { error: (obj: unknown) => logged.push(obj) } as never,
    });
    expect(result).toEqual({
      ok: false,
      error: 'broken_tool failed on our side.',
      hint: 'Tell the user the lookup failed and to try again shortly; do not make up an answer.',
    });
    expect(JSON.stringify(result)).not.toContain('s3cret');
    expect(logged).toHaveLength(1);
    expect((logged[0] as { tool: string }).tool).toBe('broken_tool');
  });
});
