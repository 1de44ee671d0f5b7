import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/bot/views/help.ts';

// The app manifest and the code that answers must agree: a command registered but not in the manifest never
// reaches us; one in the manifest with no listener times out in front of the user.

const manifest = readFileSync(new URL('../slack/manifest.yaml', import.meta.url), 'utf8');
const source = (path: string) =>
  readFileSync(new URL(`../src/bot/listeners/${path}`, import.meta.url), 'utf8');
const all = (re: RegExp, text: string) => [...text.matchAll(re)].map((m) => m[1]!).sort();

describe('slack/manifest.yaml', () => {
  it('declares exactly the slash commands the bot registers, and each has help', () => {
    const declared = all(/^\s+- command: (\/[a-z]+)/gm, manifest);
    const registered = all(/app\.command\('(\/[a-z]+)'/g, source('commands/index.ts'));
    expect(declared).toEqual(registered);
    expect([...COMMANDS].sort()).toEqual(registered);
  });

  it('subscribes to the events the bot listens for, with Socket Mode and interactivity on', () => {
    expect(source('events/index.ts')).toContain("app.event('app_mention'");
    expect(source('messages/index.ts')).toContain('app.message(');
    expect(all(/^\s+- (app_mention|message\.im)$/gm, manifest)).toEqual(['app_mention', 'message.im']);
    expect(manifest).toMatch(/socket_mode_enabled: true/);
    expect(manifest).toMatch(/interactivity:\n\s+is_enabled: true/);
  });

  it('asks for the scopes the Web API calls need', () => {
    const botScopes = manifest.slice(manifest.indexOf('    bot:'), manifest.indexOf('settings:'));
    const scopes = all(/^\s+- ([a-z_.:]+)/gm, botScopes);
    for (const needed of [
      'app_mentions:read',
      'im:history',
      'chat:write',
      'commands',
      'reactions:write',
      'files:write',
    ]) {
      expect(scopes).toContain(needed);
    }
  });
});
