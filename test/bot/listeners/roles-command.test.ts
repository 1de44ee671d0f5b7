import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getRole } from '../../../src/db/roles.ts';
import { bootstrapAdmins } from '../../../src/fleet/roles.ts';
import { CHANNEL, DISPATCHER, grantRole, type Harness, startHarness, VIEWER } from '../harness.ts';

let h: Harness;
const ADMIN = 'U0ADMIN001';

beforeEach(async () => {
  h = await startHarness();
  await grantRole(h.db, ADMIN, 'admin');
});

afterEach(async () => {
  await h?.stop();
});

async function watchtower(text: string, user: string) {
  await h.fake.sendSlashCommand({ command: '/watchtower', text, user_id: user, channel_id: CHANNEL });
  return (await h.fake.waitForCall('response_url')).args;
}

describe('/watchtower role', () => {
  it('lets an admin make a viewer a dispatcher, said in the channel and recorded as an event', async () => {
    const response = await watchtower(`role <@${VIEWER}|vic> dispatcher`, ADMIN);

    expect(response).toMatchObject({
      response_type: 'in_channel',
      text: `<@${ADMIN}> made <@${VIEWER}> a dispatcher.`,
    });
    expect(await getRole(h.db.sql, `slack:${VIEWER}`)).toBe('dispatcher');
    const [event] = await h.db.sql`select actor, payload from events where type = 'role.changed'`;
    expect(event).toMatchObject({
      actor: `slack:${ADMIN}`,
      payload: { principal: `slack:${VIEWER}`, from: 'viewer', to: 'dispatcher' },
    });
  });

  it('refuses a dispatcher, saying who can', async () => {
    const response = await watchtower(`role <@${VIEWER}> admin`, DISPATCHER);

    expect(response).toMatchObject({
      response_type: 'ephemeral',
      text: 'Only an admin can set roles; you are a dispatcher.',
    });
    expect(await getRole(h.db.sql, `slack:${VIEWER}`)).toBeUndefined();
  });

  it('tells anyone their own role, and explains a role or person it cannot read', async () => {
    expect((await watchtower('role', VIEWER)).text).toBe('You are a viewer.');
    await h.fake.sendSlashCommand({
      command: '/watchtower',
      text: 'role @vic boss',
      user_id: ADMIN,
      channel_id: CHANNEL,
    });
    const bad = await h.fake.waitForCall('response_url', (c) => String(c.args.text).startsWith('"@vic"'));
    expect(bad.args).toMatchObject({ response_type: 'ephemeral' });
    expect(String(bad.args.text)).toContain('/watchtower role @ada dispatcher');
    await h.fake.sendSlashCommand({
      command: '/watchtower',
      text: `role <@${VIEWER}> boss`,
      user_id: ADMIN,
      channel_id: CHANNEL,
    });
    const role = await h.fake.waitForCall('response_url', (c) =>
      String(c.args.text).startsWith('A role is one of'),
    );
    expect(String(role.args.text)).toContain('viewer, dispatcher, admin');
  });

  it('answers help with the role commands among the rest', async () => {
    const response = await watchtower('help', VIEWER);

    expect(response).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(response.blocks)).toContain('/watchtower role @ada dispatcher');
  });
});

describe('SLACK_ADMIN_USERS', () => {
  it('makes the listed users admins once, leaving a role set later alone', async () => {
    expect(await bootstrapAdmins(h.db.sql, ['U0FIRST001', ADMIN])).toEqual(['slack:U0FIRST001']);
    await grantRole(h.db, 'U0FIRST001', 'viewer');
    expect(await bootstrapAdmins(h.db.sql, ['U0FIRST001'])).toEqual([]);
    expect(await getRole(h.db.sql, 'slack:U0FIRST001')).toBe('viewer');
  });
});
