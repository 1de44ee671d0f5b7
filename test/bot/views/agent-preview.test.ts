import type { ActionsBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  AGENT_CONFIRM_ACTION,
  agentPreview,
  type PreviewConfirmation,
} from '../../../src/bot/views/agent-preview.ts';
import { blockText } from '../harness.ts';

const pending: PreviewConfirmation = {
  id: '6f1c2a9e-1b2c-4d5e-8f90-123456789abc',
  tool: 'create_trip',
  summary: 'Plan a trip from Apapa Port to Dangote Ibese, with KJA-123XY, carrying <!channel> cement.',
  askedBy: 'slack:U0DISPATCH',
  status: 'pending',
  decidedBy: null,
  // 14:20 in Lagos
  expiresAt: new Date('2025-03-04T13:20:00Z'),
};

describe('agentPreview', () => {
  it('asks to confirm what would happen, with Confirm and Cancel buttons carrying the confirmation id', () => {
    const { text, blocks } = agentPreview(pending);

    expect(text).toBe(
      'Confirm? Plan a trip from Apapa Port to Dangote Ibese, with KJA-123XY, carrying &lt;!channel&gt; cement. (asked by <@U0DISPATCH>; expires 14:20)',
    );
    const actions = blocks.find((b): b is ActionsBlock => b.type === 'actions');
    expect(actions?.elements).toMatchObject([
      {
        type: 'button',
        action_id: 'agent_confirm:yes',
        value: pending.id,
        style: 'primary',
        text: { text: 'Confirm' },
      },
      { type: 'button', action_id: 'agent_confirm:no', value: pending.id, text: { text: 'Cancel' } },
    ]);
    for (const e of actions?.elements ?? [])
      expect(AGENT_CONFIRM_ACTION.test((e as { action_id: string }).action_id)).toBe(true);
    expect(blockText(blocks)).toContain('*Plan a trip?*');
    expect(blockText(blocks)).toContain(
      'Asked by <@U0DISPATCH> · only they or a dispatcher can confirm · expires 14:20',
    );
  });

  it('escapes what a person typed so it cannot ping the channel from the card or its text', () => {
    expect(agentPreview(pending).text).not.toContain('<!channel>');
    expect(blockText(agentPreview(pending).blocks)).toContain('carrying &lt;!channel&gt; cement');
    expect(blockText(agentPreview(pending).blocks)).not.toContain('<!channel>');
  });

  it('labels both buttons for screen readers with what they do, within Slack’s 75 characters', () => {
    const actions = agentPreview(pending).blocks.find((b): b is ActionsBlock => b.type === 'actions');
    const labels = actions?.elements.map((e) => (e as { accessibility_label?: string }).accessibility_label);
    expect(labels?.[0]).toMatch(/^Confirm: Plan a trip from Apapa Port/);
    expect(labels?.[1]).toMatch(/^Cancel, do not plan a trip from Apapa Port/);
    for (const label of labels ?? []) expect(label!.length).toBeLessThanOrEqual(75);
  });

  it('shows a decided preview without buttons, saying who decided', () => {
    const confirmed = agentPreview({ ...pending, status: 'confirmed', decidedBy: 'slack:U0OTHERDSP' });
    expect(confirmed.text).toMatch(/^Confirmed by <@U0OTHERDSP>: Plan a trip/);
    expect(confirmed.blocks.some((b) => b.type === 'actions')).toBe(false);

    expect(agentPreview({ ...pending, status: 'cancelled', decidedBy: 'api:dashboard' }).text).toMatch(
      /^Cancelled by dashboard \(API\); nothing changed: /,
    );
    expect(agentPreview({ ...pending, status: 'expired' }).text).toMatch(/^Expired; nothing changed: /);
    expect(agentPreview({ ...pending, status: 'superseded' }).text).toMatch(
      /^Not done: a newer question came first: /,
    );
  });

  it('names a tool it has no title for by its words', () => {
    expect(blockText(agentPreview({ ...pending, tool: 'reassign_truck' }).blocks)).toContain(
      '*reassign truck?*',
    );
  });
});
