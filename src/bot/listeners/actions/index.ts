import type { App, BlockButtonAction } from '@slack/bolt';
import type { BotDeps } from '../../deps.ts';
import { AGENT_CONFIRM_ACTION } from '../../views/agent-preview.ts';
import { TRIP_STATUS_ACTION } from '../../views/trip-card.ts';
import { agentConfirmAction } from './agent-confirm.ts';
import { tripStatusAction } from './trip-status.ts';

export function register(app: App, deps: BotDeps): void {
  app.action<BlockButtonAction>(TRIP_STATUS_ACTION, tripStatusAction(deps));
  app.action<BlockButtonAction>(AGENT_CONFIRM_ACTION, agentConfirmAction(deps));
}
