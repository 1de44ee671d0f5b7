import { describe, expect, it } from 'vitest';
import { COMMANDS, type Command, helpMessage } from '../../../src/bot/views/help.ts';
import { allText, headerText, ofType } from './fixtures.ts';

describe('helpMessage', () => {
  it.each(COMMANDS)('answers %s with usage lines and a fallback text', (command) => {
    const help = helpMessage(command);
    expect(headerText(help.blocks)).toBe(`${command} help`);
    expect(help.text.startsWith(`${command}:`)).toBe(true);
    expect(allText(help.blocks)).toContain(`\`${command === '/watchtower' ? '/truck' : command}`);
  });

  it('uses examples in the fleet’s words', () => {
    expect(allText(helpMessage('/truck').blocks)).toContain('/truck KJA-123XY');
    expect(allText(helpMessage('/truck').blocks)).toContain('Apapa');
    expect(allText(helpMessage('/trip').blocks)).toContain('/trip TRP-000042');
  });

  it('points from one command to the overview, but not the overview to itself', () => {
    const footer = (c: Command) => allText(ofType(helpMessage(c).blocks, 'context'));
    expect(footer('/fleet')).toContain('/watchtower help');
    expect(footer('/watchtower')).not.toContain('/watchtower help');
  });

  it('never mentions the whole channel', () => {
    for (const c of COMMANDS)
      expect(JSON.stringify(helpMessage(c))).not.toMatch(/<!(channel|here|everyone)>/);
  });
});
