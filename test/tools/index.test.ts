import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FLEET_TOOLS, toolByName } from '../../src/tools/index.ts';

describe('FLEET_TOOLS', () => {
  it('offers each tool once, by a snake_case name, with a description the model can read', () => {
    const names = FLEET_TOOLS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const tool of FLEET_TOOLS) {
      expect(tool.name).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(tool.description.length).toBeGreaterThan(40);
      expect(toolByName(tool.name)).toBe(tool);
    }
  });

  it('marks exactly the trip changes as writes, each with a preview for the confirm card', () => {
    const writes = FLEET_TOOLS.filter((t) => t.writes).map((t) => t.name);
    expect(writes.sort()).toEqual(['cancel_trip', 'create_trip', 'update_trip_status']);
    for (const tool of FLEET_TOOLS) expect(typeof tool.preview === 'function').toBe(tool.writes);
  });

  it('gives every input a JSON schema of an object for the model', () => {
    for (const tool of FLEET_TOOLS) {
      const schema = z.toJSONSchema(tool.input, { io: 'input' }) as { type?: string };
      expect(schema.type, tool.name).toBe('object');
    }
  });
});
